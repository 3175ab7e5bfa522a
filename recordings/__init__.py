"""Recordings, voicemail and faxes: where the files live, retention, conversion, playback.

Public surface:

* ``RecordingStore``: call id -> files; Asterisk's path -> this machine's path
  (the Asterisk root it is given + Asterisk's own path). ``ServerStores``: several Asterisk
  servers' stores, a call's files looked for on the server its call id names.
* ``purge``: retention (older than N days, dry run, keep predicate); ``hotline
  purge-recordings`` runs it with the product's settings.
* ``convert`` / ``playable`` / ``peaks`` / ``to_pcm_wav``: audio for the player (pydub +
  ffmpeg for mp3/ogg, pure-Python WAV otherwise; peaks from the samples).
* ``tiff_to_pdf``: fax pages as a PDF.
* ``serve_file(request, path)`` and ``recording_routes(store)``: HTTP with ranges (aiohttp).
"""

from recordings.audio import ConversionError, convert, ffmpeg_available, peaks, playable, to_pcm_wav
from recordings.fax import FaxConversionError, tiff_to_pdf
from recordings.http import recording_routes, serve_file
from recordings.retention import PurgeReport, purge
from recordings.store import RecordingStore, ServerStores, ServerUnreachable, StoredFile, UnsafePath

__all__ = [
    "ConversionError",
    "FaxConversionError",
    "PurgeReport",
    "RecordingStore",
    "ServerStores",
    "ServerUnreachable",
    "StoredFile",
    "UnsafePath",
    "convert",
    "ffmpeg_available",
    "peaks",
    "playable",
    "purge",
    "recording_routes",
    "serve_file",
    "tiff_to_pdf",
    "to_pcm_wav",
]
