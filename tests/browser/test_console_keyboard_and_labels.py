"""The seat page and the wallboard as rendered from their real templates, with the real JS modules in
Chromium, fed the messages their socket would push: no console process and no Asterisk, so it takes
a few seconds. QA findings: F3 (only state changes are announced), F4 (清空 clears the number too),
F8 and round 2 F3 (the wallboard keeps the keyboard focus, also when the seat's call ends), F11 (the hang-up key from the 业务大类别 the answer
focuses), F12 (an outbound call is labelled 外呼 with the number dialled); and the ACW hold of an
unsaved form taken again when the bridge comes back, and said live in every tab's state bar; and the
order page's message template preview (round 2 F4: no "null" for an absent part)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import LANG, ORIGIN, SOCKET, TEXTS, render_page, serve_console
from tests.browser.test_console_story import VIEWPORT

pytestmark = pytest.mark.browser
DIALLED = "13900003333"
INTAKE = {
    "categories": [
        {"name": "信息咨询", "code": "consult", "workflow": "consult", "fields": [], "subcategories": []}
    ],
    "phrases": [],
}

# the 发短信/发邮件 choices of order 7: an SMS template (never a subject) with no blank field, an
# email template with a subject and a blank field
MESSAGES = {
    "limits": {"sms": 70, "subject": 100},
    "sms": {
        "to": "13800003333",
        "templates": [
            {"id": 8, "name": "受理告知短信", "subject": "", "text": "【95598】工单GZ1", "blank": []}
        ],
    },
    "email": {
        "to": "a@example.com",
        "templates": [
            {"id": 9, "name": "受理告知邮件", "subject": "工单受理", "text": "您好", "blank": ["联系人"]}
        ],
    },
}


def _serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path == "/wallboard":
        html = render_page("wallboard.html", sl_seconds="20", short_abandon_seconds="5", may_spy=True)
        route.fulfill(body=html, content_type="text/html; charset=utf-8")
    elif path == "/api/orders/7/messages":
        route.fulfill(json=MESSAGES)
    elif path == "/api/orders/7/messages/preview":
        # the server's preview of the picked template for the form on screen: here, as listed
        asked = route.request.post_data_json
        (template,) = [x for x in MESSAGES[asked["channel"]]["templates"] if x["id"] == asked["template_id"]]
        route.fulfill(json={k: template[k] for k in ("subject", "text", "blank")} | {"problems": {}})
    elif path == "/api/intake":
        route.fulfill(json=INTAKE)
    elif path == "/api/customers/lookup":
        route.fulfill(json={"matches": [], "open_orders": [], "interactions": []})
    else:
        serve_console(route)


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route(f"{ORIGIN}/**", _serve)
    yield page
    ctx.close()
    assert errors == []


def test_the_seat_hangs_up_from_the_category_announces_states_only_and_clears_the_number(page):
    page.goto(f"{ORIGIN}/console")
    page.evaluate(
        SOCKET
        + """(async () => {
            const { StateBar } = await import("/static/js/statebar.js");
            const { bindKeys } = await import("/static/js/keys.js");
            const seat = await import("/static/js/seat.js");
            const bar = new StateBar(window.sock);
            bindKeys(bar);
            window.push("snapshot", { user: { agent_id: "1005" }, agent: { state: "not_ready" }, calls: [] });
            await seat.start({ socket: window.sock, bar });
        })()"""
    )
    caller = page.locator("#intake-caller")
    expect(page.locator("#intake-category")).to_be_attached()

    # F3: the state and its reason are a live region; the ticking timer is in none
    live = """(id) => Boolean(document.getElementById(id).closest(
        '[aria-live]:not([aria-live="off"]), [role=status], [role=alert], [role=log]'))"""
    assert page.evaluate(live, "agent-state") and page.evaluate(live, "state-reason")
    assert not page.evaluate(live, "state-timer")

    # F4: 清空 without a call leaves no number behind for the next customer's order
    caller.fill("13900002222")
    page.locator("#intake-opinion").fill("咨询电价")
    page.locator("#intake-reset").click()
    page.locator("#intake-reset-yes").click()  # asked first: more than the number was typed
    expect(page.locator("#intake-opinion")).to_have_value("")
    expect(caller).to_have_value("")

    # F12: a callback pops as 外呼 with the number dialled, which the form takes
    page.evaluate(
        """(number) => window.push("screen_pop", {
            event: { event: "CallOffered", call_id: "out-1", agent_id: "1005", direction: "outbound",
                     caller: number, dnis: number },
            pop: { matches: [] } })""",
        DIALLED,
    )
    expect(page.locator("#pop-title")).to_have_text("外呼信息")
    expect(page.locator("#pop-caller")).to_have_text(f"外呼 {DIALLED}")
    expect(page.locator("#pop-ivr")).to_have_count(0)
    expect(caller).to_have_value(DIALLED)

    # F11: the answer focuses the 业务大类别; "-" hangs up from there, not from a text field
    page.evaluate(
        """() => {
            window.push("agent_state", { event: { agent_id: "1005", state: "talking", call_id: "out-1" } });
            window.push("call", { event: { event: "CallAnswered", call_id: "out-1", agent_id: "1005", answered_at: 1 } });
        }"""
    )
    expect(page.locator("#intake-category")).to_be_focused()
    page.keyboard.press("-")
    page.wait_for_function("window.sent.includes('hangup')")
    page.locator("#intake-opinion").focus()
    page.keyboard.press("-")
    expect(page.locator("#intake-opinion")).to_have_value("-")
    assert page.evaluate("window.sent.filter((c) => c === 'hangup').length") == 1

    # F4: 清空 during the call puts the call's number back, not what was typed over it
    caller.fill("13900001111")
    page.locator("#intake-reset").click()
    page.locator("#intake-reset-yes").click()  # the "-" typed into the note above is asked about
    expect(caller).to_have_value(DIALLED)


# the holds the page asked for, in order, as "call:hold"
HOLDS = """() => window.commands.filter((c) => c.cmd === "hold_after_call_work")
    .map((c) => `${c.args.call_id}:${c.args.hold}`)"""
START_SEAT = """(snapshot) => (async () => {
    const { StateBar } = await import("/static/js/statebar.js");
    const seat = await import("/static/js/seat.js");
    const bar = new StateBar(window.sock);
    window.push("snapshot", snapshot);
    await seat.start({ socket: window.sock, bar });
})()"""


def _on_call(call_id: str, state: str = "talking", acw_held: bool = False) -> dict:
    return {
        "user": {"agent_id": "1005"},
        "agent": {
            "agent_id": "1005",
            "state": state,
            "reason": "话后处理" if state == "after_call_work" else "",
            "call_id": call_id,
            "acw_held": acw_held,
        },
        "calls": [
            {"call_id": call_id, "caller": "13900004444", "answered_at": 1, "ended": state != "talking"}
        ],
    }


def test_the_seat_holds_its_after_call_work_again_when_the_bridge_comes_back(page):
    """A restarted bridge, or a standby taking over, knows no holds: the seat's socket stays open
    through it and gets no snapshot, only the Asterisk indicator's ``ami``. The form's unsaved input
    must hold the 话后处理 again then (and after a reconnect's snapshot), or its limit ends it."""
    page.goto(f"{ORIGIN}/console")
    page.evaluate(SOCKET)
    page.evaluate(START_SEAT, _on_call("c1"))
    expect(page.locator("#pop-body")).to_have_attribute("data-call-id", "c1")
    page.wait_for_function("() => document.getElementById('intake-caller').value === '13900004444'")
    page.locator("#intake-opinion").fill("咨询电价")  # typed during the call: the form holds it
    page.wait_for_function(f"({HOLDS})().length === 1")
    assert page.evaluate(HOLDS) == ["c1:true"]

    page.evaluate("""() => window.push("ami", { connected: false, reason: "no_active_bridge" })""")
    page.evaluate("""() => window.push("agent_state", { event: { agent_id: "1005", state: "after_call_work",
        previous: "talking", reason: "话后处理", call_id: "c1" } })""")
    assert page.evaluate(HOLDS) == ["c1:true"]  # nobody to tell while no bridge is there
    page.evaluate("""() => window.push("ami", { connected: true })""")  # the new bridge
    page.wait_for_function(f"({HOLDS})().length === 2")
    assert page.evaluate(HOLDS) == ["c1:true", "c1:true"]
    # a reconnected socket starts from a snapshot: the bridge may have restarted meanwhile too
    page.evaluate("(snap) => window.push('snapshot', snap)", _on_call("c1", "after_call_work"))
    page.wait_for_function(f"({HOLDS})().length === 3")
    assert page.evaluate(HOLDS)[-1] == "c1:true"

    # saved or cleared, nothing is held: the bridge's return asks for no hold
    page.locator("#intake-reset").click()
    page.locator("#intake-reset-yes").click()
    page.wait_for_function(f"({HOLDS})().length === 4")
    assert page.evaluate(HOLDS)[-1] == "c1:false"
    page.evaluate("""() => window.push("ami", { connected: true })""")
    page.evaluate("() => new Promise((done) => setTimeout(done, 200))")
    assert len(page.evaluate(HOLDS)) == 4


def test_every_tab_of_the_agent_says_live_why_its_after_call_work_is_held(page):
    """A second tab of the agent's, its own form empty: the hold the other tab's form took during
    the call (``acw_hold``, pushed) explains its 话后处理 outlasting the limit, until it is let go."""
    reason = page.locator("#state-reason")
    page.goto(f"{ORIGIN}/console")
    page.evaluate(SOCKET)
    page.evaluate(START_SEAT, _on_call("c1"))
    expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")

    page.evaluate(
        """() => window.push("acw_hold", { event: { agent_id: "1005", call_id: "c1", held: true } })"""
    )
    expect(reason).to_have_text("")  # still talking: nothing outlasts anything yet
    page.evaluate("""() => window.push("agent_state", { event: { agent_id: "1005", state: "after_call_work",
        previous: "talking", reason: "话后处理", call_id: "c1" } })""")
    expect(reason).to_have_text(TEXTS.get(LANG, "state.acw_held"))
    expect(reason).to_have_attribute("title", TEXTS.get(LANG, "state.acw_held_hint"))

    # another agent's hold, or a release of another call, is not this seat's
    page.evaluate("""() => {
        window.push("acw_hold", { event: { agent_id: "1006", call_id: "c9", held: false } });
        window.push("acw_hold", { event: { agent_id: "1005", call_id: "c0", held: false } });
    }""")
    expect(reason).to_have_text(TEXTS.get(LANG, "state.acw_held"))

    page.evaluate(
        """() => window.push("acw_hold", { event: { agent_id: "1005", call_id: "c1", held: false } })"""
    )
    expect(reason).to_have_text("")  # the hold let go: the state says 话后处理, the reason not again
    expect(reason).to_have_attribute("title", "")
    assert page.evaluate(HOLDS) == []  # this tab's own form held nothing

    # held again while in 话后处理 (a form typed into now), then the snapshot after a reconnect
    page.evaluate(
        """() => window.push("acw_hold", { event: { agent_id: "1005", call_id: "c1", held: true } })"""
    )
    expect(reason).to_have_text(TEXTS.get(LANG, "state.acw_held"))
    page.evaluate(
        "(snap) => window.push('snapshot', snap)", _on_call("c1", "after_call_work", acw_held=False)
    )
    expect(reason).to_have_text("")  # the hold let go: the state says 话后处理, the reason not again


def test_the_wallboard_keeps_the_focus_and_says_which_way_each_call_goes(page):
    page.goto(f"{ORIGIN}/wallboard")
    page.evaluate(
        SOCKET
        + """(async () => {
            const { start } = await import("/static/js/wallboard.js");
            start({ socket: window.sock, bar: { me: "3001" } });
            const now = Date.now() / 1000;
            window.push("board", { server_time: now, staffed_queues: ["service"], queues: [], spies: [],
                agents: [
                    { agent_id: "1005", name: "闫英平", state: "talking", since: now - 30, call_id: "in-1" },
                    { agent_id: "1006", name: "李坐席", state: "not_ready", since: now - 5, reason: "小休" },
                ],
                calls: [{ call_id: "in-1", direction: "inbound", caller: "13800138000", queue: "service",
                          agent_id: "1005", answered_at: now - 25 }] });
        })()"""
    )
    listen = page.locator("#wb-seats .seat[data-agent='1005'] [data-spy=listen]")
    expect(listen).to_be_enabled()
    listen.focus()
    page.evaluate("window.focusedButton = document.activeElement")

    # F12: 1006 calls a customer back: 外呼 and the number from the first ring
    page.evaluate(
        """(number) => {
            window.push("board_call", { event: { event: "CallStarted", call_id: "out-1", direction: "outbound",
                                                 caller: number, dnis: number } });
            window.push("agent_state", { event: { agent_id: "1006", state: "ringing", call_id: "out-1" } });
        }""",
        DIALLED,
    )
    other = page.locator("#wb-seats .seat[data-agent='1006']")
    expect(other.locator(".state")).to_have_text("振铃")
    expect(other.locator(".call")).to_have_text(f"外呼：{DIALLED}")
    expect(page.locator("#wb-seats .seat[data-agent='1005'] .call")).to_have_text(
        "来电：13800138000 · 综合服务"
    )

    # F8: the floor changing around it (a state, a call event, a colleague listening in) leaves
    # the focus on the very same 监听 button
    page.evaluate(
        """() => {
            window.push("board_call", { event: { event: "CallAnswered", call_id: "out-1", agent_id: "1006",
                                                 answered_at: Date.now() / 1000 } });
            window.push("agent_state", { event: { agent_id: "1006", state: "talking", call_id: "out-1" } });
            window.push("board_spy", { event: { spy_id: "s1", supervisor: "3002", supervisor_name: "王班长",
                                                agent_id: "1005", call_id: "in-1", mode: "listen" } });
        }"""
    )
    expect(other.locator(".call-duration")).to_be_visible()
    expect(page.locator("#wb-seats .seat[data-agent='1005'] .spied")).to_have_text("王班长 3002 正在监听")
    assert page.evaluate("document.activeElement === window.focusedButton")
    expect(listen).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_function("window.sent.includes('spy')")

    # R2-F3: the seat's call ends: the focused 监听 becomes unavailable yet keeps the focus, and
    # saying so is all its click does
    listen.focus()
    page.evaluate(
        """() => {
            window.push("agent_state", { event: { agent_id: "1005", state: "after_call_work", reason: "话后处理",
                                                  call_id: "in-1" } });
            window.push("board_call", { event: { event: "CallEnded", call_id: "in-1", agent_id: "1005" } });
        }"""
    )
    expect(listen).to_have_attribute("aria-disabled", "true")
    expect(listen).to_have_attribute("title", TEXTS.get(LANG, "error.agent_not_on_call"))
    assert page.evaluate("document.activeElement === window.focusedButton")
    page.keyboard.press("Enter")
    expect(page.locator("#toasts .toast.refused").last).to_have_text(
        TEXTS.get(LANG, "error.agent_not_on_call")
    )
    assert page.evaluate("window.sent.filter((c) => c === 'spy').length") == 1
    page.evaluate(
        """() => window.push("agent_state", { event: { agent_id: "1005", state: "talking", call_id: "in-2" } })"""
    )
    expect(listen).not_to_have_attribute("aria-disabled", "true")
    expect(listen).to_be_focused()

    # this supervisor's own session: the mode switched to stays focused, pressed and unavailable
    page.evaluate(
        """() => window.push("board_spy", { event: { spy_id: "s2", supervisor: "3001", agent_id: "1006",
                                                     call_id: "out-1", mode: "listen" } })"""
    )
    whisper = other.locator("[data-spy-mode=whisper]")
    whisper.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("window.sent.includes('spy_mode')")
    page.evaluate(
        """() => window.push("board_spy", { event: { spy_id: "s2", supervisor: "3001", agent_id: "1006",
                                                     call_id: "out-1", mode: "whisper" } })"""
    )
    expect(whisper).to_have_attribute("aria-pressed", "true")
    expect(whisper).to_have_attribute("aria-disabled", "true")
    expect(whisper).to_be_focused()
    page.keyboard.press("Enter")
    page.evaluate("() => new Promise((done) => setTimeout(done, 100))")
    assert page.evaluate("window.sent.filter((c) => c === 'spy_mode').length") == 1


def test_the_message_template_preview_shows_only_the_parts_a_template_has(page):
    """R2-F4: an SMS template has no subject and, all fields filled, no warning: its preview is the
    text alone (replaceChildren printed each absent part as "null")."""
    page.goto(f"{ORIGIN}/console")
    page.evaluate(
        """() => (async () => {
            const { mountMessages } = await import("/static/js/order_messages.js");
            const box = document.createElement("div");
            box.id = "messages";
            document.body.append(box);
            await mountMessages(box, { id: 7 }, () => {});
        })()"""
    )
    for channel in ("sms", "email"):
        page.locator(f"#{channel}-mode").select_option("template")
    sms = page.locator("#sms-preview")
    expect(sms).to_be_visible()
    assert page.evaluate("document.getElementById('sms-preview').innerText") == "【95598】工单GZ1"
    assert page.evaluate("document.getElementById('sms-preview').childNodes.length") == 1
    email = page.locator("#email-preview")
    expect(email.locator("b")).to_have_text("工单受理")
    expect(email.locator("[data-blank]")).to_have_attribute("data-blank", "联系人")
    assert "null" not in page.evaluate("document.getElementById('email-preview').innerText")
    assert page.evaluate("document.getElementById('email-preview').childNodes.length") == 3
