"""Each Asterisk server's files (recordings, voicemail, faxes) under its own root here:
``asterisk_root`` in its ``asterisk_servers`` entry, else the platform's; its bridge reads its
recordings (their length, CallRecorded's path) there too."""

from __future__ import annotations

from pathlib import Path

from hotline.config import load_settings
from hotline.runtime import _server_settings


def test_a_servers_asterisk_root_is_its_own_or_the_platforms():
    settings = load_settings(
        env={
            "HOTLINE_ASTERISK_ROOT": "/srv/main-root",
            "HOTLINE_DATA_DIR": "/tmp",
            "HOTLINE_ASTERISK_SERVERS": "[{name: gz, ami_host: a, default: true},"
            " {name: sz, ami_host: b, agents: ['52*'], system_name: sz, asterisk_root: /mnt/sz-root}]",
        }
    )
    gz, sz = settings.servers
    assert (settings.root_of(gz), settings.root_of(sz)) == (Path("/srv/main-root"), Path("/mnt/sz-root"))
    assert _server_settings(settings, sz).asterisk_root == Path("/mnt/sz-root")
    assert _server_settings(settings, gz).asterisk_root == Path("/srv/main-root")
