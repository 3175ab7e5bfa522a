"""Report exports never hand a spreadsheet a formula: text someone typed (an order's title, a
caller id, a campaign's name) is written as text, numbers as numbers (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from ticketing.reports import sheet_cell, to_csv, to_xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example/","点击查看详情")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert sheet_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", [-3, -2.5, 0, 12, 0.2857, "-12.5", "+3", "1e-3", "", "停电", "95598", "a=b"]
)
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert sheet_cell(value) == value


def test_csv_fields_starting_with_a_formula_are_text():
    rows = [[text, -3, 1.5, None] for text in HOSTILE]
    text = to_csv(["标题", "差值", "时长", "备注"], rows)
    read = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert [r[0] for r in read[1:]] == ["'" + t for t in HOSTILE]
    # a negative number is a number, not text to quote
    assert {tuple(r[1:]) for r in read[1:]} == {("-3", "1.5", "")}


def test_xlsx_cells_starting_with_a_formula_are_strings_and_numbers_stay_numbers():
    texts = [*HOSTILE, "-停电咨询", "+86 138 0013 8000", "@张三"]
    data = to_xlsx("超期工单", ["=标题", "差值"], [[text, -3] for text in texts], ["text", "int"])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = sheet.cell(row=1, column=1)
    assert (header.data_type, header.value, header.quotePrefix) == ("s", "=标题", True)
    for row, text in enumerate(texts, start=2):
        cell = sheet.cell(row=row, column=1)
        # the text as typed, no apostrophe to see: only "=" makes a workbook cell a formula, and
        # that one is a string marked as text (the workbook's XML reads a CR back as a LF)
        assert (cell.data_type, cell.value) == ("s", text.replace("\r", "\n"))
        assert cell.quotePrefix == text.startswith("=")
        number = sheet.cell(row=row, column=2)
        assert (number.data_type, number.value) == ("n", -3)
    assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)


def test_xlsx_formula_text_is_not_run_by_a_spreadsheet():
    """What Excel reads: the cell's XML has no <f> formula, only a string (shared or inline)."""
    import zipfile

    data = to_xlsx("x", ["a"], [['=HYPERLINK("http://evil.example/","x")']])
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
