// Knowledge base (tree + search) and outage notices (time range, bureau, area). Those who may
// write them (knowledge.write, notice.write) also get the editors: articles are written, edited
// and disabled, categories added, renamed, ordered and disabled; a notice is published, revised (a new version, the old kept), ended or withdrawn.
import { offerOpenSites, saveRecord } from "./admin_register.js";
import { api, el, fmtTime, once, safeHref } from "./api.js";
import { paren, t } from "./i18n.js";
import { NOTICE_STATES as STATES } from "./notice_states.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);

export async function start() {
  if ($("kb-search")) return startKb();
  if ($("notice-search")) return startNotices();
}

async function startKb() {
  const form = $("kb-search");
  const canWrite = Boolean($("kb-results").dataset.canWrite);
  let last = {};
  const run = async (query = last) => {
    last = query;
    try {
      const data = await api("/api/knowledge", { query: { ...query, disabled: canWrite && form.disabled?.checked ? "1" : "" } });
      renderTree(data.tree, query.category);
      if (canWrite) fillCategories(data.tree);
      const show = (a) => article(a, canWrite, run);
      // nothing asked yet (no words, no category): a prompt, not 没有找到 for a search never made
      const searched = Boolean(String(query.q || "").trim());
      const asked = searched || Boolean(query.category);
      const nothing = !asked ? t("kb.prompt") : query.category && !searched ? t("kb.category_empty") : t("kb.none");
      // a search lists any article holding any of the words, the best first (the server's order):
      // said above the list, so the agent reads the first one first
      const ranked = searched ? [el("p", { class: "muted", id: "kb-ranked" }, t("kb.ranked"))] : [];
      $("kb-results").replaceChildren(...(data.items.length ? [...ranked, ...data.items.map(show)] : [el("p", { class: "muted", id: "kb-nothing", "data-asked": asked ? "yes" : "no" }, nothing)]));
    } catch (err) { toast(err.message, "refused"); }
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); run({ q: form.q.value }); });
  $("kb-tree").addEventListener("click", (e) => {
    const id = e.target.closest("[data-category]")?.dataset.category;
    if (id) { e.preventDefault(); run({ category: id }); }
  });
  if (canWrite) {
    const reloadCategories = startCategories(run);
    // a saved article may change a category's count
    startKbEditor(async () => { await run(); await reloadCategories(); });
  }
  run({});
}

// the category browsed is marked (aria-current, bold): the agent sees whose articles are listed
function renderTree(nodes, current) {
  const children = (parent) => nodes.filter((n) => (n.parent_id ?? null) === parent);
  const picked = (n) => current !== undefined && current !== null && String(n.id) === String(current);
  const build = (parent) => {
    const kids = children(parent);
    return kids.length ? el("ul", {}, kids.map((n) => el("li", {}, el("a", { href: "#", "data-category": n.id,
      ...(picked(n) ? { "aria-current": "true", class: "current", style: "font-weight: bold; background: #e6f0ff; border-radius: 3px; padding: 0 4px" } : {}) }, n.name), build(n.id)))) : null;
  };
  $("kb-tree").replaceChildren(build(null) || el("p", { class: "muted" }, "—"));
}

function article(a, canWrite, rerun) {
  return el("article", { class: a.enabled ? "card" : "card muted", "data-article": a.id },
    el("h3", {}, a.title, a.enabled ? null : el("small", {}, paren(t("kb.disabled")))),
    a.kind !== "text" && a.url ? (safeHref(a.url) ? el("a", { href: safeHref(a.url), target: "_blank", rel: "noopener" }, a.url) : el("span", { class: "muted" }, a.url)) : null,
    el("div", { class: "wrap", style: "white-space: pre-wrap" }, a.body),
    el("small", { class: "muted" }, articleMeta(a)),
    canWrite ? el("p", {},
      el("button", { type: "button", class: "link", onclick: () => editArticle(a) }, t("kb.edit")), " ",
      el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => toggleArticle(a, rerun)) }, t(a.enabled ? "kb.disable" : "kb.enable"))) : null,
    a.enabled ? sendForm(`/api/knowledge/${a.id}/send`) : null);
}

// an article's keywords and when it was last saved; no keywords: the time alone
const articleMeta = (a) => [a.tags, fmtTime(a.updated_at)].filter(Boolean).join(" · ");

// The editors' forms are novalidate: a blank required field (or a bad time) is told as the server
// tells one, in the page's words (表单有误：标题（必填）), not by the browser's own bubble. True
// when something was told (and the first such field has the focus).
function toldMissing(form) {
  const missing = [...form.elements].filter((input) => input.willValidate && !input.checkValidity());
  if (!missing.length) return false;
  for (const input of missing) input.setAttribute("aria-invalid", "true");
  const label = (input) => input.closest("label")?.firstChild?.textContent.trim() || input.name;
  // besides a blank, only a half-typed time can be invalid in these forms
  const problem = (input) => t(input.validity.valueMissing ? "problem.field_required" : "problem.field_bad_time");
  toast(t("error.invalid_fields", { fields: missing.map((input) => `${label(input)}${paren(problem(input))}`).join("、") }), "refused");
  missing[0].focus();
  return true;
}

// 知识维护: the editor beside the results (a new article, or the one 编辑 loaded into it). An
// edit names the version it loaded; if someone saved the article since, the save is refused
// (kb_article_changed_meanwhile) and nothing is lost: the editor keeps this user's text and shows
// the article as it is now, to load it (giving up these changes) or to merge by hand and save
// again on top of it.
function startKbEditor(rerun) {
  const editor = $("kb-editor");
  let latest = null;
  editor.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const input of editor.querySelectorAll("input, textarea, select")) input.removeAttribute("aria-invalid");
    if (toldMissing(editor)) return;
    const body = {
      title: editor.title.value, category_id: editor.category_id.value ? Number(editor.category_id.value) : null,
      kind: editor.kind.value, tags: editor.tags.value, url: editor.url.value, body: editor.body.value,
      enabled: editor.enabled.checked,
    };
    for (const input of editor.querySelectorAll("input, textarea, select")) input.removeAttribute("aria-invalid");
    const id = editor.id.value;
    // a second press: a second article, or this edit refused as changed meanwhile by itself
    await once(editor, async () => {
      try {
        if (id) await api(`/api/knowledge/${id}`, { method: "PATCH", body: { ...body, version: editor.version.value || undefined } });
        else await api("/api/knowledge", { method: "POST", body });
      } catch (err) {
        if (err.errorId === "kb_article_changed_meanwhile") {
          latest = await api(`/api/knowledge/${id}`).catch(() => null);
          showConflict(latest);
        }
        for (const name of Object.keys(err.details?.problems || {})) editor.elements.namedItem(name)?.setAttribute?.("aria-invalid", "true");
        toast(err.message, "refused");
        return;
      }
      editor.reset();
      toast(t("kb.saved"), "ok");
      await rerun();
    });
  });
  $("kb-conflict-load").addEventListener("click", () => {
    if (latest) editArticle(latest);
    hideConflict();
  });
  $("kb-conflict-keep").addEventListener("click", () => {
    // the user merges the other edit into their text by hand: the next save is on top of it
    if (latest) editor.version.value = latest.version;
    hideConflict();
    toast(t("kb.conflict_kept"), "ok");
    editor.body.focus();
  });
  editor.addEventListener("reset", () => {
    setTimeout(() => { editor.id.value = ""; editor.version.value = ""; }, 0);
    hideConflict();
    for (const input of editor.querySelectorAll("input, select, textarea")) input.removeAttribute("aria-invalid");
    $("kb-editor-title").textContent = t("kb.new");
  });
}

function fillCategories(tree) {
  const select = $("kb-editor").category_id;
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, t("kb.no_category")),
    ...inTreeOrder(tree).map(({ node, depth }) => el("option", { value: node.id }, `${"\u3000".repeat(depth)}${node.name}`)));
  select.value = chosen;
}

// 分类维护: the whole tree (disabled categories too) with rename, ↑ ↓, 停用 / 启用; the form below
// adds a category or saves the one 改名 loaded into it (its name and parent).
function startCategories(rerunSearch) {
  const editor = $("kb-cat-editor");
  let categories = [];
  const reload = async () => {
    try {
      categories = (await api("/api/knowledge/categories")).items;
    } catch (err) { toast(err.message, "refused"); return; }
    renderCategoryList(categories, { edit, move, toggle });
    const chosen = editor.parent_id.value;
    editor.parent_id.replaceChildren(el("option", { value: "" }, t("kb.cat.top")),
      ...inTreeOrder(categories).filter(({ node }) => node.enabled)
        .map(({ node, depth }) => el("option", { value: node.id }, `${"\u3000".repeat(depth)}${node.name}`)));
    editor.parent_id.value = chosen;
  };
  const changed = async (text) => {
    toast(text, "ok");
    await reload();
    await rerunSearch();
  };
  const edit = (c) => {
    editor.id.value = c.id;
    editor.name.value = c.name;
    editor.parent_id.value = c.parent_id ?? "";
    $("kb-cat-save").textContent = t("kb.save");
    editor.name.focus();
  };
  // ↑ / ↓: swap with the sibling before or after, then save the siblings' whole order
  const move = async (c, step) => {
    const siblings = categories.filter((n) => (n.parent_id ?? null) === (c.parent_id ?? null)).map((n) => n.id);
    const at = siblings.indexOf(c.id);
    if (at + step < 0 || at + step >= siblings.length) return;
    [siblings[at], siblings[at + step]] = [siblings[at + step], siblings[at]];
    try {
      await api("/api/knowledge/categories/order", { method: "POST", body: { parent_id: c.parent_id ?? null, ids: siblings } });
      await changed(t("kb.cat.saved"));
    } catch (err) { toast(err.message, "refused"); }
  };
  // 停用 an empty category at once; one holding articles asks where they go first
  const toggle = async (c, moveTo) => {
    const action = c.enabled ? "disable" : "enable";
    const body = moveTo === undefined ? {} : { move_articles_to: moveTo };
    try {
      await api(`/api/knowledge/categories/${c.id}/${action}`, { method: "POST", body });
      await changed(t("kb.cat.saved"));
    } catch (err) { toast(err.message, "refused"); }
  };
  editor.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const input of editor.querySelectorAll("input, select")) input.removeAttribute("aria-invalid");
    if (toldMissing(editor)) return;
    const body = { name: editor.name.value, parent_id: editor.parent_id.value ? Number(editor.parent_id.value) : null };
    if (await saveRecord(editor, "/api/knowledge/categories", body, t("kb.cat.saved"))) {
      await reload();
      await rerunSearch();
    }
  });
  editor.addEventListener("reset", () => {
    setTimeout(() => { editor.id.value = ""; }, 0);
    for (const input of editor.querySelectorAll("input, select")) input.removeAttribute("aria-invalid");
    $("kb-cat-save").textContent = t("kb.cat.add");
  });
  reload();
  return reload;
}

// the categories depth-first, each parent before its children, siblings in their order
function inTreeOrder(categories) {
  const out = [];
  const walk = (parent, depth) => {
    for (const node of categories.filter((n) => (n.parent_id ?? null) === parent)) {
      out.push({ node, depth });
      walk(node.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

function renderCategoryList(categories, { edit, move, toggle }) {
  const targets = categories.filter((n) => n.enabled);
  const row = ({ node: c, depth }) => {
    // one line a category: its count, then its name, give way, cut with … (whole in the name's
    // title), and 改名 ↑ ↓ 停用 stay together beside them (at 1366 px ↓ and 停用 had dropped to the next line)
    const count = paren(`${t("kb.cat.articles", { count: c.articles })}${c.enabled ? "" : ` · ${t("kb.disabled")}`}`);
    const li = el("li", { "data-kb-category": c.id, class: c.enabled ? "" : "muted", style: `margin-left: ${depth * 1.2}em` },
      el("span", { class: "kb-cat-name", title: `${c.name}${count}` }, c.name), el("small", { class: "muted kb-cat-count" }, count),
      el("span", { class: "kb-cat-actions" },
        el("button", { type: "button", class: "link", onclick: () => edit(c) }, t("kb.cat.rename")), " ",
        el("button", { type: "button", class: "link", "aria-label": t("kb.cat.up"), title: t("kb.cat.up"), onclick: () => move(c, -1) }, "↑"), " ",
        el("button", { type: "button", class: "link", "aria-label": t("kb.cat.down"), title: t("kb.cat.down"), onclick: () => move(c, 1) }, "↓"), " ",
        el("button", { type: "button", class: "link", onclick: (e) => (c.enabled && c.articles ? askWhereTo(li, c) : once(e.currentTarget, () => toggle(c))) },
          t(c.enabled ? "kb.disable" : "kb.enable"))));
    return li;
  };
  const askWhereTo = (li, c) => {
    if (li.querySelector("form")) return;
    const target = el("select", { name: "move_articles_to", "aria-label": t("kb.cat.move_to") },
      el("option", { value: "" }, t("kb.no_category")),
      ...targets.filter((n) => n.id !== c.id).map((n) => el("option", { value: n.id }, n.name)));
    const form = el("form", { class: "inline" }, el("span", {}, t("kb.cat.move_to")), " ", target, " ",
      el("button", { type: "submit", class: "btn" }, t("kb.cat.move_and_disable")));
    form.addEventListener("submit", (e) => { e.preventDefault(); once(form, () => toggle(c, target.value ? Number(target.value) : null)); });
    li.append(form);
  };
  $("kb-cat-list").replaceChildren(...inTreeOrder(categories).map(row));
}

function showConflict(a) {
  $("kb-conflict-title").textContent = a ? a.title : "";
  $("kb-conflict-body").textContent = a ? (a.kind === "text" ? a.body : a.url) : "";
  $("kb-conflict-meta").textContent = a ? articleMeta(a) : "";
  $("kb-conflict-load").hidden = $("kb-conflict-keep").hidden = !a;
  $("kb-conflict").hidden = false;
  $("kb-conflict").scrollIntoView({ block: "nearest" });
}

function hideConflict() {
  $("kb-conflict").hidden = true;
}

function editArticle(a) {
  const editor = $("kb-editor");
  hideConflict();
  editor.id.value = a.id;
  editor.version.value = a.version ?? "";
  for (const k of ["title", "kind", "tags", "url", "body"]) editor[k].value = a[k] ?? "";
  editor.category_id.value = a.category_id ?? "";
  editor.enabled.checked = a.enabled;
  $("kb-editor-title").textContent = `${t("kb.edit")} · ${a.title}`;
  editor.title.focus();
}

async function toggleArticle(a, rerun) {
  try {
    await api(`/api/knowledge/${a.id}/${a.enabled ? "disable" : "enable"}`, { method: "POST" });
    toast(t("kb.saved"), "ok");
  } catch (err) { toast(err.message, "refused"); }
  await rerun();
}

// 发送给客户: SMS to a mobile number, email to an address, or a fax (the item's text on fax
// pages) to a fax number; the server queues it in the outbox. The channel picked is the one sent
// by: an address typed under 短信 is refused (短信只能发送到手机号码…), not sent as an e-mail (QA #13:
// typing @ turned a pick of 短信 into 邮件, and the toast named no channel)
function sendForm(url) {
  const to = el("input", { name: "to", size: 26, required: true, "aria-label": t("kb.send_to"), placeholder: t("kb.send_to") });
  const channel = el("select", { name: "channel", "aria-label": t("kb.channel") },
    el("option", { value: "sms" }, t("kb.channel_sms")), el("option", { value: "email" }, t("kb.channel_email")),
    el("option", { value: "fax" }, t("kb.channel_fax")));
  // from the seat page or an order (?to=caller&order=id): the number is filled in, the order noted
  const params = new URLSearchParams(location.search);
  if (params.get("to")) to.value = params.get("to");
  const orderId = Number(params.get("order")) || undefined;
  const form = el("form", { class: "send inline", "data-send": url }, channel, to,
    el("button", { class: "btn", type: "submit" }, t("kb.send")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    // a second press would send the customer the item twice
    once(form, async () => {
      try {
        const row = await api(url, { method: "POST", body: { channel: channel.value, to: to.value, order_id: orderId } });
        toast(row.channel === "fax" ? t("fax.queued", { to: row.recipient, pages: row.pages }) : t("kb.sent", { to: row.recipient, channel: t(`kb.channel_${row.channel}`) }), "ok");
      } catch (err) { toast(err.message, "refused"); }
    });
  });
  return form;
}

const stateText = (state) => (STATES[state] ? t(STATES[state]) : state);
// a stored (UTC) time as a datetime-local value in the site's time zone
const localInput = (iso) => (iso ? fmtTime(iso).slice(0, 16).replace(" ", "T") : "");

async function startNotices() {
  const form = $("notice-search");
  const canWrite = Boolean($("notice-table").dataset.canWrite);
  const editor = $("notice-editor");
  // the page lists the sites (供电所 under their 局; the editor only those this user may write
  // for): the history names a version's site from them
  const sites = new Map([...form.site.options].filter((o) => o.dataset.id).map((o) => [Number(o.dataset.id), o.textContent.trim()]));
  const run = async () => {
    const query = { from: form.from.value, to: form.to.value, site: form.site.value, area: form.area.value, changed: form.changed.checked ? "1" : "" };
    try {
      const data = await api("/api/notices", { query });
      // the dates the list is for (left empty: today and the next 7 days, the server's default)
      [form.from.value, form.to.value] = [data.from, data.to];
      // 已结束 (the server's word: its end has passed) is history: no 发送, no 变更 or 提前结束
      $("notice-table").querySelector("tbody").replaceChildren(...data.items.map((n) => el("tr", { "data-key": n.key, class: n.state === "发布中" ? "" : "muted" },
        // its 供电局 (the filter chooses by it: the list shows it), by the name the page lists it under
        el("td", { class: "wrap", "data-site": n.site_id ?? "" }, sites.get(n.site_id) || ""),
        el("td", { class: "wrap" }, n.area, areaList(n.affected_areas)), el("td", { class: "wrap" }, n.reason), el("td", {}, fmtTime(n.starts_at)),
        el("td", {}, fmtTime(n.ends_at)), el("td", {}, stateText(n.state)), el("td", { class: "wrap" }, n.remark, withdrawnBy(n)),
        el("td", {}, n.state === "发布中" ? sendForm(`/api/notices/${encodeURIComponent(n.key)}/send`) : n.state === "已结束" ? t("notice.ended_no_send") : ""),
        el("td", {},
          el("button", { type: "button", class: "link", onclick: () => showHistory(n.key, sites) }, t("notice.history")),
          canWrite ? noticeActions(n, run) : null))));
    } catch (err) { toast(err.message, "refused"); }
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  if (canWrite) startNoticeEditor(run);
  // from a pop or an order (?site=code): the list of the notices covering the caller's site
  const asked = new URLSearchParams(location.search).get("site");
  if (asked && [...form.site.options].some((o) => o.value === asked)) form.site.value = asked;
  run();
}

// A writer's buttons on a row: 变更 and 撤销 while it is published; 提前结束 only once the outage
// has begun (one still to come is withdrawn or changed, not ended: notice_not_started); on the
// version 提前结束 made, 撤销提前结束 while the end it had is still to come (ended_early_from), so
// an outage ended by mistake is told to callers again rather than left as history.
function noticeActions(n, rerun) {
  const button = (key, onclick) => [" ", el("button", { type: "button", class: "link", "data-action": key, onclick }, t(`notice.${key}`))];
  const close = (action) => (e) => once(e.currentTarget, () => closeNotice(n, action, rerun));
  if (n.state === "已结束") return n.ended_early_from ? button("undo_end", close("undo_end")) : null;
  if (n.state !== "发布中") return null;
  return [
    ...button("revise", () => reviseNotice(n)),
    ...(Date.parse(n.starts_at) <= Date.now() ? button("end", close("end")) : []),
    ...button("withdraw", close("withdraw")),
  ];
}

// 撤销 (含变更前 lists the withdrawn version, 已删除): who withdrew it and when, under its remark
const withdrawnBy = (n) => (n.state === "已删除" ? el("div", { class: "muted", "data-withdrawn-by": "" },
  t("notice.withdrawn_by", { who: n.created_by ? `${n.created_by.name}${paren(n.created_by.staff_no)}` : "", at: fmtTime(n.created_at) })) : null);

async function showHistory(key, sites) {
  try {
    const data = await api(`/api/notices/${encodeURIComponent(key)}`);
    const panel = $("notice-history");
    panel.querySelector("tbody").replaceChildren(...data.versions.map((v) => el("tr", { class: v.state === "发布中" ? "" : "muted" },
      el("td", {}, `v${v.version}`), el("td", {}, stateText(v.state)), el("td", {}, sites.get(v.site_id) ?? ""),
      el("td", { class: "wrap" }, v.area, areaList(v.affected_areas)), el("td", { class: "wrap" }, v.reason), el("td", {}, fmtTime(v.starts_at)),
      el("td", {}, fmtTime(v.ends_at)), el("td", { class: "wrap" }, v.remark),
      el("td", {}, v.created_by ? `${v.created_by.name}${paren(v.created_by.staff_no)}` : ""), el("td", {}, fmtTime(v.created_at)))));
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
  } catch (err) { toast(err.message, "refused"); }
}

// 停电信息录入: publish a new notice, or (变更) save the loaded one as its next version
function startNoticeEditor(rerun) {
  const editor = $("notice-editor");
  offerOpenSites(editor.site_id);
  editor.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const input of editor.querySelectorAll("input, select, fieldset")) input.removeAttribute("aria-invalid");
    if (toldMissing(editor)) return;
    const body = {
      site_id: editor.site_id.value ? Number(editor.site_id.value) : null, area: editor.area.value,
      affected_areas: editedAreas(), reason: editor.reason.value, starts_at: editor.starts_at.value, ends_at: editor.ends_at.value, remark: editor.remark.value,
    };
    // a second press: the notice published twice, or this revision refused as a stale version
    await once(editor, async () => {
      try {
        if (editor.key.value) {
          const saved = await api(`/api/notices/${encodeURIComponent(editor.key.value)}`, { method: "PATCH", body: { ...body, version: Number(editor.version.value) } });
          toast(t("notice.revised", { version: saved.version }), "ok");
        } else {
          await api("/api/notices", { method: "POST", body });
          toast(t("notice.published"), "ok");
        }
      } catch (err) {
        for (const name of Object.keys(err.details?.problems || {})) editor[name]?.setAttribute("aria-invalid", "true");
        toast(err.message, "refused");
        return;
      }
      editor.reset();
      await rerun();
    });
  });
  $("notice-area-add").addEventListener("click", () => {
    $("notice-area-rows").append(areaRow());
    $("notice-area-rows").lastElementChild.querySelector("input").focus();
  });
  editor.addEventListener("reset", () => {
    setTimeout(() => { editor.key.value = ""; editor.version.value = ""; offerOpenSites(editor.site_id); }, 0);
    $("notice-area-rows").replaceChildren();
    for (const input of editor.querySelectorAll("input, select, fieldset")) input.removeAttribute("aria-invalid");
    editor.remark.required = false;
    $("notice-editor-title").textContent = t("notice.new");
    $("notice-save").textContent = t("notice.publish");
  });
}

function reviseNotice(n) {
  const editor = $("notice-editor");
  editor.key.value = n.key;
  editor.version.value = n.version;
  editor.site_id.value = n.site_id ?? "";
  offerOpenSites(editor.site_id); // a 停用 site stays offered to the notice already of it
  editor.area.value = n.area;
  $("notice-area-rows").replaceChildren(...(n.affected_areas || []).map(areaRow));
  editor.reason.value = n.reason;
  editor.starts_at.value = localInput(n.starts_at);
  editor.ends_at.value = localInput(n.ends_at);
  editor.remark.value = "";
  editor.remark.required = true; // a revision says why
  $("notice-editor-title").textContent = `${t("notice.revise")} · v${n.version} · ${n.area}`;
  $("notice-save").textContent = t("notice.save_revision");
  editor.remark.focus();
}

// 影响区域: each a kind (线路, 台区, 街道/小区, 区县), a name and the code callers may key in
const AREA_KINDS = ["line", "transformer_area", "street", "district"];

function areaRow(area = {}) {
  const kind = el("select", { name: "area_kind", "aria-label": t("notice.area_kind") },
    ...AREA_KINDS.map((k) => el("option", { value: k }, t(`notice.kind.${k}`))));
  kind.value = area.kind || "line";
  const name = el("input", { name: "area_name", maxlength: 100, "aria-label": t("notice.area_name"), placeholder: t("notice.area_name") });
  name.value = area.name || "";
  const code = el("input", { name: "area_code", maxlength: 32, size: 10, "aria-label": t("notice.area_code"), placeholder: t("notice.area_code") });
  code.value = area.code || "";
  const row = el("div", { class: "inline", "data-area-row": "" }, kind, " ", name, " ", code, " ",
    el("button", { type: "button", class: "link", onclick: () => row.remove() }, t("notice.area_remove")));
  return row;
}

function editedAreas() {
  return [...$("notice-area-rows").querySelectorAll("[data-area-row]")]
    .map((row) => ({ kind: row.querySelector("select").value, name: row.querySelector("[name=area_name]").value.trim(), code: row.querySelector("[name=area_code]").value.trim() }))
    .filter((a) => a.name);
}

function areaList(areas) {
  if (!areas?.length) return null;
  return el("div", { class: "muted" }, areas.map((a) => `${t(`notice.kind.${a.kind}`)} ${a.name}${a.code ? paren(a.code) : ""}`).join(" · "));
}

// 提前结束 (power is back: a new version ending now), 撤销 (withdrawn) or 撤销提前结束 (the end it
// had, back); each needs a remark, typed: the prompt starts empty, so Enter alone ends nothing
// (the server refuses a blank remark in its words), and it says what the action does to whom.
const CLOSE = {
  end: { ask: "notice.end_prompt", done: "notice.ended" },
  withdraw: { ask: "notice.remark_prompt", done: "notice.withdrawn" },
  undo_end: { ask: "notice.undo_end_prompt", done: "notice.end_undone", path: "undo-end" },
};

async function closeNotice(n, action, rerun) {
  const { ask, done, path = action } = CLOSE[action];
  const remark = prompt(t(ask, { area: n.area, starts: fmtTime(n.starts_at), ends: fmtTime(n.ended_early_from) }), "");
  if (remark === null) return;
  try {
    await api(`/api/notices/${encodeURIComponent(n.key)}/${path}`, { method: "POST", body: { remark, version: n.version } });
    toast(t(done), "ok");
  } catch (err) { toast(err.message, "refused"); }
  await rerun();
}
