"""The 插入字段 picker names every merge field the renderer offers in the page's language: a
field added to the context (a new column of the order, the customer, the site or the contractor)
without its ``merge.*`` text would show as its bare code (order.severity) in the picker."""

from __future__ import annotations

import pytest

from agent_ui.texts import LANGUAGES, Texts
from ticketing.notify import merge_fields

#: every field the renderer can fill: a contractor's step has them all; a workflow's form
#: fields are named by its admin (故障地址) and shown as they are, so none is asked for here
FIELDS = merge_fields([], contractor=True)


def test_the_renderer_offers_the_fields_of_every_group():
    groups = {f["group"] for f in FIELDS}
    assert {"order", "customer", "site", "due_at", "contractor"} <= groups
    assert len(FIELDS) > len(groups)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_merge_field_and_its_group_has_a_label(lang):
    table = Texts().tables[lang]
    keys = (
        {f"merge.{f['expression']}" for f in FIELDS}
        | {f"merge.{f['group']}" for f in FIELDS}
        | {"merge.form"}
    )
    missing = sorted(k for k in keys if not str(table.get(k) or "").strip())
    assert missing == [], f"{lang} has no label for {missing}"


def test_the_chinese_labels_are_words_not_codes():
    zh = Texts().tables["zh-CN"]
    codes = [f["expression"] for f in FIELDS if zh[f"merge.{f['expression']}"].isascii()]
    assert codes == []
