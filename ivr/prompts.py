"""Prompt catalogues: sound name -> text, spoken by an offline TTS into Asterisk's sounds tree.

A catalogue (``deploy/prompts/<language>.yaml``) names every sound the hotline
plays in one language. ``install`` turns it into ``<sounds>/<language>/<name>.wav``
(8 kHz, mono, 16-bit PCM: what Asterisk plays without transcoding), where
Asterisk finds it for a channel whose ``CHANNEL(language)`` is that language.

* A site's recording wins: ``<recorded>/<language>/<name>.<wav|mp3|flac|ogg>``
  is converted and installed instead of the synthesised text (a recording whose
  name is not in the catalogue is installed too).
* Nothing is redone when nothing changed: a stamp in the language directory
  holds the hash of the catalogue, the recordings and this generator's format.
* The language directory is built aside and swapped in whole, so a crash
  leaves the previous prompts, never half a set.

A caller whose number is withheld cannot be called back, so what a queue says to them must not
offer 9: ``[hotline-queue]`` sets their channel's language to ``<language>_withheld``, where
Asterisk looks a sound up first (then in ``<language>/``). Every catalogue's withheld variant is
derived from it and installed beside it (``withheld_variant``): the sounds that offer 9
(``WITHHELD_SOUNDS``) said as the catalogue's ``withheld:`` section says them, else as its
``queue-periodic-announce`` (all agents busy, please hold); a catalogue with neither is refused,
so a new language never offers 9 to withheld callers by omission. A ``<language>_withheld.yaml``
beside it replaces the derived variant.

Run ``python -m ivr.prompts install --sounds ROOT/usr/share/asterisk/sounds``
(``deploy/asterisk/hotline-asterisk start`` does it).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cti.configfile import ConfigError, ConfigProblem, ProblemCollector, load_yaml

REPO = Path(__file__).resolve().parent.parent
CATALOGUE_DIR = REPO / "deploy" / "prompts"
RECORDED_DIR = CATALOGUE_DIR / "recorded"
STAMP = ".hotline-prompts"
RECORDING_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg")
# Bump when the produced files change for the same catalogue (format, tool options).
GENERATOR_VERSION = "1"

# A sound name as Asterisk's Playback takes it: relative, no extension, no "..".
_NAME = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]+)*$")
#: the channel language style of a caller whose number is withheld ([hotline-queue])
WITHHELD = "_withheld"
#: the sounds a withheld caller hears that offer 9 (the queue's periodic announcement)
WITHHELD_SOUNDS = ("hotline/queue-callback",)
#: what they hear instead when the catalogue has no ``withheld:`` text: Asterisk's standard name
#: for the queue's "all agents are busy, please hold"
WITHHELD_DEFAULT = "queue-periodic-announce"


class PromptCatalogueError(ConfigError):
    pass


class PromptInstallError(RuntimeError):
    """A prompt could not be produced (TTS or converter missing or failing)."""


@dataclasses.dataclass(frozen=True)
class Catalogue:
    language: str
    voice: str
    speed: int
    prompts: Mapping[str, str]
    source: str = ""
    # what a caller whose number is withheld hears instead (no 9 offered): sound name -> text
    withheld: Mapping[str, str] = dataclasses.field(default_factory=dict)


class _Checker(ProblemCollector):
    prefix = "prompts"


def parse_catalogue(raw: Any, source: str = "prompts.yaml") -> Catalogue:
    c = _Checker()
    top = c.mapping(raw, "file")
    c.unknown_keys(top, {"language", "voice", "speed", "prompts", "withheld"}, "file")
    language = str(top.get("language") or "")
    if not _LANGUAGE.match(language):
        c.add("bad_value", "language", f"expected a language code such as zh or en, got {language!r}")
    voice = top.get("voice")
    if not isinstance(voice, str) or not voice.strip():
        c.add(
            "bad_value", "voice", f"expected an espeak-ng voice name such as cmn-latn-pinyin, got {voice!r}"
        )
        voice = ""
    speed = top.get("speed", 150)
    if isinstance(speed, bool) or not isinstance(speed, int) or not 80 <= speed <= 400:
        c.add("bad_value", "speed", f"expected words per minute 80..400, got {speed!r}")
        speed = 150
    prompts: dict[str, str] = {}
    body = c.mapping(top.get("prompts"), "prompts")
    if not body:
        c.add("missing_field", "prompts", "a catalogue needs at least one prompt")
    for name, text in body.items():
        where = f"prompts.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            c.add(
                "bad_name",
                where,
                "a sound name is a relative path of letters, digits, - and _ without an extension "
                "(hotline/welcome, digits/10)",
            )
            continue
        if not isinstance(text, str) or not text.strip():
            c.add("bad_value", where, f"expected the text to speak, got {text!r}")
            continue
        prompts[name] = " ".join(text.split())
    withheld: dict[str, str] = {}
    for name, text in c.mapping(top.get("withheld"), "withheld").items():
        where = f"withheld.{name}"
        if name not in WITHHELD_SOUNDS:
            c.add("bad_name", where, f"only the sounds that offer 9 differ: {', '.join(WITHHELD_SOUNDS)}")
        elif not isinstance(text, str) or not text.strip():
            c.add("bad_value", where, f"expected the text to speak, got {text!r}")
        else:
            withheld[name] = " ".join(text.split())
    if c.problems:
        raise PromptCatalogueError(source, c.problems)
    return Catalogue(
        language=language, voice=str(voice), speed=speed, prompts=prompts, source=source, withheld=withheld
    )


def withheld_variant(catalogue: Catalogue) -> Catalogue:
    """``<language>_withheld``: the catalogue's sounds that offer 9, said without it.

    Each of ``WITHHELD_SOUNDS`` the catalogue has is said as its ``withheld:`` section says,
    else as its ``queue-periodic-announce``; with neither, the catalogue is refused (a withheld
    caller would otherwise hear the language's offer of 9, Asterisk falling back to it).
    """
    prompts: dict[str, str] = {}
    missing = []
    for name in WITHHELD_SOUNDS:
        if name not in catalogue.prompts:
            continue
        text = catalogue.withheld.get(name) or catalogue.prompts.get(WITHHELD_DEFAULT)
        if text:
            prompts[name] = text
        else:
            missing.append(name)
    if missing or not prompts:
        what = ", ".join(missing) or ", ".join(WITHHELD_SOUNDS)
        raise PromptCatalogueError(
            catalogue.source or catalogue.language,
            [
                ConfigProblem(
                    "prompts.no_withheld_variant",
                    "withheld",
                    f"{what}: a caller whose number is withheld would be offered 9; say what they "
                    f"hear instead (withheld: {{{what}: ...}}) or give {WITHHELD_DEFAULT}",
                )
            ],
        )
    return dataclasses.replace(
        catalogue, language=catalogue.language + WITHHELD, prompts=prompts, withheld={}
    )


def with_withheld_variants(paths: list[Path]) -> list[Catalogue]:
    """The catalogues at ``paths``, each language's withheld variant beside it (derived, unless a
    ``<language>_withheld.yaml`` is among them)."""
    loaded = [load_catalogue(path) for path in paths]
    languages = {cat.language for cat in loaded}
    result = []
    for cat in loaded:
        result.append(cat)
        if not cat.language.endswith(WITHHELD) and cat.language + WITHHELD not in languages:
            result.append(withheld_variant(cat))
    return result


def load_catalogue(path: str | Path) -> Catalogue:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptCatalogueError(
            str(path), [ConfigProblem("prompts.unreadable", "file", str(exc))]
        ) from exc
    return parse_catalogue(load_yaml(text, "prompts.yaml", PromptCatalogueError), str(path))


def recordings(recorded: Path | None, language: str) -> dict[str, Path]:
    """A site's recordings for one language, by sound name."""
    base = recorded / language if recorded else None
    if base is None or not base.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(base.rglob("*")):
        if path.is_file() and path.suffix.lower() in RECORDING_SUFFIXES:
            name = path.relative_to(base).with_suffix("").as_posix()
            if name in found:
                raise PromptInstallError(f"two recordings for {name!r}: {found[name].name} and {path.name}")
            found[name] = path
    return found


def fingerprint(catalogue: Catalogue, recorded: Mapping[str, Path]) -> str:
    """What the installed prompts are made of; equal fingerprints mean equal files."""
    h = hashlib.sha256()
    head = {"generator": GENERATOR_VERSION, "voice": catalogue.voice, "speed": catalogue.speed}
    h.update(json.dumps(head, sort_keys=True).encode())
    h.update(json.dumps(dict(catalogue.prompts), sort_keys=True, ensure_ascii=False).encode())
    for name, path in sorted(recorded.items()):
        h.update(f"\0{name}\0".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


Speak = Callable[[str, str, int, Path], None]


def espeak(text: str, voice: str, speed: int, out: Path) -> None:
    """Speak ``text`` into ``out`` (a WAV at espeak-ng's own rate)."""
    _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], "espeak-ng")


def to_telephone_wav(source: Path, out: Path) -> None:
    """Any audio ffmpeg reads -> 8 kHz mono 16-bit PCM WAV without metadata chunks."""
    _run(
        [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
            "-ar", "8000", "-ac", "1", "-c:a", "pcm_s16le", "-map_metadata", "-1", "-fflags", "+bitexact",
            "-flags:a", "+bitexact", str(out),
        ],
        "ffmpeg",
    )  # fmt: skip


def _run(argv: list[str], tool: str) -> None:
    if shutil.which(argv[0]) is None:
        raise PromptInstallError(f"{tool} is not installed; run deploy/system-deps.sh (as root)")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise PromptInstallError(f"{tool} failed ({result.returncode}): {result.stderr.strip()[-500:]}")


@dataclasses.dataclass(frozen=True)
class InstallResult:
    target: Path
    changed: bool
    synthesised: int = 0
    recorded: int = 0


def install(
    catalogue: Catalogue,
    sounds: Path,
    recorded: Path | None = RECORDED_DIR,
    *,
    speak: Speak = espeak,
    force: bool = False,
) -> InstallResult:
    """Make ``sounds/<language>/`` hold exactly the catalogue's prompts (recordings first)."""
    sounds = Path(sounds)
    target = sounds / catalogue.language
    with _locked(sounds):
        found = recordings(recorded, catalogue.language)
        stamp = fingerprint(catalogue, found)
        if not force and _read(target / STAMP) == stamp:
            return InstallResult(target, changed=False)
        staging = Path(tempfile.mkdtemp(prefix=f".{catalogue.language}-", dir=sounds))
        try:
            _build(catalogue, found, staging, speak)
            (staging / STAMP).write_text(stamp + "\n")
            _swap(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    synthesised = sum(1 for name in catalogue.prompts if name not in found)
    return InstallResult(target, changed=True, synthesised=synthesised, recorded=len(found))


def _build(catalogue: Catalogue, found: Mapping[str, Path], staging: Path, speak: Speak) -> None:
    def make(name: str) -> None:
        out = staging / f"{name}.wav"
        out.parent.mkdir(parents=True, exist_ok=True)
        if name in found:
            to_telephone_wav(found[name], out)
            return
        with tempfile.TemporaryDirectory(dir=staging) as tmp:
            raw = Path(tmp) / "tts.wav"
            speak(catalogue.prompts[name], catalogue.voice, catalogue.speed, raw)
            to_telephone_wav(raw, out)

    names = sorted(set(catalogue.prompts) | set(found))
    # Each prompt is two short subprocesses; run them on every core.
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for future in [pool.submit(make, name) for name in names]:
            future.result()
    for path in [staging, *staging.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # Asterisk runs as its own user


def _swap(staging: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _locked(sounds: Path) -> Iterator[None]:
    """Two starts at once (tests, the demo) must not build the same tree together."""
    sounds.mkdir(parents=True, exist_ok=True)
    with open(sounds / ".hotline-prompts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def catalogues(directory: Path = CATALOGUE_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ivr.prompts", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="speak the catalogues into Asterisk's sounds tree (if changed)")
    inst.add_argument("--sounds", required=True, type=Path, help="Asterisk's sounds directory")
    inst.add_argument("--catalogue", type=Path, action="append", help="default: deploy/prompts/*.yaml")
    inst.add_argument(
        "--recorded",
        type=Path,
        default=Path(os.environ.get("HOTLINE_PROMPTS_RECORDED") or RECORDED_DIR),
        help="a site's recordings, <dir>/<language>/<name>.wav (default: deploy/prompts/recorded)",
    )
    inst.add_argument("--force", action="store_true", help="rebuild even if the stamp matches")
    args = parser.parse_args(argv)
    try:
        for cat in with_withheld_variants(args.catalogue or catalogues()):
            result = install(cat, args.sounds, args.recorded, force=args.force)
            if result.changed:
                print(f"prompts: {result.target}: {result.synthesised} spoken, {result.recorded} recorded")
    except (PromptCatalogueError, PromptInstallError) as exc:
        print(f"prompts: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
