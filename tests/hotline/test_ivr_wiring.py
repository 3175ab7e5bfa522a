"""``hotline serve`` checks the IVR flows against the Asterisk sounds it can see."""

from __future__ import annotations

import pytest

import ivr
import ticketing
from cti.bus import InProcessBus
from hotline.config import load_settings
from hotline.runtime import _ivr_services


def _settings(tmp_path):
    return load_settings(
        env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_ASTERISK_ROOT": str(tmp_path / "root")}
    )


def _sessions(tmp_path):
    return ticketing.sessionmaker(ticketing.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"))


def test_missing_prompts_stop_the_start_with_their_names(tmp_path):
    (tmp_path / "root/usr/share/asterisk/sounds/zh").mkdir(parents=True)
    with pytest.raises(ivr.IvrConfigError) as caught:
        _ivr_services(_settings(tmp_path), InProcessBus(), sessions=_sessions(tmp_path))
    assert "hotline/welcome" in str(caught.value)


def test_without_local_sounds_the_flows_load_unchecked(tmp_path):
    # Asterisk on another machine: nothing to check against here.
    services = _ivr_services(_settings(tmp_path), InProcessBus(), sessions=_sessions(tmp_path))
    assert "main" in services.flows.flows
