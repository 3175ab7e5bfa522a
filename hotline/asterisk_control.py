"""Python's side of deploy/asterisk/hotline-asterisk, the control script of the project's Asterisk.

Who launched the Asterisk that runs under a root: a start given ``HOTLINE_ASTERISK_OWNER`` that
launches one records that token, its pid and start time, so that ``hotline demo`` and the test
session stop at their end only the Asterisk they launched.

Which settings the configs installed under a root were written with: ``start --use-running``
uses an Asterisk that already runs only when its installed configs carry the start's own
settings, and names each one that differs otherwise. The script runs this module for that
(``python -m hotline.asterisk_control TEMPLATES INSTALLED``, each setting's wanted value in
``HOTLINE_<NAME>``; status 3 when one differs); it imports nothing outside the standard
library, so that any Python 3 can run it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

# -- who launched the running Asterisk ---------------------------------------------------------

#: the control script's environment variable: a token it writes to <root>/.hotline-state/owner,
#: with the pid and start time of the Asterisk it launched, when a start launches one
OWNER_ENV = "HOTLINE_ASTERISK_OWNER"


@dataclasses.dataclass(frozen=True)
class StartedAsterisk:
    """An Asterisk a ``hotline-asterisk start`` launched for the holder of ``token``: its pid and
    its start time (``/proc/<pid>/stat`` field 22, clock ticks after boot), which together name
    one process; a pid alone may since belong to another."""

    token: str
    pid: int
    start_time: int


def started_asterisk(root: Path, token: str) -> StartedAsterisk | None:
    """The Asterisk the start that was given ``token`` launched under ``root``, while it is still
    that process and the control script still records it as that start's: None when the start
    found one running, or when it has since stopped, or been stopped and started again (the
    script rewrites the record at each start it launches, and removes it at each stop)."""
    try:
        fields = (root / ".hotline-state" / "owner").read_text().split()
    except OSError:
        return None
    if len(fields) != 3 or fields[0] != token or not (fields[1].isdigit() and fields[2].isdigit()):
        return None
    pid, start_time = int(fields[1]), int(fields[2])
    if process_start_time(pid) != start_time:
        return None  # gone, or its pid now another process's
    return StartedAsterisk(token, pid, start_time)


def process_start_time(pid: int) -> int | None:
    """When the kernel started process ``pid`` (``/proc/<pid>/stat`` field 22), or None when
    there is no such process (or only its zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2, in parentheses) may hold spaces and parentheses itself
    after_name = stat[stat.rindex(")") + 2 :].split()
    if after_name[0] == "Z":
        return None
    return int(after_name[19])


# -- which settings the installed configs carry ------------------------------------------------

#: a setting in a config template: ``@AGI_PORT@`` is filled in with ``HOTLINE_AGI_PORT``'s value
PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One ``key = value`` (or ``key => value``) line of an Asterisk config, in its section."""

    section: str
    key: str
    value: str


@dataclasses.dataclass(frozen=True)
class SettingDifference:
    """A setting the installed configs were written with otherwise than wanted; ``installed`` is
    None when the installed file has no entry (or section) where the template puts it."""

    name: str  # the environment variable that gives it: HOTLINE_AGI_PORT
    where: str  # in the installed configs: extensions.conf, [globals] HOTLINE_AGI
    installed: str | None
    wanted: str

    @property
    def secret(self) -> bool:
        return self.name.endswith("SECRET")

    def __str__(self) -> str:
        if self.secret:  # named, never shown: the message goes to terminals and logs
            found = "not there" if self.installed is None else "another secret"
            return f"{self.name} ({self.where}): installed {found}, wanted that of {self.name}"
        found = "not there" if self.installed is None else self.installed
        return f"{self.name} ({self.where}): installed {found}, wanted {self.wanted}"


def parse_config(text: str) -> tuple[list[str], list[Entry]]:
    """An Asterisk config's section names (``[agent-auth](!)`` is ``agent-auth``) in order, and
    its entries; comments (``;`` to the end of the line) left out."""
    sections: list[str] = []
    entries: list[Entry] = []
    section = ""
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if line.startswith("[") and "]" in line:
            section = line[1 : line.index("]")]
            sections.append(section)
        elif "=" in line:
            key, value = line.split("=", 1)
            entries.append(Entry(section, key.strip(), value.lstrip(">").strip()))
    return sections, entries


def _pattern(template: str) -> tuple[re.Pattern[str], list[str]]:
    """A template's text as a pattern that reads back each setting's value from the installed
    text, and the settings' names in the order of its groups."""
    names = PLACEHOLDER.findall(template)
    parts = PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    regex = "".join(re.escape(part) if i % 2 == 0 else "(.*?)" for i, part in enumerate(parts))
    return re.compile(regex), names


def setting_differences(templates: Path, installed: Path, wanted: dict[str, str]) -> list[SettingDifference]:
    """Every setting (``@NAME@`` in a template under ``templates``) whose value in the config
    installed under ``installed`` is not ``wanted[NAME]``, read where the template puts it: an
    entry's value (``bind = 127.0.0.1:@SIP_PORT@``) or a section's name (``[@AMI_USER@]``: the
    installed section the template does not name otherwise)."""
    differences = []

    def compare(names: list[str], found: re.Match[str] | None, otherwise: str | None, where: str) -> None:
        for group, name in enumerate(names, start=1):
            installed_value = found.group(group) if found else otherwise
            if installed_value != wanted[name]:
                differences.append(SettingDifference(f"HOTLINE_{name}", where, installed_value, wanted[name]))

    for template_file in sorted(templates.glob("*.conf")):
        template_sections, template_entries = parse_config(template_file.read_text())
        try:
            installed_sections, installed_entries = parse_config((installed / template_file.name).read_text())
        except FileNotFoundError:
            installed_sections, installed_entries = [], []
        # a section named by a setting: which of the installed sections it is
        installed_section: dict[str, str | None] = {}
        for section in template_sections:
            if not PLACEHOLDER.search(section):
                continue
            pattern, names = _pattern(section)
            candidates = [
                s for s in installed_sections if s not in template_sections and pattern.fullmatch(s)
            ]
            wanted_name = _filled(section, wanted)
            # another section beside ours (an AMI user added by hand) is no difference
            chosen = wanted_name if wanted_name in candidates else next(iter(candidates), None)
            installed_section[section] = chosen
            found = pattern.fullmatch(chosen) if chosen is not None else None
            compare(names, found, None, f"{template_file.name}, the section [{section}]")
        for entry in template_entries:
            if not PLACEHOLDER.search(entry.value):
                continue
            section = installed_section.get(entry.section, entry.section)
            pattern, names = _pattern(entry.value)
            values = [e.value for e in installed_entries if (e.section, e.key) == (section, entry.key)]
            found = next(filter(None, map(pattern.fullmatch, values)), None)
            shown = section if section is not None else _filled(entry.section, wanted)
            # not found: written otherwise than the template has it (by hand), or not at all
            compare(
                names, found, values[0] if values else None, f"{template_file.name}, [{shown}] {entry.key}"
            )
    return differences


def settings_in(templates: Path) -> set[str]:
    """The names of the settings the templates under ``templates`` are written with."""
    names = set()
    for path in templates.glob("*.conf"):
        sections, entries = parse_config(path.read_text())
        for text in [*sections, *(entry.value for entry in entries)]:
            names.update(PLACEHOLDER.findall(text))
    return names


def _filled(template: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


#: main's status when a setting differs (1 is Python's own, for an exception)
SETTINGS_DIFFER = 3


def main(argv: list[str]) -> int:
    """``TEMPLATES INSTALLED``: print each setting that differs; SETTINGS_DIFFER when one does."""
    templates, installed = map(Path, argv)
    names = settings_in(templates)
    missing = sorted(f"HOTLINE_{name}" for name in names if f"HOTLINE_{name}" not in os.environ)
    if missing:
        print(f"no wanted value given for {', '.join(missing)}", file=sys.stderr)
        return 2
    differences = setting_differences(templates, installed, {n: os.environ[f"HOTLINE_{n}"] for n in names})
    for difference in differences:
        print(f"  {difference}")
    return SETTINGS_DIFFER if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
