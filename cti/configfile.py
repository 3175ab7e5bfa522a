"""Configuration files (YAML) and their validation errors, shared by routing and the IVR.

A ``ConfigError`` lists every problem found, each with a stable ``error_id`` the
console can translate and the place in the file it refers to.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml


@dataclasses.dataclass(frozen=True)
class ConfigProblem:
    error_id: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.error_id} at {self.where}: {self.message}"


class ConfigError(ValueError):
    """A configuration file is unusable; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")

    @property
    def error_ids(self) -> list[str]:
        return [p.error_id for p in self.problems]


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML silently keeps the last of two equal keys; a configuration file must not."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str, source: str, error_cls: type[ConfigError] = ConfigError) -> Any:
    """YAML with duplicate keys refused and numbers as text where a string is expected."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise error_cls(
            source, [ConfigProblem(f"{source.split('.')[0]}.yaml_invalid", "file", str(exc))]
        ) from exc


class ProblemCollector:
    """Gathers every problem of one file (instead of stopping at the first), with the
    checks that all our configuration files share. ``prefix`` namespaces the error ids."""

    prefix = "config"

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def add(self, error_id: str, where: str, message: str) -> None:
        self.problems.append(ConfigProblem(f"{self.prefix}.{error_id}", where, message))

    def mapping(self, value: Any, where: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add("not_a_mapping", where, f"expected a mapping, got {type(value).__name__}")
            return {}
        return value

    def unknown_keys(self, body: dict, allowed: set[str], where: str) -> None:
        for key in sorted(set(map(str, body)) - allowed):
            self.add(
                "unknown_field", f"{where}.{key}", f"unknown field (allowed: {', '.join(sorted(allowed))})"
            )
