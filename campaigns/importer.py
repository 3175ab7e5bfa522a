"""Contact lists from CSV or Excel: column mapping, pre-validation, then commit.

``check`` reads the file and returns a report (every row accepted or rejected
with a reason) without writing anything; ``commit`` adds the accepted rows.
Both run the same validation, so what the report promised is what is added.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import rules, store
from cti import phones
from cti.phones import InvalidPhoneNumber, ascii_digits
from ticketing.audit import record
from ticketing.models import Campaign, CampaignContact, Customer, User, WorkOrder

#: fields a column may map to; every other column is kept in the contact's data
FIELDS = ("number", "name", "account_no", "order", "notes")
MAX_ROWS = 50_000
#: a contact's name (campaign_contacts.name): a longer one is refused in the report, never cut
NAME_LIMIT = 100

REASONS = {
    "missing_number": "缺少电话号码",
    "invalid_number": "电话号码无效",
    "mobile_digits": "手机号码应为 11 位",
    "landline_digits": "固定电话应为区号加 7-8 位号码，如 020-88886666",
    rules.SERVICE_NUMBER: "服务号码（如 95598、400/800）不能外呼",
    rules.EMERGENCY_NUMBER: "紧急号码（如 110、119、120、122）不能外呼",
    rules.SHORT_CODE: "短号码（如 10086、114）不能外呼",
    "duplicate_in_file": "文件中重复",
    "already_in_campaign": "已在本活动中",
    "dnc": "在免打扰名单中",
    "name_too_long": f"姓名超过 {NAME_LIMIT} 个字",
    "unknown_account": "户号不存在",
    "unknown_order": "工单号不存在",
}

#: a number's problem (cti.phones.checked) as the report's reason
_SHAPE_REASONS = {phones.MOBILE_DIGITS: "mobile_digits", phones.LANDLINE_DIGITS: "landline_digits"}


class ImportError_(ValueError):
    """The file itself cannot be read (format, encoding, no header, mapping)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = self.error_id = code  # error_id: the console translates it


@dataclasses.dataclass
class Row:
    line: int  # 1-based line in the file, the header being line 1
    values: dict[str, str]
    number: str = ""
    customer_id: int | None = None
    order_id: int | None = None
    reason: str = ""  # empty: accepted

    @property
    def accepted(self) -> bool:
        return not self.reason


@dataclasses.dataclass
class Report:
    columns: list[str]
    rows: list[Row]

    @property
    def accepted(self) -> list[Row]:
        return [r for r in self.rows if r.accepted]

    @property
    def rejected(self) -> list[Row]:
        return [r for r in self.rows if not r.accepted]

    def summary(self, limit: int = 200) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for row in self.rejected:
            counts[row.reason] = counts.get(row.reason, 0) + 1
        return {
            "columns": self.columns,
            "total": len(self.rows),
            "accepted": len(self.accepted),
            "rejected": len(self.rejected),
            "reasons": counts,
            "rejected_rows": [
                {"line": r.line, "reason": r.reason, "text": REASONS[r.reason], "values": r.values}
                for r in self.rejected[:limit]
            ],
            "sample": [{"line": r.line, "number": r.number, "values": r.values} for r in self.accepted[:20]],
        }


# -- reading ------------------------------------------------------------------------------
def upload_token(campaign_id: int, data: bytes, mapping: dict[str, str]) -> str:
    """What a check's report was about: the campaign, the file's bytes and the column mapping.
    The commit names the token of the report the team leader saw, so a file chosen (or a
    mapping changed) after 检查 is never added unchecked."""
    digest = hashlib.sha256(f"{campaign_id}\n".encode())
    digest.update(json.dumps(mapping, ensure_ascii=False, sort_keys=True).encode())
    digest.update(b"\n")
    digest.update(data)
    return digest.hexdigest()


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a .csv (UTF-8 or GBK) or .xlsx file, as text."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ImportError_("import.encoding")
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]
    return _split(rows)


def _read_xlsx(data: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise ImportError_("import.xlsx_unavailable") from exc
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportError_("import.unreadable", str(exc)) from exc
    sheet = book.worksheets[0]
    rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return _split(rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores long digit strings as numbers
    return str(value).strip()


def _split(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    rows = [r for r in rows if any(r)]
    if not rows:
        raise ImportError_("import.empty")
    if len(rows) > MAX_ROWS + 1:
        raise ImportError_("import.too_many_rows", str(MAX_ROWS))
    return rows[0], rows[1:]


# -- validation ---------------------------------------------------------------------------
def _mapped(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """field -> column index; a mapping names the column header for each field."""
    unknown = set(mapping) - set(FIELDS)
    if unknown:
        raise ImportError_("import.unknown_field", ", ".join(sorted(unknown)))
    index = {}
    for field, column in mapping.items():
        if not column:
            continue
        if column not in header:
            raise ImportError_("import.unknown_column", column)
        index[field] = header.index(column)
    if "number" not in index:
        raise ImportError_("import.number_unmapped")
    return index


async def check(
    session: AsyncSession, campaign: Campaign, data: bytes, filename: str, mapping: dict[str, str]
) -> Report:
    if campaign.status == "finished":
        raise store.CampaignError("campaign.finished", str(campaign.id))  # its contacts would never be dialed
    header, raw_rows = read_table(data, filename)
    index = _mapped(header, mapping)
    rows = [
        Row(line=n, values={h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)})
        for n, cells in enumerate(raw_rows, start=2)
    ]
    for row in rows:
        raw = row.values[header[index["number"]]]
        if not raw:
            row.reason = "missing_number"
            continue
        try:  # held to the numbering plan: a mobile a digit short is no number to call
            row.number = rules.listed_number(raw)
        except InvalidPhoneNumber as bad:
            row.reason = _SHAPE_REASONS.get(bad.problem, "invalid_number")
            continue
        row.reason = rules.refusal(row.number)
        if not row.reason and "name" in index and len(row.values[header[index["name"]]]) > NAME_LIMIT:
            row.reason = "name_too_long"
    numbers = [r.number for r in rows if r.accepted]
    dnc = await store.dnc_numbers(session, numbers) if numbers else set()
    known = (
        set(
            await session.scalars(
                select(CampaignContact.number).where(
                    CampaignContact.campaign_id == campaign.id, CampaignContact.number.in_(numbers)
                )
            )
        )
        if numbers
        else set()
    )
    accounts = await _ids(
        session, Customer.account_no, Customer.id, _values(rows, header, index, "account_no")
    )
    orders = await _ids(session, WorkOrder.number, WorkOrder.id, _values(rows, header, index, "order"))
    seen: set[str] = set()
    for row in rows:
        if not row.accepted:
            continue
        # the do-not-call list first: a listed number is "在免打扰名单中" however the file spells it
        # (139-1111-2222, +86 139 1111 2222: one number once normalised), even the second time
        if row.number in dnc:
            row.reason = "dnc"
        elif row.number in known:
            row.reason = "already_in_campaign"
        elif row.number in seen:
            row.reason = "duplicate_in_file"
        seen.add(row.number)
        if row.accepted and "account_no" in index:
            account = ascii_digits(row.values[header[index["account_no"]]])
            if account:
                row.customer_id = accounts.get(account)
                if row.customer_id is None:
                    row.reason = "unknown_account"
        if row.accepted and "order" in index:
            number = ascii_digits(row.values[header[index["order"]]])
            if number:
                row.order_id = orders.get(number)
                if row.order_id is None:
                    row.reason = "unknown_order"
    return Report(columns=header, rows=rows)


def _values(rows: list[Row], header: list[str], index: dict[str, int], field: str) -> set[str]:
    if field not in index:
        return set()
    values = (r.values[header[index[field]]] for r in rows if r.accepted)
    # 户号 and 工单号 typed with a Chinese input method are looked up by their ASCII digits
    return {ascii_digits(v) for v in values if v}


async def _ids(session: AsyncSession, key_column, id_column, keys: Iterable[str]) -> dict[str, int]:
    keys = list(keys)
    if not keys:
        return {}
    rows = await session.execute(select(key_column, id_column).where(key_column.in_(keys)))
    return {k: i for k, i in rows.all()}


async def commit(
    session: AsyncSession,
    campaign: Campaign,
    data: bytes,
    filename: str,
    mapping: dict[str, str],
    *,
    actor: User | None = None,
) -> Report:
    """Validate again and add every accepted row (a source key per file line); audited
    (``campaign.import``: the file, its mapping and what the report counted)."""
    report = await check(session, campaign, data, filename, mapping)
    header = report.columns
    index = _mapped(header, mapping)
    batch = await session.scalar(
        select(CampaignContact.id)
        .where(CampaignContact.campaign_id == campaign.id)
        .order_by(CampaignContact.id.desc())
        .limit(1)
    )
    added = 0
    for row in report.accepted:
        name = row.values[header[index["name"]]] if "name" in index else ""
        notes = row.values[header[index["notes"]]] if "notes" in index else ""
        contact = await store.add_contact(
            session,
            campaign,
            row.number,
            source_key=f"import:{batch or 0}:{filename[:60]}:{row.line}",
            name=name,  # within NAME_LIMIT: check refused a longer one
            customer_id=row.customer_id,
            order_id=row.order_id,
            data=row.values,
            dnc=set(),
        )
        if contact is not None:
            added += 1
            if notes:
                contact.notes = notes
    await session.flush()
    summary = report.summary(limit=0)
    await record(
        session,
        actor,
        "campaign.import",
        "campaign",
        campaign.id,
        after={
            "filename": filename,
            "mapping": dict(mapping),
            "total": summary["total"],
            "accepted": summary["accepted"],
            "rejected": summary["rejected"],
            "reasons": summary["reasons"],
            "added": added,
        },
    )
    return report
