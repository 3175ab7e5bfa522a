"""Recordings, voicemail and faxes: where the files live, retention, conversion, playback.

Public surface: ``RecordingStore`` (call id -> files, Asterisk path -> host path).
"""

from recordings.store import RecordingStore, StoredFile, UnsafePath

__all__ = ["RecordingStore", "StoredFile", "UnsafePath"]
