"""At 1366×768 (the smallest screen the console is made for) the admin's tables fit their panels:
单位管理's list showed 1754 px in a 1344 px panel, its 状态, 编辑, 停用, 删除 and the 节假日 off
screen; 停电信息 lists each notice's 供电局 (it had the filter but not the column). The seat's
bar at 1366 is tests/browser/test_topbar_one_row.py (in Chinese; in English here).

QA #24, in Chinese and in English (the console's language switch): the admin's navigation ran
onto two rows (its setup pages are now under 系统管理); tick boxes sat apart from their words
(含已停用, 含变更前 under theirs, 休息日、节假日也按呼叫时段拨打 on two lines below its box); in
知识库's 分类维护 ↓ and 停用 dropped to the next line; 消息模板's list (and 业务类别's and
流程配置's in English) ran off screen, 流程配置's names a character a line; in English the state
bar's pause reasons read Short bre and, on a call, its parts lay over each other."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from tests.browser.test_topbar_one_row import BUSY, news_in, one_row
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]
SMALL = {"width": 1366, "height": 768}

# the page, its panels and the tables in them: nothing wider than where it is shown
FITS = """(selector) => {
  const doc = document.documentElement;
  const table = document.querySelector(selector);
  const panel = table.closest(".panel");
  const cells = [...table.querySelectorAll("tr:first-child > *")].map((c) => Math.round(c.getBoundingClientRect().right));
  return { page: [doc.scrollWidth, doc.clientWidth], panel: [panel.scrollWidth, panel.clientWidth],
           table: Math.round(table.getBoundingClientRect().width), right: Math.max(...cells) };
}"""


def _fits(page, selector):
    found = page.evaluate(FITS, selector)
    assert found["page"][0] <= found["page"][1], found
    assert found["panel"][0] <= found["panel"][1], found
    assert found["right"] <= SMALL["width"], found
    return found


def test_the_sites_list_fits_at_1366(users_console, browser):  # noqa: F811
    with signed_in(browser, users_console, "9001", viewport=SMALL) as page:
        page.goto(f"{users_console.url}/admin/sites")
        row = page.locator("#site-list tbody tr", has_text="440100").first
        expect(row).to_contain_text("广州市供电局")
        _fits(page, "#site-list")
        for name in ("编辑", "停用", "删除"):  # each action on screen, on a row of its own height
            box = row.get_by_role("button", name=name).bounding_box()
            assert box and box["x"] + box["width"] <= SMALL["width"], (name, box)
        state = row.locator("[data-state]").bounding_box()
        assert state["x"] + state["width"] <= SMALL["width"], state
        holidays = page.locator("#site-holidays-title").bounding_box()
        assert holidays["x"] + holidays["width"] <= SMALL["width"], holidays


def test_the_notices_list_names_each_notices_bureau_and_fits_at_1366(users_console, browser):  # noqa: F811
    with signed_in(browser, users_console, "9001", viewport=SMALL) as page:
        page.goto(f"{users_console.url}/notices")
        header = page.locator("#notice-table thead th").all_inner_texts()
        assert header[0] == "供电局", header
        rows = page.locator("#notice-table tbody tr")
        expect(rows.first).to_be_visible()
        sites = page.locator("#notice-search select[name=site] option").all_inner_texts()
        for bureau in rows.locator("td:first-child").all_inner_texts():
            assert bureau and bureau in [s.strip() for s in sites], (bureau, sites)
        _fits(page, "#notice-table")


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """The demo's users, sites, categories, workflows, templates and knowledge; nothing changed."""
    with seeded_console(tmp_path_factory.mktemp("layout") / "layout.db", demo_only, 1) as server:
        yield server


def _in(page, lang: str) -> None:
    """The page in ``lang``, as the header's language switch sets it."""
    if lang == "en":
        page.click("form[action='/lang'] button")
        expect(page.locator("html")).to_have_attribute("lang", "en")


LANGS = pytest.mark.parametrize("lang", ["zh-CN", "en"])

# the navigation's own entries (its links and the 系统管理 menu's button): their tops and right edges
NAV_ROW = """() => [...document.querySelectorAll(".nav > a, .nav > details > summary")].map((e) => {
  const r = e.getBoundingClientRect();
  return [e.textContent.trim(), Math.round(r.top), Math.round(r.right)];
})"""


@LANGS
def test_the_admins_navigation_is_one_row_and_reaches_every_page(console, browser, screenshots, lang):
    setup = ["/admin/users", "/admin/sites", "/admin/contractors", "/admin/crews", "/admin/print-templates"]
    setup += [
        "/admin/message-templates",
        "/admin/workflows",
        "/admin/categories",
        "/admin/audit",
        "/api/docs",
    ]
    with signed_in(browser, console, "9001", viewport=SMALL) as page:
        _in(page, lang)
        page.goto(f"{console.url}/reports")
        # the work lists with their counts showing, as a busy day has them
        page.evaluate(
            "() => document.querySelectorAll('.nav .badge').forEach((b) => { b.hidden = false; b.textContent = '28'; })"
        )
        row = page.evaluate(NAV_ROW)
        assert len({top for _, top, _ in row}) == 1, row  # one row
        assert max(right for *_, right in row) <= SMALL["width"], row
        menu = page.locator("#nav-admin")
        summary = menu.locator("summary")
        expect(menu.locator("a")).to_have_count(len(setup))
        summary.click()
        for href in setup:  # each page's link shown on screen, its label on one line
            link = menu.locator(f"a[href='{href}']")
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL["width"], (href, box)
            assert box["y"] + box["height"] <= SMALL["height"], (href, box)
            assert link.evaluate("(a) => a.getClientRects().length") == 1, href
        page.screenshot(path=str(screenshots / f"admin-menu-1366-{lang}.png"))
        page.keyboard.press("Escape")  # closed, the focus back on 系统管理
        expect(menu.locator("a").first).to_be_hidden()
        expect(summary).to_be_focused()
        summary.click()
        page.locator("main").click(position={"x": 5, "y": 5})  # a click elsewhere closes it too
        expect(menu.locator("a").first).to_be_hidden()
        summary.click()
        menu.locator("a[href='/admin/categories']").click()
        expect(page).to_have_url(f"{console.url}/admin/categories")
        expect(page.locator("#nav-admin summary")).to_have_attribute("data-current", "true")
        expect(page.locator("#nav-admin a[aria-current=page]")).to_have_attribute("href", "/admin/categories")


@LANGS
@pytest.mark.parametrize("staff_no", ["2001", "3001"])  # 班长, 质量监控员: the work lists, 监控大屏, 报表
def test_a_team_leaders_navigation_is_one_row_with_its_counts(console, browser, lang, staff_no):
    with signed_in(browser, console, staff_no, viewport=SMALL) as page:
        _in(page, lang)
        page.goto(f"{console.url}/lists/mine")
        page.evaluate(
            "() => document.querySelectorAll('.nav .badge').forEach((b) => { b.hidden = false; b.textContent = '128'; })"
        )
        row = page.evaluate(NAV_ROW)
        assert len(row) >= 13, row
        assert len({top for _, top, _ in row}) == 1, row
        assert max(right for *_, right in row) <= SMALL["width"], row


# every tick box shown in the page's main part with words of its own: its words one line, the box
# beside their line (its middle within it)
TICKS = """() => [...document.querySelectorAll("main label")].flatMap((label) => {
  const box = label.querySelector("input[type=checkbox]");
  if (!box || !box.getClientRects().length) return [];
  const lines = [];
  for (const node of label.childNodes) {
    if (node.nodeType !== 3 || !node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    lines.push(...[...range.getClientRects()].filter((r) => r.width > 0).map((r) => [r.top, r.bottom]));
  }
  const b = box.getBoundingClientRect();
  const middle = (b.top + b.bottom) / 2;
  const tops = new Set(lines.map(([top]) => Math.round(top)));
  const beside = lines.length > 0 && lines.every(([top, bottom]) => top <= middle && middle <= bottom);
  return [{ words: label.textContent.trim(), lines: tops.size, beside }];
})"""


@LANGS
@pytest.mark.parametrize(
    "path", ["/knowledge", "/notices", "/campaigns", "/admin/users", "/admin/message-templates"]
)
def test_each_tick_box_sits_beside_its_words_on_one_line(console, browser, lang, path):
    with signed_in(browser, console, "9001", viewport=SMALL) as page:
        _in(page, lang)
        page.goto(f"{console.url}{path}")
        expect(page.locator("main input[type=checkbox]").first).to_be_visible()
        ticks = page.evaluate(TICKS)
        assert ticks, path
        wrong = [t for t in ticks if t["lines"] != 1 or not t["beside"]]
        assert wrong == [], wrong


# 分类维护's rows: where each part of a row is, and whether its name shows whole
CATEGORY_ROWS = """() => [...document.querySelectorAll("#kb-cat-list > li")].map((li) => {
  const row = li.getBoundingClientRect();
  const name = li.querySelector(".kb-cat-name");
  const buttons = [...li.querySelectorAll("button")].map((b) => {
    const r = b.getBoundingClientRect();
    return [b.textContent.trim(), Math.round(r.top), Math.round(r.right), b.getClientRects().length];
  });
  return { row: [Math.round(row.top), Math.round(row.right), Math.round(row.height)], buttons,
           name: name ? [name.textContent, name.scrollWidth <= name.clientWidth, name.title] : null };
})"""


@LANGS
def test_each_knowledge_category_is_one_line_with_its_actions(console, browser, screenshots, lang):
    with signed_in(browser, console, "9001", viewport=SMALL) as page:
        _in(page, lang)
        page.goto(f"{console.url}/knowledge")
        expect(page.locator("#kb-cat-list > li").first).to_be_visible()
        page.screenshot(path=str(screenshots / f"knowledge-1366-{lang}.png"))
        rows = page.evaluate(CATEGORY_ROWS)
        assert len(rows) >= 3, rows
        for found in rows:
            (top, right, height), buttons = found["row"], found["buttons"]
            assert len(buttons) == 4, found  # 改名 ↑ ↓ 停用
            # one line: the four beside each other on the row's line, inside it, none broken
            assert len({b[1] for b in buttons}) == 1 and height < 30, found
            assert all(b[1] >= top and b[2] <= right and b[3] == 1 for b in buttons), found
            name, whole, title = found["name"]
            assert whole and title.startswith(name), found  # the demo's names whole; full in the title


@LANGS
@pytest.mark.parametrize(
    "path, table",
    [
        ("/admin/message-templates", "#msg-list"),
        ("/admin/categories", "#cat-list"),
        ("/admin/workflows", "#wf-list"),
    ],
)
def test_the_admins_lists_fit_at_1366(console, browser, lang, path, table):
    with signed_in(browser, console, "9001", viewport=SMALL) as page:
        _in(page, lang)
        page.goto(f"{console.url}{path}")
        expect(page.locator(f"{table} tbody tr").first).to_be_visible()
        _fits(page, table)
        # every action of every row on screen
        rights = page.locator(f"{table} tbody button, {table} tbody a.link").evaluate_all(
            "(all) => all.map((b) => Math.round(b.getBoundingClientRect().right))"
        )
        assert rights and max(rights) <= SMALL["width"], rights
        if table == "#wf-list":  # a workflow's name on one line (售后 / 报修 broke a character a line)
            lines = page.locator("#wf-list tbody td > strong").evaluate_all(
                "(all) => all.map((s) => [s.textContent, s.getClientRects().length])"
            )
            assert lines and all(n == 1 for _, n in lines), lines


# the pause reasons' list: as wide as it is, and as wide as its longest reason needs
PAUSE_LIST = """() => {
  const list = document.getElementById("pause-reason");
  const shown = list.getBoundingClientRect().width;
  list.style.maxWidth = "none";
  const needed = list.getBoundingClientRect().width;
  list.style.maxWidth = "";
  return [shown, needed];
}"""


@pytest.mark.parametrize("moment", ["after_call_work", "talking"])
def test_the_english_state_bar_is_one_row_its_pause_reasons_whole(console, browser, moment):
    with signed_in(browser, console, "1001", viewport=SMALL) as page:
        _in(page, "en")
        news_in(page)
        shown, needed = page.evaluate(PAUSE_LIST)
        assert shown >= needed, (shown, needed)  # Short break, not Short bre
        page.evaluate(BUSY, moment)
        found = one_row(page)
        parts = found["parts"]
        assert parts[-1][4] <= SMALL["width"], found
        # the state whole (After-call work), 电话 and the events' badge beside each other
        state = page.locator("#agent-state")
        assert state.evaluate("(e) => e.scrollWidth <= e.clientWidth"), state.inner_text()
        ami, banner = page.locator("#ami-status").bounding_box(), page.locator("#inbox-banner").bounding_box()
        assert ami["x"] + ami["width"] <= banner["x"], (ami, banner)


@LANGS
def test_the_workflow_references_table_headings_are_one_line(console, browser, lang):
    """流程定义参考 (its own stylesheet): 必填 had broken into 必 / 填 above a narrow column."""
    with signed_in(browser, console, "9001", viewport=SMALL) as page:
        _in(page, lang)
        page.goto(f"{console.url}/admin/workflows/reference")
        headings = page.locator(".doc-body table.grid th")
        expect(headings.first).to_be_visible()
        lines = headings.evaluate_all(
            """(all) => all.map((th) => {
                const range = document.createRange();
                range.selectNodeContents(th);
                // a line: the boxes whose middles lie within the first box of it (<code> sits a
                // pixel or two off the words beside it)
                const lines = [];
                for (const r of [...range.getClientRects()].filter((r) => r.width > 0)) {
                    const middle = (r.top + r.bottom) / 2;
                    if (!lines.some((l) => l.top < middle && middle < l.bottom)) lines.push(r);
                }
                return [th.textContent.trim(), lines.length];
            })"""
        )
        assert all(n == 1 for _, n in lines), [line for line in lines if line[1] != 1]
