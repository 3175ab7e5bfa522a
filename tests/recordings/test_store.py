"""Where files live: Asterisk's (chroot) paths mapped to this machine's, files by call id."""

from __future__ import annotations

import datetime as dt

import pytest

from recordings import RecordingStore, UnsafePath


@pytest.fixture
def store(tmp_path) -> RecordingStore:
    return RecordingStore(tmp_path)


def test_host_path_is_root_plus_asterisk_path(store, tmp_path):
    assert store.host_path("/var/spool/asterisk/monitor/hotline/20261125/1.2.wav") == (
        tmp_path / "var/spool/asterisk/monitor/hotline/20261125/1.2.wav"
    )
    already = tmp_path / "var/x.wav"
    assert store.host_path(already) == already


def test_no_chroot_means_paths_are_unchanged():
    assert str(RecordingStore("").host_path("/var/spool/a.wav")) == "/var/spool/a.wav"


def test_asterisk_path_by_kind_day_and_call_id(store):
    day = dt.date(2026, 11, 25)
    assert (
        store.asterisk_path("recording", "17.3", day)
        == "/var/spool/asterisk/monitor/hotline/20261125/17.3.wav"
    )
    assert store.asterisk_path("voicemail", "17.3", day, "-fault").endswith(
        "voicemail/hotline/20261125/17.3-fault.wav"
    )
    assert store.asterisk_path("fax", "17.3", day).endswith("fax/hotline/20261125/17.3.tif")


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", ".hidden", "x\x00"])
def test_call_ids_cannot_escape(store, bad):
    with pytest.raises(UnsafePath):
        store.asterisk_path("recording", bad)


def test_find_and_list_files(store, tmp_path):
    base = tmp_path / "var/spool/asterisk/monitor/hotline"
    for rel in ("20261124/1.1.wav", "20261125/2.5.wav", "20261125/2.5-leg2.wav", "20261125/3.9.wav"):
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_bytes(b"x" * 10)
    assert [p.name for p in store.find("2.5")] == ["2.5-leg2.wav", "2.5.wav"]
    assert store.find("4.4") == []
    assert [f.call_id for f in store.files("recording")] == ["1.1", "2.5", "2.5", "3.9"]
    assert store.find("1.1", "voicemail") == []


def test_files_of_an_asterisk_with_a_systemname_keep_their_whole_call_id(store, tmp_path):
    """Several Asterisk servers (asterisk_servers) have a systemname each: their call ids are
    ``<systemname>-<epoch>.<n>``, and retention keeps the files of calls open orders link by it."""
    base = tmp_path / "var/spool/asterisk/voicemail/hotline/20261125"
    base.mkdir(parents=True)
    for name in ("hotline2-1764000000.12.wav", "hotline2-1764000000.13-fault.wav", "gz-a-1764000000.14.wav"):
        (base / name).write_bytes(b"x" * 10)
    assert sorted(f.call_id for f in store.files("voicemail")) == [
        "gz-a-1764000000.14",
        "hotline2-1764000000.12",
        "hotline2-1764000000.13",
    ]
    assert [p.name for p in store.find("hotline2-1764000000.13", "voicemail")] == [
        "hotline2-1764000000.13-fault.wav"
    ]


def test_resolve_refuses_paths_outside_the_store(store, tmp_path):
    inside = tmp_path / "var/spool/asterisk/fax/hotline/20261125/1.tif"
    assert store.resolve("/var/spool/asterisk/fax/hotline/20261125/1.tif") == inside
    with pytest.raises(UnsafePath):
        store.resolve("/etc/passwd")
    with pytest.raises(UnsafePath):
        store.resolve("/var/spool/asterisk/fax/hotline/../../../../etc/passwd")


def test_wav_duration(store, tmp_path):
    from .conftest import write_wav

    path = write_wav(tmp_path / "var/spool/asterisk/voicemail/hotline/20261125/1.wav", seconds=1.5)
    assert store.wav_duration("/var/spool/asterisk/voicemail/hotline/20261125/1.wav") == pytest.approx(1.5)
    assert store.wav_duration(path.with_name("missing.wav")) is None
