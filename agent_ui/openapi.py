"""The JSON API described as OpenAPI 3 (``/api/openapi.json``) and a plain viewer (``/api/docs``).

The description is built from the route tables, so a route cannot be
forgotten: each documented operation names its permission (from
``roles.requires``) and the error ids it may answer with.
"""

from __future__ import annotations

import inspect
from typing import Any

from aiohttp import web

from agent_ui import roles
from agent_ui.errors import STATUS
from agent_ui.roles import requires
from agent_ui.services import TEMPLATES
from campaigns import store as campaign_store
from campaigns.importer import FIELDS as IMPORT_FIELDS
from ticketing import intake
from ticketing.inbound import SIGNATURE_HEADER
from ticketing.models import ASYNC_KINDS
from ticketing.models.campaigns import CAMPAIGN_KINDS, CAMPAIGN_MODES
from ticketing.workflow import actions

routes = web.RouteTableDef()

_ERROR = {
    "type": "object",
    "required": ["error_id", "message"],
    "properties": {
        "error_id": {"type": "string", "description": "stable identifier, e.g. auth.locked, csrf.invalid"},
        "message": {"type": "string", "description": "in the session's language"},
        "details": {"type": "object"},
    },
}

# Request bodies of the write operations (the rest take no body).
_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/session"): {
        "type": "object",
        "required": ["staff_no", "password"],
        "properties": {
            "staff_no": {
                "type": "string",
                "pattern": "^[0-9]{4,6}$",
                "description": "工号; full-width digits (typed with a Chinese input method) are read as ASCII",
            },
            "password": {"type": "string"},
        },
    },
    ("POST", "/api/session/password"): {
        "type": "object",
        "required": ["current", "new"],
        "properties": {
            "current": {"type": "string"},
            "new": {"type": "string"},
            "confirm": {"type": "string"},
        },
    },
    ("POST", "/api/orders"): {
        "type": "object",
        "required": ["workflow"],
        "properties": {
            "workflow": {"type": "string", "example": "fault_repair"},
            "form": {"type": "object", "description": "field name → value, checked against the create step"},
            "submit": {"type": "boolean", "description": "true: 保存，处理完毕; false: 保存，现在处理"},
            "caller_number": {"type": "string"},
            "customer_id": {"type": "integer"},
            "category": {
                "type": "string",
                "example": "query",
                "description": "the 业务大类别 picked (a top category of the workflow; field_bad_option "
                "otherwise); none: the workflow's. The number follows this category's own pattern where "
                "it has one, else the workflow's",
            },
            "subcategory": {
                "type": "string",
                "description": "one of the category's own; required where the category (or, none "
                "named, the workflow's) has 小类别 at the order's site and the order is submitted, as "
                "the create step's 提交 asks (invalid_fields, subcategory: field_required)",
            },
            "title": {"type": "string"},
            "opinion": {"type": "string"},
            "site_id": {"type": "integer"},
            "interaction_ids": {"type": "array", "items": {"type": "integer"}},
            "call_id": {"type": "string", "description": "the call being handled; linked to the order"},
        },
    },
    ("POST", "/api/campaigns"): {
        "type": "object",
        "required": ["name", "queue"],
        "properties": {
            "name": {"type": "string", "maxLength": campaign_store.MAX_NAME},
            "queue": {
                "type": "string",
                "maxLength": campaign_store.MAX_QUEUE,
                "description": "a hotline queue",
            },
            "kind": {"type": "string", "enum": list(CAMPAIGN_KINDS), "default": "list"},
            "mode": {"type": "string", "enum": list(CAMPAIGN_MODES), "default": "progressive"},
            "windows": {
                "type": "array",
                "items": {"type": "string", "example": "09:00-12:00"},
                "description": "calling windows, HH:MM-HH:MM, not overlapping; full-width digits and "
                "punctuation, 、 and H:MM are read, stored normalised",
            },
            "every_day": {
                "type": "boolean",
                "default": False,
                "description": "the windows hold on rest days and holidays too (a 24×7 line)",
            },
            "max_attempts": {"type": "integer", "minimum": 1},
            "retry_minutes": {"type": "object", "description": "outcome → minutes until the next try"},
            "max_in_flight": {"type": "integer", "minimum": 1},
            "calls_per_second": {
                "type": "number",
                "minimum": campaign_store.rules.MIN_CALLS_PER_SECOND,
                "maximum": campaign_store.rules.MAX_CALLS_PER_SECOND,
            },
            "ring_seconds": {"type": "integer"},
            "offer_minutes": {
                "type": "integer",
                "minimum": campaign_store.rules.MIN_OFFER_MINUTES,
                "maximum": campaign_store.rules.MAX_OFFER_MINUTES,
                "default": campaign_store.rules.DEFAULT_OFFER_MINUTES,
                "description": "preview: minutes an offer nobody dials or skips stays with its agent",
            },
            "script": {"type": "string", "maxLength": campaign_store.MAX_SCRIPT, "description": "话术"},
        },
    },
    ("POST", "/api/campaigns-dnc"): {
        "type": "object",
        "required": ["number"],
        "properties": {
            "number": {
                "type": "string",
                "description": "any spelling (139-1111-2222, +86 …); stored normalised",
            },
            "reason": {"type": "string", "maxLength": campaign_store.MAX_DNC_REASON},
        },
    },
    ("POST", "/api/orders/{key}/survey"): {
        "type": "object",
        "required": ["answers"],
        "properties": {
            "answers": {"type": "object", "description": "dimension name → option label"},
            "remark": {"type": "string"},
        },
    },
    ("POST", "/api/campaign-contacts/{contact_id}/survey"): {
        "type": "object",
        "required": ["answers"],
        "properties": {
            "answers": {"type": "object", "description": "dimension name → option label (the order's)"},
            "remark": {"type": "string", "maxLength": 1000},
        },
    },
    ("POST", "/api/orders/{key}/{action}"): {
        "type": "object",
        "properties": {
            "form": {"type": "object"},
            "opinion": {"type": "string"},
            "to": {"type": "string", "description": "the next node (free routing / several exits)"},
            "handlers": {"type": "array", "items": {"type": "integer"}},
        },
    },
}

_SEND = {
    "type": "object",
    "required": ["channel", "to"],
    "properties": {
        "channel": {"type": "string", "enum": ["sms", "email", "fax"]},
        "to": {"type": "string", "description": "a mobile number (sms), an email address or a fax number"},
        "order_id": {"type": "integer", "description": "the order this was sent for (shown on it)"},
    },
}
_BODIES[("POST", "/api/knowledge/{id}/send")] = _SEND
_BODIES[("POST", "/api/notices/{key}/send")] = _SEND
_BODIES[("POST", "/api/orders/{key}/fax")] = {
    "type": "object",
    "required": ["to"],
    "description": "JSON as here, or multipart/form-data with to, subject and file (a PDF or TIFF)",
    "properties": {
        "to": {"type": "string", "description": "the fax number"},
        "subject": {"type": "string"},
        "text": {"type": "string", "description": "written text (or template_id)"},
        "template_id": {"type": "integer", "description": "a fax template of the order's category"},
    },
}

_ORDER_MESSAGE = {
    "type": "object",
    "required": ["to"],
    "description": "written text (an email's subject required), or template_id; invalid_fields names "
    "what is missing or too long (an SMS 500 characters), template_fields_blank each empty merge field",
    "properties": {
        "to": {"type": "string", "description": "a mobile number (sms) or an email address"},
        "subject": {"type": "string", "maxLength": 200},
        "text": {"type": "string"},
        "template_id": {
            "type": "integer",
            "description": "a manual customer template of the order's category, for a step it is or was at",
        },
        "form": {
            "type": "object",
            "description": "a template's: the order page's fields as on screen (typed, not saved), as 暂存 "
            "takes them; a typed value it reads that 暂存 would refuse is invalid_fields",
        },
        "shown": {
            "type": "object",
            "description": "a template's: the preview read ({subject, text}, POST …/messages/preview); "
            "message_changed when it would now read otherwise",
        },
    },
}
_BODIES[("POST", "/api/orders/{key}/sms")] = _ORDER_MESSAGE
_BODIES[("POST", "/api/orders/{key}/email")] = _ORDER_MESSAGE
_BODIES[("POST", "/api/orders/{key}/messages/preview")] = {
    "type": "object",
    "required": ["channel", "template_id"],
    "properties": {
        "channel": {"type": "string", "enum": ["sms", "email"]},
        "template_id": {"type": "integer"},
        "form": {"type": "object", "description": "the order page's fields as on screen (typed, not saved)"},
    },
}

_BODIES[("POST", "/api/orders/{key}/void")] = {
    "type": "object",
    "required": ["opinion"],
    "description": "作废: closes an invalid or duplicate order as 已作废 (no required content); refused "
    "duplicate_of_itself / duplicate_of_voided, an unknown number invalid_fields duplicate_of",
    "properties": {
        "opinion": {"type": "string", "description": "why the order is void (required)"},
        "duplicate_of": {"type": "string", "description": "the number of the order it repeats (linked)"},
    },
}
_BODIES[("POST", "/api/orders/{key}/extension")] = {
    "type": "object",
    "required": ["due_at", "reason"],
    "description": "延期申请 by the current step's handler; refused extension_no_deadline, "
    "extension_not_later, extension_pending, opinion_required",
    "properties": {
        "due_at": {
            "type": "string",
            "description": "the new deadline, ISO 8601 (2026-11-27T18:30: the order's site's time)",
        },
        "reason": {"type": "string", "maxLength": 2000},
    },
}
_BODIES[("POST", "/api/orders/{key}/extension/{decision}")] = {
    "type": "object",
    "description": "decision approve | refuse (its opinion required); refused extension_not_pending, "
    "maker_checker (one's own request), 403 for who is not the step's approver",
    "properties": {"opinion": {"type": "string", "maxLength": 2000}},
}

_BODIES[("POST", "/api/workflows")] = {
    "type": "object",
    "oneOf": [{"required": ["source"]}, {"required": ["document"]}],
    "description": "the definition as in docs/workflows.md, as YAML (source) or, from the step editor, "
    "as the document it edited (document: GET /api/workflows/{key}/{version}'s, written out as YAML); "
    "its key names the workflow, and the import becomes that key's next version. Refused as "
    "workflow_invalid with details.problems [{id, message}] (every problem, nothing stored)",
    "properties": {
        "source": {"type": "string", "description": "the workflow's YAML text (256 KB at most)"},
        "document": {"type": "object", "description": "the definition as JSON, instead of source"},
    },
}

_ARTICLE = {
    "type": "object",
    "description": "a new article needs title (and body for a text, url for a link or file); an edit "
    "sends the fields to change. Bad values: invalid_fields with details.problems per field",
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "category_id": {"type": "integer", "nullable": True, "description": "a node of the category tree"},
        "kind": {"type": "string", "enum": ["text", "link", "file"]},
        "body": {"type": "string"},
        "url": {"type": "string", "description": "http(s) address of a link, or where the file is"},
        "tags": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "keywords, separated by spaces, commas or 、 (居民 电价)",
        },
        "enabled": {"type": "boolean"},
    },
}
_BODIES[("POST", "/api/knowledge")] = {**_ARTICLE, "required": ["title"]}
_BODIES[("PATCH", "/api/knowledge/{id}")] = {
    **_ARTICLE,
    "required": ["version"],
    "properties": {
        **_ARTICLE["properties"],
        "version": {
            "type": "string",
            "description": "the article's version the editor showed (its version field); another "
            "saved since is kb_article_changed_meanwhile (409, details.version the one now)",
        },
    },
}
_KB_CATEGORY = {
    "type": "object",
    "description": "names are unique among siblings (field_duplicate); bad values: invalid_fields",
    "properties": {
        "name": {"type": "string", "maxLength": 64},
        "parent_id": {
            "type": "integer",
            "nullable": True,
            "description": "an enabled category; none: top level",
        },
    },
}
_BODIES[("POST", "/api/knowledge/categories")] = {**_KB_CATEGORY, "required": ["name"]}
_BODIES[("PATCH", "/api/knowledge/categories/{id}")] = _KB_CATEGORY
_BODIES[("POST", "/api/knowledge/categories/order")] = {
    "type": "object",
    "required": ["ids"],
    "properties": {
        "parent_id": {
            "type": "integer",
            "nullable": True,
            "description": "whose subcategories; none: top level",
        },
        "ids": {"type": "array", "items": {"type": "integer"}, "description": "every one of them, in order"},
    },
}
_BODIES[("POST", "/api/knowledge/categories/{id}/{action}")] = {
    "type": "object",
    "description": "disable: refused as kb_category_has_children while enabled subcategories remain, and as "
    "kb_category_not_empty while it holds articles, unless move_articles_to says where they go",
    "properties": {
        "move_articles_to": {
            "type": "integer",
            "nullable": True,
            "description": "an enabled category; none: 未分类",
        }
    },
}
_SITE_TIME = "2026-11-26T09:00 in the site's time zone (Asia/Shanghai), or ISO 8601 with an offset"
_NOTICE = {
    "type": "object",
    "properties": {
        "site_id": {"type": "integer", "description": "the bureau (a site in the writer's data scope)"},
        "area": {"type": "string", "maxLength": 255, "description": "停电范围: streets, estates, lines"},
        "affected_areas": {
            "type": "array",
            "maxItems": 50,
            "description": "the places out of power, kept with this version; searched by name or code, and the "
            "IVR tells a caller who keys in an area's code. Each (kind, name) once",
            "items": {
                "type": "object",
                "required": ["kind", "name"],
                "properties": {
                    "kind": {"type": "string", "enum": ["line", "transformer_area", "street", "district"]},
                    "name": {"type": "string", "maxLength": 100, "example": "10kV 中关村线"},
                    "code": {
                        "type": "string",
                        "pattern": "^[0-9A-Za-z-]{0,32}$",
                        "description": "台区编号 or 区划代码",
                    },
                },
            },
        },
        "reason": {"type": "string", "maxLength": 255},
        "starts_at": {"type": "string", "description": _SITE_TIME},
        "ends_at": {"type": "string", "description": _SITE_TIME + "; after starts_at"},
        "remark": {"type": "string", "maxLength": 500},
    },
}
_VERSION = {
    "type": "integer",
    "description": "the version the editor showed; another since is notice_changed_meanwhile (409)",
}
_BODIES[("POST", "/api/notices")] = {**_NOTICE, "required": ["site_id", "area", "starts_at", "ends_at"]}
_BODIES[("PATCH", "/api/notices/{key}")] = {
    **_NOTICE,
    "required": ["remark"],
    "description": "the fields to change; saved as a new version, the old one kept as 变更后",
    "properties": {**_NOTICE["properties"], "version": _VERSION},
}
_CLOSE_NOTICE = {
    "type": "object",
    "required": ["remark"],
    "properties": {"remark": {"type": "string", "maxLength": 500}, "version": _VERSION},
}
_BODIES[("POST", "/api/notices/{key}/end")] = _CLOSE_NOTICE
_BODIES[("POST", "/api/notices/{key}/withdraw")] = _CLOSE_NOTICE
_BODIES[("POST", "/api/notices/{key}/undo-end")] = _CLOSE_NOTICE

_BODIES[("POST", "/api/inbox/waiting/close")] = {
    "type": "object",
    "required": ["reason"],
    "oneOf": [{"required": ["ids"]}, {"required": ["all"]}],
    "description": "批量关闭 未分派事件: each closed as POST /api/inbox/{id}/close closes one (audited "
    "event.closed), only those still waiting, in one transaction; answers {closed, ids, skipped: why → "
    "how many (taken, handled, not_found; gone: of all, no longer waiting), skipped_ids}. Refused "
    f"event.too_many past {intake.BULK_CLOSE_LIMIT}, event.waiting_changed when more wait than "
    "confirmed, event.bulk_forbidden for who does not see 未分派事件",
    "properties": {
        "reason": {"type": "string", "maxLength": 200, "description": "one reason for all (required)"},
        "ids": {
            "type": "array",
            "items": {"type": "integer"},
            "maxItems": intake.BULK_CLOSE_LIMIT,
            "description": "the events picked",
        },
        "all": {
            "type": "object",
            "required": ["count", "through"],
            "description": "every waiting event of a 类型 filter, as confirmed",
            "properties": {
                "kind": {"type": "string", "enum": ["", *ASYNC_KINDS], "description": '"": every kind'},
                "count": {"type": "integer", "description": "how many the supervisor confirmed (matched)"},
                "through": {
                    "type": "integer",
                    "description": "GET /api/inbox's waiting.through: the newest event closed",
                },
            },
        },
    },
}

_SUMMARIES = {
    (
        "GET",
        "/api/orders/{key}/candidates",
    ): (
        "Whom the order may go to (q = 工号 or name): for=forward (default, 转派: whom the current step's"
        " operator rules allow), for=reassign (改派), for=next (自由流转's next handler)"
    ),
    ("POST", "/api/knowledge/{id}/send"): "Send a knowledge item by SMS, email or fax (queued in the outbox)",
    ("POST", "/api/notices/{key}/send"): "Send an outage notice by SMS, email or fax (queued in the outbox)",
    ("GET", "/api/orders/{key}/fax"): "The fax templates of the order's category and the number to offer",
    ("POST", "/api/orders/{key}/fax"): "Fax the customer: written text, a template or an uploaded PDF / TIFF",
    (
        "GET",
        "/api/orders/{key}/messages",
    ): "发短信 / 发邮件: per channel the address to offer and the manual templates",
    (
        "POST",
        "/api/orders/{key}/messages/preview",
    ): "A manual template as the message would read with the page's form: subject, text, blank, problems",
    ("POST", "/api/orders/{key}/sms"): "SMS the customer about an order: written text or a manual template",
    (
        "POST",
        "/api/orders/{key}/email",
    ): "Email the customer about an order: subject and text, or a manual template",
    ("GET", "/api/faxes/{id}/pdf"): "The document of a fax we sent, as a PDF",
    ("GET", "/api/session"): "The signed-in user (or null) and the CSRF token for writes",
    ("POST", "/api/session"): "Sign in by 工号 + password (5 failures lock the account for 15 minutes)",
    ("DELETE", "/api/session"): "Sign out",
    ("POST", "/api/session/password"): "Change the password (required at first sign-in)",
    ("GET", "/api/intake"): (
        "The categories offered to the user's site (the shared ones and those of the site and the sites"
        " above it, the nearest level's winning; not those intake does not offer, at_intake false) with"
        " the create step's fields, and the standard phrases"
    ),
    ("GET", "/api/sites"): "Sites (供电局, 管理区) for site fields",
    ("GET", "/api/admin/sites"): "单位管理: every site with its business hours, and the holidays (admins)",
    ("POST", "/api/admin/sites"): "单位管理: create a site (code, name, parent, kind, time zone, hours)",
    ("PATCH", "/api/admin/sites/{id}"): (
        "单位管理: edit a site's name, parent, kind, time zone, hours or make-up day hours; 停用 / 启用 it (enabled;"
        " 停用 once the sites below are, else site_has_open_children; 启用 under an enabled parent,"
        " else site_parent_disabled)"
    ),
    ("DELETE", "/api/admin/sites/{id}"): "单位管理: delete a site nothing refers to (else site_in_use)",
    ("GET", "/api/categories"): "The categories order lists filter by, disabled workflows' included",
    ("GET", "/api/admin/categories"): (
        "业务类别: every category (停用 ones too) with its workflow, orders and visit-back dimensions,"
        " the workflows with the categories each serves, and the sites (admins)"
    ),
    ("POST", "/api/admin/categories"): (
        "业务类别: create a 大类别 or 小类别, shared by every site or an enabled site's own (code, name,"
        " parent_id, site_id: the code of a shared one or of a site's above makes the site's override"
        " of it; workflow_key;"
        " a workflow serving other categories only with confirm, else category_workflow_shared)"
    ),
    ("PATCH", "/api/admin/categories/{id}"): (
        "业务类别: rename (name), 停用 / 启用 (enabled), attach a 大类别 to an enabled workflow"
        " (workflow_key, confirm) or offer it at intake or not (at_intake; false: only the system makes"
        " it, as 派工超时转协调单 makes 协调单); the code never changes, categories are never deleted"
    ),
    ("PUT", "/api/admin/categories/{id}/survey"): (
        "业务类别: a 大类别's visit-back (回访) dimensions, the whole set: {dimensions: [{name, options:"
        " [{label, satisfied}]}], site_id: a site's own set, else the shared one}"
    ),
    ("POST", "/api/orders"): "Create an order (intake)",
    (
        "GET",
        "/api/orders",
    ): "Order lists: list=mine|to_reply|overdue|arrival_overdue|stranded|search, filters, sort, dir, page, size",
    (
        "GET",
        "/api/orders/{key}",
    ): "One order by id or number: fields with this step's permissions, actions, timeline; "
    "reads the caller's own unread 提醒 about it (ScreenAlertsRead)",
    ("POST", "/api/orders/{key}/{action}"): "action = save | submit | approve | reject",
    ("GET", "/api/orders/{key}/survey"): "The visit-back survey's dimensions and earlier results",
    (
        "POST",
        "/api/orders/{key}/survey",
    ): "Record a visit-back (满意度回访); dissatisfied opens a linked complaint",
    ("GET", "/api/workflows"): "流程配置: every workflow with its versions (newest first), the version new "
    "orders start on (current) and the orders still open on each version",
    ("GET", "/api/workflows/{key}/{version}"): "One workflow version: its YAML source and its steps "
    "(type, order status, time limit, exits), its document for the step editor (null when JSON "
    "cannot carry it exactly) and the editor's choices",
    ("GET", "/api/workflows/{key}/{version}/export"): "One workflow version's YAML as a file (text/yaml)",
    ("POST", "/api/workflows"): "Import a workflow definition (YAML) as the next version of its key; "
    "new orders start on it, running orders keep theirs",
    ("POST", "/api/workflows/{key}/{version}/disable"): "停用 a workflow version: new orders start on "
    "the highest version still enabled",
    ("POST", "/api/workflows/{key}/{version}/enable"): "启用 a workflow version again",
}

# Request bodies sent as multipart/form-data (a file upload).
_FORM_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/campaigns/{campaign_id}/import"): {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {
                "type": "string",
                "format": "binary",
                "description": ".csv (UTF-8 or GBK) or .xlsx, 8 MB at most",
            },
            "mapping": {
                "type": "string",
                "description": "JSON: field → column header, fields "
                + ", ".join(IMPORT_FIELDS)
                + " (number required)",
                "example": '{"number": "电话", "name": "姓名"}',
            },
            "commit": {
                "type": "string",
                "enum": ["", "1"],
                "description": "1: add the rows; else only check",
            },
            "checked": {"type": "string", "description": "to add: the checked token of the check's report"},
        },
    },
}

# The SMS gateway's webhooks (``agent_ui.sms_inbound``): no session and no CSRF token, the body
# signed instead; what they take and answer, for whoever sets up the gateway.
_SIGNED_HEADER = {
    "name": SIGNATURE_HEADER,
    "in": "header",
    "required": True,
    "description": "sha256=<hex HMAC-SHA256 of the raw body, keyed with sms_inbound_secret "
    "(HOTLINE_SMS_INBOUND_SECRET)>",
    "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
}
_MACHINE_REFUSALS = {
    "400": "sms.bad_body: the body is not a JSON object",
    "401": "sms.signature: the signature is missing or does not sign this body",
    "403": "sms.inbound_off: no sms_inbound_secret configured (the webhooks are off)",
    "413": "sms.too_large: the body is over the limit",
    "422": "sms.bad_body: a field missing or wrong; field names it",
}
_MACHINE: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/sms/inbound"): {
        "description": "A customer's SMS, as the gateway received it (MO / 上行短信 push). It becomes "
        "an inbox event; a message id stored before is a duplicate, nothing new. A 4xx body was not "
        "taken (do not retry it unchanged); retry a 5xx.",
        "body": {
            "type": "object",
            "required": ["message_id", "from", "text"],
            "properties": {
                "message_id": {"type": "string", "maxLength": 128, "description": "the gateway's id"},
                "from": {"type": "string", "maxLength": 32, "example": "13800000001"},
                "to": {"type": "string", "maxLength": 32, "example": "95598"},
                "text": {"type": "string", "maxLength": 2000},
                "received_at": {
                    "oneOf": [{"type": "string"}, {"type": "number"}],
                    "description": "ISO 8601 with its offset, or epoch seconds (optional)",
                },
            },
        },
        "answers": {
            "201": "stored: {status: stored, event_id}",
            "200": "a message id stored before: {status: duplicate, event_id}",
        },
    },
    ("POST", "/api/sms/status"): {
        "description": "A delivery report of an SMS we sent, naming the id the gateway answered the "
        "send with ({message_id} in its JSON answer). The first outcome is final: a message "
        "delivered, failed or expired keeps it whatever report follows (a repeat or one out of "
        "order answers duplicate or ignored). failed and expired show on the order and tell its "
        "handlers. An id no SMS has (yet) is answered 404 and the report kept: applied if an SMS "
        "gets that id, so it need not be retried.",
        "body": {
            "type": "object",
            "required": ["message_id", "status"],
            "properties": {
                "message_id": {"type": "string", "maxLength": 128},
                "status": {"type": "string", "enum": ["delivered", "failed", "expired"]},
                "reason": {
                    "type": "string",
                    "maxLength": 100,
                    "description": "the gateway's reason code of a failure (error_code is read too)",
                    "example": "UNDELIV",
                },
                "reported_at": {
                    "oneOf": [{"type": "string"}, {"type": "number"}],
                    "description": "when it was delivered / failed / expired: ISO 8601 with its offset, or "
                    "epoch seconds (optional; else when the report came)",
                },
            },
        },
        "answers": {
            "200": "{status: applied | duplicate | ignored, notification_id, delivery: the message's outcome now}",
            "404": "sms.unknown_message: no SMS has this id (yet); the report is kept",
        },
    },
}

# Operations whose success is not JSON: path -> media type.
_MEDIA = {("GET", "/api/workflows/{key}/{version}/export"): "text/yaml"}

WEBSOCKET_DOC = (
    "GET /ws upgrades to a websocket (same-origin, session cookie). The server first sends a "
    "`snapshot`; then pushes `ami`, `agent_state`, `screen_pop`, `call`, `queue`, `order`, `inbox`, "
    "`work`. The client sends `{id, cmd, args}` with cmd in "
    + ", ".join(sorted(roles.COMMAND_PERMISSIONS))
    + " and gets `{type: ack, id, result}` or `{type: refused, id, error_id, message}`."
)


#: operations whose permission lets more roles in than the action itself (ticketing checks who
#: may, and answers 403 to the others): the roles are ticketing's own tuples, one source of truth
_ACTION_ROLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/api/orders/{key}/reassign"): actions.SUPERVISORS,
    ("POST", "/api/orders/{key}/supervise"): actions.SUPERVISORS,
    ("POST", "/api/orders/{key}/force_archive"): actions.ARCHIVERS,
    ("POST", "/api/orders/{key}/void"): actions.VOIDERS,
    ("POST", "/api/inbox/waiting/close"): intake.HANDLES_ANY_EVENT,
}


def _roles(method: str, path: str, permission: str) -> list[str]:
    """The roles that may call the operation: its permission's, narrowed by the action's own check."""
    if permission == roles.PUBLIC:
        return ["anyone"]
    granted = set(roles.PERMISSIONS.get(permission, ()))
    narrowed = _ACTION_ROLES.get((method, path))
    return sorted(granted & set(narrowed) if narrowed is not None else granted)


def build_spec(app: web.Application) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if not path or not (path.startswith("/api/") or path == "/ws") or route.method == "HEAD":
            continue
        if path in ("/api/docs", "/api/openapi.json"):
            continue
        handler = route.handler
        permission = roles.permission_of(handler) or "undeclared"
        method = route.method.upper()
        op: dict[str, Any] = {
            "operationId": handler.__name__,
            "summary": _SUMMARIES.get((method, path))
            or (inspect.getdoc(handler) or handler.__name__).split("\n")[0],
            "x-permission": permission,
            "x-roles": _roles(method, path, permission),
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        _MEDIA.get((method, path), "application/json"): {
                            "schema": {"type": "string"} if (method, path) in _MEDIA else {"type": "object"}
                        }
                    },
                },
                "default": {"description": "error", "content": {"application/json": {"schema": _ERROR}}},
            },
        }
        if path == "/ws":
            op["description"] = WEBSOCKET_DOC
        params = [
            {"name": p.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
            for p in path.split("/")
            if p.startswith("{")
        ]
        if params:
            op["parameters"] = params
        machine = _MACHINE.get((method, path))
        if machine is not None:
            op["description"] = machine["description"]
            op["parameters"] = [_SIGNED_HEADER]
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": machine["body"]}},
            }
            op["responses"] = {
                status: {
                    "description": said,
                    "content": {
                        "application/json": {"schema": {"type": "object"} if int(status) < 400 else _ERROR}
                    },
                }
                for status, said in sorted({**machine["answers"], **_MACHINE_REFUSALS}.items())
            }
            op["x-roles"] = ["the SMS gateway (signed body)"]
        elif method in ("POST", "PUT", "PATCH", "DELETE"):
            op["parameters"] = op.get("parameters", []) + [
                {"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"}}
            ]
            body = _BODIES.get((method, path))
            if body:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            form = _FORM_BODIES.get((method, path))
            if form:
                op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Hotline agent console API",
            "version": "1",
            "description": "Session cookie auth; writes need the X-CSRF-Token header from GET /api/session. "
            "Errors carry a stable error_id; statuses: "
            + ", ".join(f"{k}={v}" for k, v in sorted(STATUS.items())),
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {"Error": _ERROR}},
    }


@routes.get("/api/openapi.json")
@requires("session")
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(build_spec(request.app))


@routes.get("/api/docs")
@requires("session")
async def openapi_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "api_docs.html", {"spec": build_spec(request.app)})
