"""Definition.customer_description is worked out once per definition: every new order without a
title asks (its title is the customer's words), and the walk over the fields cost about a
twentieth of an order's Python."""

from __future__ import annotations

from pathlib import Path

import yaml

from ticketing.workflow import definition as definition_module
from ticketing.workflow.definition import parse

SEEDS = Path(__file__).resolve().parents[2] / "ticketing" / "seeds"


def _fault_repair() -> dict:
    return yaml.safe_load((SEEDS / "fault_repair.yaml").read_text(encoding="utf-8"))


def test_the_words_field_is_worked_out_once_per_definition(monkeypatch):
    fault = parse(_fault_repair())
    walked = []
    real = definition_module.holds_words

    def counted(spec):
        walked.append(spec)
        return real(spec)

    monkeypatch.setattr(definition_module, "holds_words", counted)
    assert fault.customer_description() == "客户描述故障信息"
    first = len(walked)
    assert first
    assert fault.customer_description() == "客户描述故障信息"
    assert len(walked) == first
