"""A console page in Chromium without a console process: its real Jinja template rendered here, its
real static files served from agent_ui/static, and a stand-in socket its modules listen to. The
browser stories that fake the API share this, so each test only answers what it is about; the
stories on a real console share the steps they all take here too (answer_survey)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jinja2
from playwright.sync_api import expect

from agent_ui.templating import punctuation
from agent_ui.texts import Texts
from tests.browser.conftest import VIEWPORT

AGENT_UI = Path(__file__).resolve().parents[2] / "agent_ui"
ORIGIN = "http://seat.test"
LANG = "zh-CN"
TEXTS = Texts()
#: the seat template's own entry modules, served empty: a test imports what it tests by hand
STARTED_BY_HAND = ("/static/js/console.js", "/static/js/campaign_card.js")

# a fake socket the page's modules listen to; the commands they send are kept in window.sent, with
# their arguments in window.commands
SOCKET = """
window.sent = [];
window.commands = [];
window.sock = new EventTarget();
window.sock.connected = true;
window.sock.command = async (cmd, args) => { window.sent.push(cmd); window.commands.push({ cmd, args }); return {}; };
window.push = (type, detail) => window.sock.dispatchEvent(new CustomEvent(type, { detail }));
"""

#: campaign_card.js as a test starts it (serve_console serves it whole), the template's own being
#: served empty (STARTED_BY_HAND)
LIVE_CAMPAIGN_CARD = "/static/js/campaign_card.js?live"
# campaign_card.js started live on the fake socket already on the page (seat_page's)
CAMPAIGN_CARD_ON_SOCKET = """(async () => {
        window.hotline = { socket: window.sock };
        await import("/static/js/campaign_card.js?live");
        await new Promise((r) => setTimeout(r, 150));
    })()"""
# campaign_card.js started live on the seat page, on a new fake socket
START_CAMPAIGN_CARD = SOCKET + CAMPAIGN_CARD_ON_SOCKET


class _User:
    name, staff_no, roles = "测试坐席", "1005", ("agent", "supervisor")
    must_change_password = False

    def can(self, permission: str) -> bool:
        return True


def render_page(name: str, **extra) -> str:
    """agent_ui/templates/``name`` rendered as the console would for a zh-CN supervisor, with the
    template's own globals (``extra`` adds the page's)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(AGENT_UI / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env.get_template(name).render(
        lang=LANG,
        user=_User(),
        csrf="x",
        t=lambda key, **kw: TEXTS.get(LANG, key, **kw),
        reason_text=lambda reason: TEXTS.reason(LANG, reason),
        texts_json=json.dumps(TEXTS.table(LANG), ensure_ascii=False),
        hotline_number="95598",
        site_timezone="Asia/Shanghai",
        pause_reasons=["小休"],
        path=f"/{name}",
        **punctuation(LANG),
        **extra,
    )


def serve_static(route, path: str) -> None:
    """What a test's own routes left: the console's files under /static/ as they are (the entry
    modules in STARTED_BY_HAND empty), 404 for anything else."""
    static = AGENT_UI / path.lstrip("/")
    if path in STARTED_BY_HAND:
        route.fulfill(body="", content_type="text/javascript")
    elif path.startswith("/static/") and static.is_file():
        kind = "text/javascript" if path.endswith(".js") else "text/css"
        route.fulfill(path=str(static), content_type=kind)
    else:
        route.fulfill(status=404, body="")


def serve_console(route) -> None:
    """The route handler of a seat's page faked here: ``/console`` rendered from its template
    (render_page), the console's files for the rest (serve_static). A test that answers an API
    too does so first and leaves the rest to this."""
    url = route.request.url.removeprefix(ORIGIN)
    path = url.split("?")[0]
    if path == "/console":
        route.fulfill(body=render_page("console.html"), content_type="text/html; charset=utf-8")
    elif url == LIVE_CAMPAIGN_CARD:
        route.fulfill(path=str(AGENT_UI / "static/js/campaign_card.js"), content_type="text/javascript")
    else:
        serve_static(route, path)


def console_page(browser, serve, viewport: dict = VIEWPORT, **context) -> tuple:
    """``/console`` opened in a new zh-CN browser context, its every request answered by
    ``serve``, nothing started on it yet: (context, page, the page's script errors). The caller
    closes the context; ``context`` adds to its options."""
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", **context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/console")
    return ctx, page, errors


def state_bar_on_console(browser, serve=serve_console, viewport: dict = VIEWPORT) -> tuple:
    """The seat's page (``/console``, as ``serve`` answers it) with statebar.js on a stand-in
    socket (``window.push`` feeds it, SOCKET), drawn as before its snapshot: (context, page, the
    page's script errors). The caller closes the context."""
    ctx, page, errors = console_page(browser, serve, viewport)
    page.evaluate(
        SOCKET
        + """(async () => {
            const { StateBar } = await import("/static/js/statebar.js");
            new StateBar(window.sock);
        })()"""
    )
    page.wait_for_function("() => document.querySelector('#agent-state').dataset.state === 'connecting'")
    return ctx, page, errors


def seat_page(
    browser,
    serve,
    me: str = "1005",
    agent: dict | None = None,
    calls: list[dict] | None = None,
    viewport: dict = VIEWPORT,
    **context,
) -> tuple:
    """The seat's page of agent ``me`` (``/console``, as ``serve`` answers it) with seat.js
    started on the stand-in socket (SOCKET) and its snapshot pushed: ``agent`` (ready when not
    given) and ``calls``, at the browser's clock. (context, page, the page's script errors); the
    caller closes the context. ``context`` adds to the browser context's options (a timezone)."""
    ctx, page, errors = console_page(browser, serve, viewport, **context)
    page.evaluate(
        SOCKET
        + """(async ([me, agent, calls]) => {
            const { StateBar } = await import("/static/js/statebar.js");
            const seat = await import("/static/js/seat.js");
            const bar = new StateBar(window.sock);
            await seat.start({ socket: window.sock, bar });
            window.push("snapshot", { user: { agent_id: me }, agent, calls, server_time: Date.now() / 1000 });
        })""",
        [me, agent or {"state": "ready"}, calls or []],
    )
    expect(page.locator("#intake-category")).to_be_attached()
    return ctx, page, errors


def bar_after_snapshot(
    browser, me: str, state: str, calls: list[dict], serve=serve_console, since: float = 5
) -> tuple:
    """The seat's bar (state_bar_on_console, as ``serve`` answers the page) after agent ``me``'s
    snapshot: ``state`` for ``since`` seconds, on the first of ``calls`` (none: no call), AMI up.
    (context, page, the page's script errors); the caller closes the context."""
    ctx, page, errors = state_bar_on_console(browser, serve)
    page.evaluate(
        """([me, state, calls, now, since]) => window.push("snapshot", {
            user: { agent_id: me }, server_time: now, ami: { connected: true },
            agent: { state, call_id: calls[0]?.call_id || "", since: now - since }, calls, work: {} })""",
        [me, state, calls, time.time(), since],
    )
    return ctx, page, errors


def consultation_answered(page) -> None:
    """1005 answers 1001's consultation (咨询转接) on call c1: talking, the leg's ``CallAnswered``
    naming the consulting agent, as the stand-in socket brings them."""
    page.evaluate(
        """(now) => {
            window.push("agent_state", { event: { agent_id: "1005", state: "talking", call_id: "c1" } });
            window.push("call", { event: { event: "CallAnswered", agent_id: "1005", call_id: "c1",
                                           answered_at: now, consult_from: "1001" } });
        }""",
        time.time(),
    )


def consultation_completed(page) -> None:
    """The consultation on c1 completed into a transfer (完成转接): 1005's leg announced again
    without ``consult_from``, the caller theirs."""
    page.evaluate(
        """() => window.push("call", { event: { event: "CallAnswered", agent_id: "1005", call_id: "c1",
                                                answered_at: 1, consult_from: "" } })"""
    )


def push_state(page, state: str) -> None:
    """The agent's new state, as the stand-in socket of state_bar_on_console brings it, drawn on
    the bar."""
    page.evaluate("(state) => window.push('agent_state', { event: { state } })", state)
    expect(page.locator("#agent-state")).to_have_attribute("data-state", state)


def answer_survey(survey, answers: dict[str, str], remark: str | None = None) -> None:
    """A 满意度回访 form answered as the customer did: ``survey`` is its locator (the order page's
    ``#survey-form``, order.js; the campaign card's ``#campaign-survey``, campaign_card.js), each
    question's drop-down (``[name=<question>]``) set to its answer in ``answers`` and the remark
    typed when given. Saving it is left to the test, which may look at the form first."""
    for question, answer in answers.items():
        survey.locator(f"[name={question}]").select_option(answer)
    if remark is not None:
        survey.locator("[name=remark]").fill(remark)
