"""Retention deletes old files (or only reports them in a dry run) and keeps protected ones."""

from __future__ import annotations

import os
import time

import pytest

from recordings import RecordingStore, purge

DAY = 86400


@pytest.fixture
def files(tmp_path):
    now = time.time()
    made = {}
    for rel, age_days in {
        "var/spool/asterisk/monitor/hotline/20260101/old.1.wav": 100,
        "var/spool/asterisk/monitor/hotline/20260101/hold.2.wav": 100,
        "var/spool/asterisk/monitor/hotline/20261125/new.3.wav": 1,
        "var/spool/asterisk/voicemail/hotline/20260101/old.4.wav": 100,
    }.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 100)
        os.utime(path, (now - age_days * DAY, now - age_days * DAY))
        made[path.name] = path
    return made


def test_dry_run_reports_and_deletes_nothing(tmp_path, files):
    report = purge(RecordingStore(tmp_path), 30, dry_run=True)
    assert sorted(p.name for p in report.deleted) == ["hold.2.wav", "old.1.wav", "old.4.wav"]
    assert report.bytes_freed == 300 and report.dry_run
    assert all(p.exists() for p in files.values())


def test_purge_deletes_old_files_keeps_new_and_protected_and_empty_days(tmp_path, files):
    report = purge(RecordingStore(tmp_path), 30, keep=lambda f: f.path.name.startswith("hold"))
    assert sorted(p.name for p in report.deleted) == ["old.1.wav", "old.4.wav"]
    assert [p.name for p in report.kept] == ["hold.2.wav"]
    assert files["new.3.wav"].exists() and files["hold.2.wav"].exists()
    assert not files["old.1.wav"].exists()
    assert not files["old.4.wav"].parent.exists()  # empty day directory removed
    assert files["hold.2.wav"].parent.exists()


def test_only_the_kinds_asked_for(tmp_path, files):
    report = purge(RecordingStore(tmp_path), 30, kinds=["voicemail"])
    assert [p.name for p in report.deleted] == ["old.4.wav"]


def test_days_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        purge(RecordingStore(tmp_path), 0)


def test_missing_directories_are_fine(tmp_path):
    assert purge(RecordingStore(tmp_path / "nothing"), 10).deleted == []
