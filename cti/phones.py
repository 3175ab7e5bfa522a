"""Phone numbers as Chinese hotlines see them, normalised for matching.

Callers arrive as ``+8613800138000``, ``008613800138000``, ``013800138000``
(a trunk prefix on a mobile), ``02088886666`` or ``020-8888-6666`` (area code
plus landline), a bare local landline ``88886666``, or a service number
(95598, 400/800 numbers). ``normalize`` maps all spellings of one number to one
key so customer lookups hit an index with an exact match.
"""

from __future__ import annotations

import re
import unicodedata

_NON_DIGITS = re.compile(r"[^0-9+]")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_FULL_WIDTH_PLUS = "\uff0b"


class InvalidPhoneNumber(ValueError):
    """The text holds no usable phone number."""


def normalize(raw: str | None, default_area_code: str = "") -> str:
    """Canonical form: mobiles as 11 digits, landlines as area code + number
    with its leading 0 (``02088886666``), service numbers as dialled.

    ``default_area_code`` (e.g. ``"020"``) completes a bare 7–8 digit local
    landline. Raises ``InvalidPhoneNumber`` for text with no digits.
    """
    if raw is None:
        raise InvalidPhoneNumber("no phone number")
    text = _NON_DIGITS.sub("", ascii_digits(raw.strip()))
    if text.startswith("+"):
        text = "00" + text[1:]
    text = text.replace("+", "")
    if not text:
        raise InvalidPhoneNumber(f"no digits in {raw!r}")
    if text.startswith("0086"):
        text = text[4:]
        if not text.startswith("1"):
            text = "0" + text.lstrip("0")
    elif text.startswith("86") and len(text) == 13 and _MOBILE.match(text[2:]):
        text = text[2:]
    if text.startswith("0") and _MOBILE.match(text[1:]):
        text = text[1:]  # trunk prefix added before a mobile number
    if default_area_code and len(text) in (7, 8) and not text.startswith(("0", "1")):
        text = default_area_code + text
    return text


def ascii_digits(text: str) -> str:
    """Full-width digits and plus (１３９…, ＋８６, typed with a Chinese input method) and any
    other script's decimal digits as ASCII, so one number has one key whatever keyboard typed it;
    what is left that is not 0-9 or + is cut by ``normalize``."""
    if text.isascii():  # nearly every number: no walk, character by character, through it
        return text
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() else "+" if c == _FULL_WIDTH_PLUS else c for c in text
    )


def checked(raw: str, default_area_code: str = "") -> str:
    """``normalize`` for a number someone typed or imported, refusing what is no phone number at
    all (raises ``InvalidPhoneNumber``): text with letters ("abc123", "not a phone <b>"), which
    ``normalize`` would cut down to its digits, or fewer than 3 / more than 20 digits."""
    # digits alone (nearly every number) hold no letters: no walk through them
    if not (raw.isascii() and raw.isdigit()) and any(c.isalpha() for c in raw):
        raise InvalidPhoneNumber(f"letters in a phone number: {raw!r}")
    number = normalize(raw, default_area_code)
    if not (number.isascii() and number.isdigit()) or not 3 <= len(number) <= 20:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}")
    return number


def is_mobile(number: str) -> bool:
    return bool(_MOBILE.match(number))


def is_service_number(number: str) -> bool:
    """95xxx short codes, 400/800 freephone, 12345-style government lines."""
    return (
        (number.startswith("95") and len(number) == 5)
        or (number.startswith(("400", "800")) and len(number) == 10)
        or (number.startswith("12") and len(number) == 5)
    )


#: police, fire, ambulance, traffic police (and their SMS / text lines), the maritime rescue line,
#: the GSM 112 and the foreign 911 / 999 a handset may still route: an auto-dialer or a mistyped
#: list must never ring them
EMERGENCY_NUMBERS = frozenset(
    {"110", "119", "120", "122", "112", "911", "999", "12110", "12119", "12120", "12122", "12395"}
)
#: a subscriber number has at least a local landline's 7 digits; anything shorter is a short code
#: (10086, 114, 95598…), a service, never a customer
MIN_SUBSCRIBER_DIGITS = 7
#: why ``never_dial`` refuses a number (also the state a campaign contact is kept in)
EMERGENCY, SHORT_CODE, SERVICE = "emergency_number", "short_code", "service_number"


def never_dial(number: str) -> str:
    """Why no outbound call the hotline places on its own or for a customer (a campaign, a
    callback, a fax or an SMS) may go to this normalised number, or "" when one may: an emergency
    number (also behind a trunk 0 or an area code: ``020110`` reaches Guangzhou's 110), a
    service number (``is_service_number``) or another short code. The one rule: every outbound
    path asks it."""
    core = number.lstrip("0")
    if core in EMERGENCY_NUMBERS or (
        number.startswith("0") and any(number[n:] in EMERGENCY_NUMBERS for n in (3, 4))
    ):
        return EMERGENCY
    if is_service_number(number):
        return SERVICE
    if len(number) < MIN_SUBSCRIBER_DIGITS:
        return SHORT_CODE
    return ""
