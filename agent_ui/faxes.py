"""Faxes to customers: a document is made into a TIFF-F file (recordings.fax_out) and queued
in ticketing's outbox like SMS and email; the dispatcher sends it through Asterisk.

From an order: text the agent writes, one of the category's fax templates (jinja2, with
the order's merge fields), or an uploaded PDF / TIFF. Knowledge items and outage notices
are faxed from their own send endpoints (agent_ui.knowledge) with the same ``queue_fax``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, order_key, path_int
from agent_ui.errors import UiError
from agent_ui.recipients import name_every_problem, recipient_problem
from agent_ui.roles import requires
from agent_ui.services import SERVICES, AppServices
from agent_ui.work import read_only, unit_of_work
from recordings import fax_out
from recordings.fax import FaxConversionError, tiff_to_pdf
from ticketing.categories import config_categories, own_first
from ticketing.ids import is_id
from ticketing.models import Notification, NotificationTemplate, User, WorkOrder
from ticketing.notify import (
    TemplateError,
    TemplateFieldsBlank,
    check_recipient,
    customer_address,
    one_line,
    order_context,
    render_by_hand,
    render_subject,
    send_message,
    template_failed,
)
from ticketing.users import can_access
from ticketing.workflow.engine import load_order

routes = web.RouteTableDef()
log = logging.getLogger(__name__)


#: what a document may be refused for that the agent puts right in the form (another file, a
#: shorter text), named with a bad number's problem; a server's missing converter or font is not
DOCUMENT_PROBLEMS = frozenset({"fax.document_invalid", "fax.too_long"})


async def queue_fax(
    db: AsyncSession,
    user: User,
    services: AppServices,
    *,
    to: str,
    subject: str,
    text: str = "",
    upload: bytes | None = None,
    order_id: int | None = None,
    about: tuple[str, object] | None = None,
) -> Notification:
    """Render the document, queue the fax, and name the file after its outbox row.

    A bad number is refused with what is wrong with the document, in one answer
    (``name_every_problem``): the document is made even then, as it is the only way to know
    whether it can be faxed, and thrown away."""
    if services.recordings is None:
        raise UiError("service.unavailable", "faxes need the Asterisk spool (no recordings store)")
    to_problem = recipient_problem("fax", to)
    try:
        document = await asyncio.to_thread(
            fax_out.prepare, services.recordings, title=subject, text=text, upload=upload
        )
    except FaxConversionError as exc:
        # 无法读取的文件, 页数过多: the document's field (the upload, else the text) beside the number's
        if to_problem and exc.error_id in DOCUMENT_PROBLEMS:
            field = "file" if upload is not None else "text"
            name_every_problem(to_problem, {field: exc.error_id}, "bad fax number and document", "fax")
        raise
    if to_problem:
        document.path.unlink(missing_ok=True)
        check_recipient("fax", to)  # the number alone: its own words (fax_to_mobile…)
    try:
        row = await send_message(
            db, user, "fax", to, subject, text, order_id=order_id, about=about, pages=document.pages
        )
        fax_out.place(services.recordings, document, row.id, row.created_at)
    except BaseException:
        document.path.unlink(missing_ok=True)
        raise
    return row


async def may_see_sent(db: AsyncSession, user: User, row: Notification) -> bool:
    """Whether ``user`` may see, and so 重发, a message we sent: its sender, supervisors and
    admins, and whoever has its order in their data scope. The one rule of the fax's document,
    ``resend`` and its refusal of an alert to staff (``order_messages``)."""
    if row.user_id == user.id or user.has_role("supervisor", "admin"):
        return True
    order = await db.get(WorkOrder, row.order_id) if row.order_id else None
    return order is not None and await can_access(db, user, order)


def queued(row: Notification) -> web.Response:
    return web.json_response(
        {
            "id": row.id,
            "channel": row.channel,
            "recipient": row.recipient,
            "state": row.state,
            "pages": row.pages,
        },
        status=201,
    )


async def _fax_templates(db: AsyncSession, order: WorkOrder) -> list[NotificationTemplate]:
    """Per step, the fax letters of the order's own category if it has any there, else its
    workflow's category's (用户信息查询 has the consult 答复函; categories.config_categories)."""
    keys = await config_categories(db, order)
    rows = await db.scalars(
        select(NotificationTemplate)
        .where(
            NotificationTemplate.category.in_(keys),
            NotificationTemplate.channel == "fax",
            NotificationTemplate.enabled.is_(True),
        )
        .order_by(NotificationTemplate.id)
    )
    return own_first(rows, keys, lambda t: (t.node, t.audience))


@routes.get("/api/orders/{key}/fax")
@requires("knowledge.send")
async def fax_choices(request: web.Request) -> web.Response:
    """The fax templates of the order's category, each by its name (模板名称, what the agent
    picks it by) with its subject as this order's fax would carry it (投诉受理回执（工单 TS…）,
    never the raw jinja2), and the number to offer: one that takes a fax (the customer's fax
    number, else a landline; never the caller's mobile, which a send refuses, ``fax_to_mobile``),
    "" when there is none (``notify.customer_address``). A template that cannot be
    filled (broken, stored before its save was checked, or over the render's budget) is listed
    with its own subject and ``error`` (its error id), marked on the page, and the others as
    ever: sending it gives that error."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        order = await load_order(db, user, order_key(request))
        context = await order_context(db, order)
        templates = [_fax_choice(t, context, order) for t in await _fax_templates(db, order)]
        to = await customer_address(db, order, "fax")
    return web.json_response({"templates": templates, "to": to})


def _fax_choice(template: NotificationTemplate, context: dict[str, Any], order: WorkOrder) -> dict[str, Any]:
    named = {"id": template.id, "name": template.name}
    try:
        return named | {"subject": render_subject(template.subject, context) or order.number}
    except TemplateError as exc:
        log.warning("fax template %s of %s cannot be filled: %s", template.id, order.number, exc)
        return named | {"subject": one_line(template.subject) or order.number, "error": exc.error_id}


async def _fax_request(request: web.Request) -> dict[str, Any]:
    """JSON ``{to, subject?, text? | template_id?}``, or multipart ``to``, ``subject``, ``file``.

    What the form can put right is named all at once with the number's problem (``invalid_fields``,
    ``name_every_problem``): 正文 or 文件 missing here, the template's blank merge fields and the
    document that cannot be faxed once they are made (``fax_for_order``, ``queue_fax``)."""
    problems: dict[str, str] = {}
    if request.content_type == "multipart/form-data":
        form = await request.post()
        upload = form.get("file")
        body: dict[str, Any] = {"to": form.get("to")}
        if isinstance(upload, web.FileField):
            # browsers send the name as UTF-8, other clients percent-encoded (RFC 5987)
            body["subject"] = str(form.get("subject") or unquote(upload.filename or ""))
            body["upload"] = upload.file.read(fax_out.MAX_UPLOAD_BYTES + 1)
        else:
            problems["file"] = "field_required"
    else:
        body = await json_body(request)
        template_id = body.get("template_id")
        if template_id is not None and not is_id(template_id):
            raise UiError("request.invalid", "template_id must be a template id", field="template_id")
        for name in ("subject", "text"):
            if not isinstance(body.get(name, ""), str):
                raise UiError("request.invalid", f"{name} must be text", field=name)
        if template_id is None and not str(body.get("text", "")).strip():
            problems["text"] = "field_required"  # 表单有误:正文(必填)
    to = body.get("to")
    if to is not None and not isinstance(to, str):
        raise UiError("request.invalid", "to must be a fax number", field="to")
    name_every_problem(recipient_problem("fax", to), problems, "the fax is incomplete", "fax")
    return body


@routes.post("/api/orders/{key}/fax")
@requires("knowledge.send")
async def fax_for_order(request: web.Request) -> web.Response:
    """Fax the customer about an order: written text, a template, or an uploaded PDF / TIFF."""
    body = await _fax_request(request)
    services = request.app[SERVICES]
    async with unit_of_work(services, current_user(request)) as (db, user):
        order = await load_order(db, user, order_key(request))
        subject, text = str(body.get("subject", "")).strip(), str(body.get("text", ""))
        if body.get("template_id") is not None:
            template = next((t for t in await _fax_templates(db, order) if t.id == body["template_id"]), None)
            if template is None:
                raise UiError("not_found", "no such fax template for this order's category")
            try:
                subject, text = render_by_hand(template, await order_context(db, order))
            except (TemplateFieldsBlank, TemplateError) as exc:
                # the number's problem and the template's (its blank merge fields, or a template
                # that cannot be filled) in one answer; the template's alone, its own words
                if to_problem := recipient_problem("fax", body.get("to")):
                    blanks = exc.details.get("problems") if isinstance(exc, TemplateFieldsBlank) else None
                    name_every_problem(
                        to_problem,
                        blanks or {"template_id": exc.error_id},
                        "bad fax number and template",
                        "fax",
                    )
                raise
        row = await queue_fax(
            db,
            user,
            services,
            to=str(body.get("to") or ""),
            subject=subject or order.number,
            text=text,
            upload=body.get("upload"),
            order_id=order.id,
            about=("work_order", order.id),
        )
    return queued(row)


@routes.get("/api/faxes/{id}/pdf")
@requires("order.read")
async def fax_document(request: web.Request) -> web.Response:
    """The document of a fax we sent, as a PDF: for its sender, whoever may see its order,
    supervisors and admins."""
    services = request.app[SERVICES]
    notification_id = path_int(request, "id")
    async with read_only(services, current_user(request)) as (db, user):
        row = await db.get(Notification, notification_id)
        if row is None or row.channel != "fax" or services.recordings is None:
            raise UiError("not_found")
        if not await may_see_sent(db, user, row):
            raise UiError("scope.forbidden")
    _, path = fax_out.document_paths(services.recordings, row.id, row.created_at)
    if not path.is_file():
        raise UiError("not_found", "the fax document is gone (retention)")
    pdf = await asyncio.to_thread(_pdf_bytes, path)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="fax-{row.id}.pdf"'},
    )


async def resend(request: web.Request, channel: str) -> web.Response:
    """重发 of a failed SMS, email or fax, for every channel: the same text (a fax: the same
    document) to the same address as a new outbox row; the failure stays on the order's timeline
    beside it, marked with the row that resent it (``resent_as``). Once per failed row: a second
    重发 of it is ``<channel>.already_resent`` (the new row, if it fails too, has its own 重发).
    One whose template could not be filled has nothing to send: ``<channel>.template_failed``.
    Who may: who may send that channel from the order (``knowledge.send`` on the route) and may
    see the row (``may_see_sent``: the order in their scope unless they sent it or supervise)."""
    services = request.app[SERVICES]
    notification_id = path_int(request, "id")
    async with unit_of_work(services, current_user(request)) as (db, user):
        row = await db.get(Notification, notification_id)
        if row is None or row.channel != channel or (channel == "fax" and services.recordings is None):
            raise UiError("not_found")
        if not await may_see_sent(db, user, row):
            raise UiError("scope.forbidden")
        if row.state != "failed":
            raise UiError(f"{channel}.not_failed", f"only a failed {channel} is sent again")
        if template_failed(row.error or ""):
            # sent by itself (entering a step, a contractor's dispatch) from a template that could
            # not be filled: it has no text, and 重发 would send nothing (it was ``message_empty``).
            # The template is fixed, or the message written again from the order.
            raise UiError(
                f"{channel}.template_failed",
                f"this {channel}'s template could not be filled: nothing was sent, nor can be again",
            )
        if row.resent_as is not None:
            raise UiError(f"{channel}.already_resent", f"this failed {channel} was sent again already")
        copy: Path | None = None
        if channel == "fax":
            _, path = fax_out.document_paths(services.recordings, row.id, row.created_at)
            if not path.is_file():
                raise UiError("not_found", "the fax document is gone (retention)")
            copy = services.recordings.kind_dir("fax_out") / f"new-{uuid.uuid4().hex}.tif"
            await asyncio.to_thread(shutil.copyfile, path, copy)
        try:
            again = await send_message(
                db,
                user,
                channel,
                row.recipient,
                row.subject,
                row.body,
                order_id=row.order_id,
                about=("work_order", row.order_id) if row.order_id else None,
                pages=row.pages,
            )
            # Taken by a conditional update, not only by the read above: on PostgreSQL two presses
            # at once (a double click, two agents on the order) both pass that read; the second's
            # update waits for the first's commit, then matches nothing and its copy is rolled back.
            taken = await db.execute(
                update(Notification)
                .where(
                    Notification.id == row.id,
                    Notification.state == "failed",
                    Notification.resent_as.is_(None),
                )
                .values(resent_as=again.id)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                raise UiError(f"{channel}.already_resent", f"this failed {channel} was sent again already")
            if copy is not None:
                fax_out.place(
                    services.recordings, fax_out.FaxDocument(copy, row.pages), again.id, again.created_at
                )
        except BaseException:
            if copy is not None:
                copy.unlink(missing_ok=True)
            raise
    return queued(again)


@routes.post("/api/faxes/{id}/resend")
@requires("knowledge.send")
async def resend_fax(request: web.Request) -> web.Response:
    """重发 a failed fax (``resend``)."""
    return await resend(request, "fax")


def _pdf_bytes(tiff: Path) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        pdf, _pages = tiff_to_pdf(tiff, Path(scratch) / "fax.pdf")
        return pdf.read_bytes()
