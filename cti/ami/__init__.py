"""Our own AMI client: a Sans-I/O framing core and a thin asyncio connection."""

from cti.ami.client import (
    AmiActionError,
    AmiClient,
    AmiError,
    AmiLoginError,
    AmiNotConnected,
    AmiTimeout,
    backoff,
)
from cti.ami.protocol import AmiProtocol, Frame, encode

__all__ = [
    "AmiActionError",
    "AmiClient",
    "AmiError",
    "AmiLoginError",
    "AmiNotConnected",
    "AmiProtocol",
    "AmiTimeout",
    "Frame",
    "backoff",
    "encode",
]
