// 提醒 in the header, on every page: the screen notifications kept for me (reminders, overrun
// alerts, 督办, CCs, orders routed to me…), newest first, each linking to its order, with the
// unread count. Pop-ups fade; these stay until read. An urgent one stays on screen until it is
// acknowledged (知道了). The list follows the socket: one arriving, or read in another tab, or
// those about an order that moved out of my data scope withdrawn (ScreenAlertsWithdrawn).
import { api, el, fmtTime } from "./api.js";
import { smsAlertText, t } from "./i18n.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
let me = null;
let items = [];
let unread = 0;
let loading = null;
let again = false;
const sticky = new Map(); // id → its box, shown until acknowledged
const STICKY_SHOWN = 3;

const kindText = (kind) => { const key = `notice_kind.${kind}`; const text = t(key); return text === key ? kind : text; };
// its words: a 短信未送达 in the reader's language from the SMS it is about (the gateway's code on
// hover), else as it was stored
const message = (item) => (item.about
  ? el("div", { class: "bell-message", title: item.about.reason || null }, smsAlertText(item.about))
  : el("div", { class: "bell-message" }, item.message || ""));

async function load() {
  // one read at a time; news during one asks for another after it
  if (loading) { again = true; return loading; }
  loading = api("/api/notifications", { query: { limit: 50 } })
    .then((data) => { items = data.items || []; unread = data.unread || 0; render(); })
    .catch(() => {})
    .finally(() => { loading = null; if (again) { again = false; load(); } });
  return loading;
}

async function markRead(ids, socket) {
  const body = ids === null ? { all: true } : { ids };
  try {
    // the socket when it is up (one round trip, no CSRF form), else the API
    const result = socket?.connected ? await socket.command("notifications_read", body)
      : await api("/api/notifications/read", { method: "POST", body });
    const done = new Set(result.ids || []);
    const now = new Date().toISOString();
    for (const item of items) if (done.has(item.id) || ids === null) item.read_at ??= now;
    unread = result.unread ?? unread;
    render();
  } catch (err) { toast(err.message || t("bell.failed"), "refused"); }
}

// the order moved out of my data scope (所属供电局 corrected): its 提醒 go at once, urgent ones
// too, and the count with them; the server's list and count follow (they leave it out already)
function withdraw(orderId) {
  const gone = items.filter((i) => i.order_id === orderId);
  items = items.filter((i) => i.order_id !== orderId);
  unread = Math.max(0, unread - gone.filter((i) => !i.read_at).length);
  render();
  load();
}

function render() {
  const count = $("bell-count");
  if (!count) return;
  count.textContent = unread > 99 ? "99+" : String(unread);
  count.dataset.unread = String(unread);
  count.hidden = unread === 0;
  $("bell-button").classList.toggle("has-unread", unread > 0);
  $("bell-button").setAttribute("aria-label", t("bell.unread", { count: unread }));
  const list = $("bell-list");
  list.replaceChildren(...(items.length ? items.map(row) : [el("li", { class: "muted empty" }, t("bell.empty"))]));
  $("bell-read-all").disabled = unread === 0;
  showSticky();
}

function row(item) {
  const read = Boolean(item.read_at);
  const link = item.number
    ? el("a", { href: `/orders/${encodeURIComponent(item.number)}`, "data-open": item.id }, item.number) : null;
  return el("li", {
    class: `bell-item${read ? "" : " unread"}`, "data-id": item.id, "data-kind": item.kind,
    "data-urgency": item.urgency, "data-read": read ? "true" : "false",
  },
  el("div", { class: "bell-line" },
    el("b", { class: `urgency-${item.urgency}` }, kindText(item.kind)),
    item.urgency !== "normal" ? el("span", { class: `tag urgency-${item.urgency}` }, t(`order.urgency.${item.urgency}`)) : null,
    link,
    el("time", { datetime: item.at }, fmtTime(item.at))),
  message(item),
  read ? null : el("button", { type: "button", class: "link", "data-read-one": item.id }, t("bell.mark_read")));
}

function showSticky() {
  // urgent ones wait for 知道了, in every tab, until read (here or elsewhere)
  const box = $("urgent-alerts");
  if (!box) return;
  // the newest few; the rest wait in 提醒 (a team leader's dozen overruns must not cover the page)
  const urgent = items.filter((i) => i.sticky && !i.read_at);
  const wanted = new Map(urgent.slice(0, STICKY_SHOWN).map((i) => [i.id, i]));
  for (const [id, node] of sticky) if (!wanted.has(id)) { node.remove(); sticky.delete(id); }
  for (const [id, item] of wanted) {
    if (sticky.has(id)) continue;
    const node = el("div", { class: "urgent-alert", role: "alert", "data-id": id, "data-kind": item.kind },
      el("b", {}, `${kindText(item.kind)} · ${t(`order.urgency.${item.urgency}`)}`),
      " ", item.number ? el("a", { href: `/orders/${encodeURIComponent(item.number)}`, "data-open": id }, item.number) : null,
      " ", el("time", { datetime: item.at }, fmtTime(item.at)),
      el("div", { title: item.about?.reason || null }, item.about ? smsAlertText(item.about) : item.message || ""),
      el("button", { type: "button", class: "btn warn", "data-ack": id }, t("bell.ack")));
    sticky.set(id, node);
  }
  // in the list's order, newest first: the newest on top (an appended one went to the bottom)
  const more0 = box.querySelector(".urgent-more");
  for (const id of wanted.keys()) box.insertBefore(sticky.get(id), more0);
  let more = box.querySelector(".urgent-more");
  if (urgent.length > STICKY_SHOWN) {
    more ??= el("button", { type: "button", class: "link urgent-more", onclick: () => $("bell-button").click() });
    more.textContent = t("bell.more_urgent", { count: urgent.length - STICKY_SHOWN });
    box.append(more);  // below the alerts
  } else {
    more?.remove();
  }
  box.hidden = sticky.size === 0;
}

export function bindBell(socket) {
  const button = $("bell-button");
  const panel = $("bell-panel");
  if (!button || !panel) return;
  button.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    button.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) load();
  });
  document.addEventListener("click", (e) => {
    if (!panel.hidden && !e.target.closest("#bell, .urgent-more")) { panel.hidden = true; button.setAttribute("aria-expanded", "false"); }
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) { panel.hidden = true; button.focus(); } });
  $("bell-read-all").addEventListener("click", () => markRead(null, socket));
  const onClick = (e) => {
    const one = e.target.closest("[data-read-one]") || e.target.closest("[data-ack]");
    if (one) { markRead([Number(one.dataset.readOne || one.dataset.ack)], socket); return; }
    const open = e.target.closest("[data-open]");
    if (open) {
      // opening its order reads it; the page follows the link (the API call does not hold it up)
      const id = Number(open.dataset.open);
      if (items.some((i) => i.id === id && !i.read_at)) {
        fetch("/api/notifications/read", {
          method: "POST", keepalive: true, credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')?.content || "" },
          body: JSON.stringify({ ids: [id] }),
        }).catch(() => {});
      }
    }
  };
  panel.addEventListener("click", onClick);
  $("urgent-alerts")?.addEventListener("click", onClick);
  socket.addEventListener("snapshot", (e) => { me = e.detail.user?.staff_no ?? me; });
  socket.addEventListener("connection", (e) => { if (e.detail.connected) load(); }); // what came while away
  socket.addEventListener("order", (e) => {
    const ev = e.detail.event;
    if (ev.event === "ScreenAlertsRead" && (!me || ev.staff_no === me)) load();
    else if (ev.event === "TicketReminder" && ev.staff_no === me) load();
    else if (ev.event === "TicketRouted" && (ev.handlers || []).includes(me)) load();
    else if (ev.event === "ScreenAlertsWithdrawn" && (ev.staff_nos || []).includes(me)) withdraw(ev.order_id);
  });
  load();
}
