// Async events: open them, turn one into a new pre-filled order, or link it to an existing order.
import { api, el, emptyRow, fmtTime, leave, once } from "./api.js";
import { comma, queueName, t } from "./i18n.js";
import { mediaElement } from "./media.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
let workflows = null; // null: this user takes no new orders (a bureau's handler), so none is offered

let seat = null; // the console's socket: 回拨 dials from the agent's seat through it

export async function start({ socket }) {
  seat = socket;
  if ($("inbox-table").dataset.newOrders === "yes") {
    workflows = (await api("/api/intake").catch(() => ({ categories: [] }))).categories;
  }
  $("inbox-handled").addEventListener("change", load);
  // 未分派事件: one kind only, a page at a time (hundreds may wait; every one must be reachable)
  $("inbox-waiting-kind").addEventListener("change", (e) => { waitingKind = e.currentTarget.value; waitingOffset = 0; load(); });
  $("inbox-waiting-prev").addEventListener("click", () => { waitingOffset = Math.max(0, waitingOffset - waitingLimit); load(); });
  $("inbox-waiting-next").addEventListener("click", () => { waitingOffset += waitingLimit; load(); });
  $("inbox-waiting-pick-page").addEventListener("change", (e) => pickPage(e.currentTarget.checked));
  $("inbox-bulk-close-picked").addEventListener("click", () => askBulkClose({ ids: [...picked] }));
  $("inbox-bulk-close-all").addEventListener("click", () => askBulkClose({ all: lastWaiting }));
  // one refresh for a burst: a 批量关闭 of 600 announces each event it closed
  socket.addEventListener("inbox", refresh);
  load();
}

let loading = null;
let again = false;
function refresh() {
  if (loading) { again = true; return; }
  loading = load().finally(() => {
    loading = null;
    if (again) { again = false; refresh(); }
  });
}

// the kinds of waiting events, in the filter's order
const KINDS = ["missed_call", "voicemail", "fax", "sms", "email", "web"];
let waitingKind = "";
let waitingOffset = 0;
let waitingLimit = 50;
let lastWaiting = null; // the page of 未分派事件 shown: what "关闭全部 N 条" names and closes up to
const picked = new Set(); // the waiting events ticked for 批量关闭 (on the page shown)

async function load() {
  try {
    const query = { handled: $("inbox-handled").checked ? "1" : "", waiting_kind: waitingKind, waiting_offset: waitingOffset || "" };
    const data = await api("/api/inbox", { query });
    $("inbox-count").textContent = String(data.unhandled);
    const table = $("inbox-table");
    table.querySelector("tbody").replaceChildren(...(data.items.length ? data.items.map(row) : [emptyRow(table, t($("inbox-handled").checked ? "inbox.empty_all" : "inbox.empty"))]));
    // a supervisor's: the events nobody with their skill was at work (就绪, else on a call) to take
    const waiting = $("inbox-waiting");
    waiting.hidden = !data.waiting;
    if (data.waiting) {
      const w = data.waiting;
      if (!w.items.length && w.offset > 0 && w.matched > 0) {
        // the last page emptied meanwhile (taken, handled): the page that now is the last
        waitingOffset = Math.floor((w.matched - 1) / w.limit) * w.limit;
        return load();
      }
      waitingLimit = w.limit;
      $("inbox-waiting-count").textContent = String(w.count);
      kindFilter(w);
      const waitingTable = $("inbox-waiting-table");
      waitingTable.querySelector("tbody").replaceChildren(...(w.items.length ? w.items.map(pickableRow) : [emptyRow(waitingTable, t("inbox.empty_waiting"))]));
      pager(w);
      lastWaiting = w;
      // what was ticked and is still on the page stays ticked (taken meanwhile: gone from it)
      const shown = new Set(w.items.map((ev) => ev.id));
      for (const id of [...picked]) if (!shown.has(id)) picked.delete(id);
      bulkBar();
    }
  } catch (err) { toast(err.message, "refused"); }
}

// 全部类型（636） / 未接来电（600）…: each kind waiting, with how many; the one picked kept
function kindFilter(w) {
  const kinds = KINDS.filter((k) => w.by_kind[k] || k === w.kind);
  $("inbox-waiting-kind").replaceChildren(
    el("option", { value: "" }, t("inbox.waiting_all", { count: w.count })),
    ...kinds.map((k) => el("option", { value: k }, t("inbox.waiting_of_kind", { kind: t(`kind.${k}`), count: w.by_kind[k] || 0 }))));
  $("inbox-waiting-kind").value = w.kind;
}

// 第 51–100 条，共 636 条, 上一页 / 下一页
function pager(w) {
  const shown = w.items.length;
  $("inbox-waiting-pager").hidden = w.matched <= w.limit && w.offset === 0;
  $("inbox-waiting-range").textContent = shown ? t("inbox.waiting_range", { from: w.offset + 1, to: w.offset + shown, count: w.matched }) : "";
  $("inbox-waiting-prev").disabled = w.offset === 0;
  $("inbox-waiting-next").disabled = w.offset + shown >= w.matched;
}

// -- 批量关闭 -------------------------------------------------------------------------------
// A waiting event's row with its tick box first
function pickableRow(ev) {
  const box = el("input", { type: "checkbox", "data-pick": ev.id, "aria-label": t("inbox.bulk_pick_row"),
    onchange: (e) => { if (e.currentTarget.checked) picked.add(ev.id); else picked.delete(ev.id); bulkBar(); } });
  box.checked = picked.has(ev.id);
  const tr = row(ev);
  tr.prepend(el("td", { class: "pick" }, box));
  return tr;
}

function pickPage(on) {
  for (const box of document.querySelectorAll("#inbox-waiting-table [data-pick]")) {
    box.checked = on;
    const id = Number(box.dataset.pick);
    if (on) picked.add(id); else picked.delete(id);
  }
  bulkBar();
}

// 已选 3 条, 批量关闭所选, 关闭全部 600 条未接来电; 全选本页 ticked, half or not
function bulkBar() {
  const w = lastWaiting;
  const boxes = [...document.querySelectorAll("#inbox-waiting-table [data-pick]")];
  const ticked = boxes.filter((b) => b.checked).length;
  const page = $("inbox-waiting-pick-page");
  page.checked = boxes.length > 0 && ticked === boxes.length;
  page.indeterminate = ticked > 0 && ticked < boxes.length;
  page.disabled = !boxes.length;
  $("inbox-bulk-picked").textContent = picked.size ? t("inbox.bulk_picked", { count: picked.size }) : "";
  $("inbox-bulk-close-picked").disabled = !picked.size;
  const all = $("inbox-bulk-close-all");
  all.hidden = !w || !w.matched;
  if (w) all.textContent = t("inbox.bulk_close_all", { count: w.matched, kind: kindWords(w.kind) });
}

function kindWords(kind) {
  return kind ? t(`kind.${kind}`) : t("inbox.bulk_kind_all");
}

// Asked in the page, naming how many and of what, with the one reason for them all; "every one
// of the filter" is the count and the newest event the page showed, as confirmed: what came after
// is not closed unseen
function askBulkClose({ ids, all }) {
  const count = ids ? ids.length : all.matched;
  const request = ids ? { ids } : { all: { kind: all.kind, count: all.matched, through: all.through } };
  const question = ids ? t("inbox.bulk_confirm_picked", { count }) : t("inbox.bulk_confirm_all", { count, kind: kindWords(all.kind) });
  const limit = lastWaiting?.bulk_limit;
  const reason = el("input", { id: "inbox-bulk-reason", class: "wide", maxlength: 200, "aria-required": "true",
    oninput: (e) => { e.currentTarget.removeAttribute("aria-invalid"); said.textContent = ""; } });
  const said = el("p", { class: "error", id: "inbox-bulk-error", role: "alert" });
  const yes = el("button", { type: "submit", class: "btn danger", id: "inbox-bulk-yes" }, t("inbox.bulk_yes"));
  // novalidate: the reason missing is said in the dialog's words, not the browser's bubble
  const form = el("form", { method: "dialog", novalidate: true },
    el("p", { id: "inbox-bulk-question" }, question),
    el("p", { class: "muted" }, t("inbox.bulk_confirm_note")),
    el("label", { for: "inbox-bulk-reason", class: "req" }, t("inbox.bulk_reason")), " ", reason,
    said,
    el("div", { class: "actions" }, yes, " ",
      el("button", { type: "button", class: "btn", id: "inbox-bulk-cancel", onclick: () => dialog.close() }, t("inbox.bulk_cancel"))));
  const dialog = el("dialog", { id: "inbox-bulk-dialog", class: "confirm-dialog", "aria-labelledby": "inbox-bulk-question" }, form);
  if (limit && count > limit) {
    // said before a reason is typed: the server would refuse it whole
    said.textContent = t("error.event.too_many", { limit, count });
    yes.disabled = true;
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const why = reason.value.trim();
    if (!why) {
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      said.textContent = t("inbox.bulk_reason_required");
      return;
    }
    once(form, async () => {
      try {
        const done = await api("/api/inbox/waiting/close", { method: "POST", body: { ...request, reason: why } });
        dialog.close();
        picked.clear();
        toast(bulkSummary(done), Object.keys(done.skipped).length ? "refused" : "ok");
        load();
      } catch (err) { said.textContent = err.message; }
    });
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  reason.focus();
}

// 已关闭 598 条。2 条未关闭：已分派给坐席 1 条、已被处理 1 条。
function bulkSummary(done) {
  const skipped = Object.entries(done.skipped);
  const total = skipped.reduce((n, [, count]) => n + count, 0);
  const why = skipped.map(([key, count]) => t(`inbox.bulk_why.${key}`, { count })).join(comma);
  return t("inbox.bulk_done", { count: done.closed }) + (total ? t("inbox.bulk_skipped", { count: total, why }) : "");
}

// new | assigned | handled, in words (a status this page does not know yet shows as it is)
function statusText(status) {
  const key = `inbox.status.${status}`;
  return t(key) === key ? status : t(key);
}

// an e-mail's attachments: each kept one a download, one too big to keep or deleted by the
// retention period named as such
function files(ev) {
  if (!(ev.attachments || []).length) return null;
  return el("div", { class: "attachments" }, ...ev.attachments.map((f) => f.url
    ? el("a", { href: f.url, download: f.name, "data-attachment": f.name }, `📎 ${f.name}`)
    : el("span", { class: "muted", "data-attachment": f.name, "data-purged": f.purged || null },
      `📎 ${f.name} ${t(f.purged ? "inbox.attachment_purged" : "inbox.attachment_not_kept")}`)
  ).flatMap((a) => [a, " "]));
}

// the events a phone brings: their number is the caller's, none when the caller withheld it
const BY_PHONE = ["missed_call", "voicemail", "fax"];
const numberText = (ev) => ev.number || (BY_PHONE.includes(ev.kind) ? t("pop.withheld") : "");

// a missed call's content: where the caller waited and how long (排队 65 秒，故障报修), so a caller
// who waited minutes stands out from a hang-up; an event stored without its wait names the queue
function missedText(ev) {
  if (ev.kind !== "missed_call" || !ev.queue) return null;
  const queue = queueName(ev.queue);
  return ev.waited === null || ev.waited === undefined ? queue : t("inbox.missed_waited", { seconds: Math.round(ev.waited), queue });
}

// a voicemail's why and the line rung, above its player (故障报修留言 · 拨打 95598, 非工作时间留言 ·
// 拨打 4008200000): a 400 line's after-hours message is no 95598 fault report (QA #15)
function voicemailWhy(ev) {
  if (ev.kind !== "voicemail") return null;
  const key = `inbox.vm_reason.${ev.reason || ""}`;
  const words = [ev.reason && t(key) !== key ? t(key) : "", ev.dnis ? t("inbox.vm_line", { dnis: ev.dnis }) : ""].filter(Boolean);
  return words.length ? el("div", { class: "muted", "data-vm-why": ev.reason || "" }, words.join(" · ")) : null;
}

// what a handled event came to: closed (its reason, by whom), the order(s) it joined, or handled
function outcome(ev) {
  if (ev.closed) return t("inbox.closed_as", { reason: ev.closed.reason, by: ev.closed.by_name || ev.closed.by });
  if (!(ev.orders || []).length) return t("inbox.handled");
  return el("span", { "data-orders": ev.orders.join(" ") }, t("inbox.handled_into"),
    ...ev.orders.flatMap((number, i) => [i ? "、" : "", el("a", { href: `/orders/${encodeURIComponent(number)}` }, number)]));
}

function row(ev) {
  // a file that cannot be had says why in the row (找不到该文件…), as on the order page
  const media = ev.file_url ? mediaElement(ev.kind, ev.file_url, { "data-interaction": ev.id }) : null;
  const linkButton = el("button", { type: "button", class: "btn", "data-act": "link", onclick: (e) => once(e.currentTarget, () => link(ev, orderKey)) }, t("inbox.link"));
  // Enter in the box links as the button does (through it: one request at a time); not the Enter
  // that ends an input method's composition
  const orderKey = el("input", { size: 16, placeholder: t("inbox.order_no"), "aria-label": t("inbox.order_no"), "data-field": "order",
    oninput: (e) => e.currentTarget.removeAttribute("aria-invalid"),
    onkeydown: (e) => { if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); linkButton.click(); } } });
  // the box and its button kept on one line when the cell's controls wrap (td.actions)
  const linking = el("span", {}, orderKey, linkButton);
  // 关闭/无需处理: no order needed, the reason asked for (required); the event stays under 显示已处理
  const closing = el("button", { type: "button", class: "btn", "data-act": "close", onclick: (e) => once(e.currentTarget, () => close(ev)) }, t("inbox.close"));
  let actions = [linking, " ", closing];
  if (ev.status === "handled") {
    actions = [outcome(ev)];
  } else if (workflows) {
    const pick = categoryPick(ev);
    actions = [pick, el("button", { type: "button", class: "btn primary", "data-act": "order", onclick: (e) => once(e.currentTarget, () => toOrder(ev, pick)) }, t("inbox.new_order")), " ", ...actions];
  }
  // 回拨 a missed call from this seat (the seats only: a bureau's handler has none)
  const callback = ev.kind === "missed_call" && ev.number && workflows && ev.status !== "handled"
    ? el("button", { type: "button", class: "btn", "data-act": "callback", onclick: (e) => once(e.currentTarget, () => callBack(ev)) }, `☎ ${t("inbox.callback")}`)
    : null;
  const tried = (ev.callbacks || []).length
    ? el("small", { class: "muted callbacks", "data-callbacks": ev.callbacks.length },
      t("inbox.called_back", { n: ev.callbacks.length, at: fmtTime(ev.callbacks[ev.callbacks.length - 1].at) }))
    : null;
  if (callback) actions = [callback, " ", ...actions];
  if (tried) actions = [...actions, el("br"), tried];
  return el("tr", { "data-event": ev.id },
    el("td", {}, fmtTime(ev.occurred_at)), el("td", {}, t(`kind.${ev.kind}`)), el("td", { class: ev.number ? "" : "muted" }, numberText(ev)),
    el("td", { class: "wrap" }, voicemailWhy(ev), ev.subject ? el("b", {}, ev.subject) : null, " ", ev.content || missedText(ev), media, files(ev)),
    el("td", { "data-status": ev.status }, statusText(ev.status)), el("td", { class: "actions" }, actions));
}

// Each category, then each of its subcategories (故障报修 / 低压故障): the pick names the order's
// category and subcategory, not only its workflow (用户信息查询 and 信息咨询 share one). A
// category without a row of its own (no category tree: the workflow is the category) sends none.
// A category with subcategories is picked by one of them (an order of it names its 小类别: the
// server refuses a blank one, which the category lock at 派工 kept blank in the reports).
function choices() {
  return workflows.flatMap((c) => (c.subcategories?.length
    ? c.subcategories.map((s) => ({ label: `${c.name} / ${s.name}`, workflow: c.workflow, category: c.code, subcategory: s.code }))
    : [{ label: c.name, workflow: c.workflow, category: c.id ? c.code : "", subcategory: "" }]));
}

// The category pick of 填写受理工单: nothing picked beforehand (one click made every event a
// 用户信息查询, the first category: QA-16), unless the event is known to be about one workflow
// (a voicemail: the fault report's), whose categories come first; picked outright where it has one
function categoryPick(ev) {
  const all = choices().map((c, i) => ({ ...c, i }));
  const own = ev.workflow ? all.filter((c) => c.workflow === ev.workflow) : [];
  const ordered = [...own, ...all.filter((c) => !own.includes(c))];
  const group = own.length > 1 ? own[0].label.split(" / ")[0] : "";
  const placeholder = el("option", { value: "" }, group ? t("inbox.pick_subcategory", { category: group }) : t("inbox.pick_category"));
  const pick = el("select", { "aria-label": t("intake.category"), "data-field": "category", onchange: (e) => e.currentTarget.removeAttribute("aria-invalid") },
    placeholder, ...ordered.map((c) => el("option", { value: String(c.i) }, c.label)));
  pick.value = own.length === 1 ? String(own[0].i) : "";
  return pick;
}

async function toOrder(ev, pick) {
  if (pick.value === "") {
    pick.setAttribute("aria-invalid", "true");
    pick.focus();
    toast(t("inbox.category_required"), "refused");
    return;
  }
  const { workflow, category, subcategory } = choices()[Number(pick.value)];
  try {
    const order = await api(`/api/inbox/${ev.id}/order`, { method: "POST", body: { workflow, category, subcategory } });
    return leave(`/orders/${order.number}`);
  } catch (err) { toast(err.message, "refused"); }
}

// By the 工单号 typed, never an id (7 linked an unrelated order, QA F2): the server names the
// order it found and the agent confirms it before anything is linked; that number is linked.
async function link(ev, box) {
  const key = box.value;
  // an empty box said nothing at all (QA): say what is missing, at the box
  if (!key.trim()) {
    box.setAttribute("aria-invalid", "true");
    box.focus();
    toast(t("inbox.order_no_required"), "refused");
    return;
  }
  box.removeAttribute("aria-invalid");
  try {
    let found;
    try {
      found = await api(`/api/inbox/${ev.id}/link`, { query: { order: key } });
    } catch (err) {
      // no such 工单号 (GZ999), or one outside the data scope: the box is what is wrong, marked
      // and focused as an empty one is; a refusal about the event itself (handled meanwhile, not
      // in my inbox) or a failure of the server or the network is not
      const about = err.details || {};
      if (err.errorId === "event.order_not_found" || about.field === "order" || about.entity === "work_order"
        || (err.errorId === "forbidden" && about.order)) {
        box.setAttribute("aria-invalid", "true");
        box.focus();
      }
      throw err;
    }
    const category = [found.category_name, found.subcategory_name].filter(Boolean).join(" / ");
    const customer = found.customer ? `${found.customer.name} ${found.customer.account_no || ""}`.trim() : t("inbox.confirm_no_customer");
    if (!window.confirm(t("inbox.confirm_link", { kind: t(`kind.${ev.kind}`), number: found.number, category, status: found.status, customer }))) return;
    const order = await api(`/api/inbox/${ev.id}/link`, { method: "POST", body: { order: found.number } });
    toast(t("inbox.linked", { number: order.number }), "ok");
    load();
  } catch (err) { toast(err.message, "refused"); }
}

// 回拨: the seat dials the event's own number (the server takes it from the event, not from here)
async function callBack(ev) {
  try {
    await seat.command("dial", { event_id: ev.id });
    toast(t("cmd.done", { cmd: t("inbox.callback") }), "ok");
    load(); // the attempt shows on the row
  } catch (err) { toast(err.message, "refused"); }
}

async function close(ev) {
  const reason = window.prompt(t("inbox.close_reason", { kind: t(`kind.${ev.kind}`), number: ev.number }));
  if (reason === null) return;
  if (!reason.trim()) { toast(t("inbox.close_reason_required"), "refused"); return; }
  try {
    await api(`/api/inbox/${ev.id}/close`, { method: "POST", body: { reason } });
    toast(t("inbox.closed"), "ok");
    load();
  } catch (err) { toast(err.message, "refused"); }
}
