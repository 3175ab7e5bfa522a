// Async events: open them, turn one into a new pre-filled order, or link it to an existing order.
import { api, el, fmtTime, leave, once } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
let workflows = null; // null: this user takes no new orders (a bureau's handler), so none is offered

export async function start({ socket }) {
  if ($("inbox-table").dataset.newOrders === "yes") {
    workflows = (await api("/api/intake").catch(() => ({ categories: [] }))).categories;
  }
  $("inbox-handled").addEventListener("change", load);
  socket.addEventListener("inbox", load);
  load();
}

async function load() {
  try {
    const data = await api("/api/inbox", { query: { handled: $("inbox-handled").checked ? "1" : "" } });
    $("inbox-count").textContent = String(data.unhandled);
    $("inbox-table").querySelector("tbody").replaceChildren(...data.items.map(row));
    // a supervisor's: the events nobody with their skill was signed in to take
    const waiting = $("inbox-waiting");
    waiting.hidden = !data.waiting;
    if (data.waiting) {
      $("inbox-waiting-count").textContent = String(data.waiting.count);
      $("inbox-waiting-table").querySelector("tbody").replaceChildren(...data.waiting.items.map(row));
    }
  } catch (err) { toast(err.message, "refused"); }
}

// new | assigned | handled, in words (a status this page does not know yet shows as it is)
function statusText(status) {
  const key = `inbox.status.${status}`;
  return t(key) === key ? status : t(key);
}

function row(ev) {
  const media = ev.file_url
    ? ev.kind === "fax" ? el("a", { href: ev.file_url, target: "_blank" }, t("order.fax_pdf")) : el("audio", { controls: true, preload: "none", src: ev.file_url })
    : null;
  const orderKey = el("input", { size: 16, placeholder: t("inbox.order_no"), "aria-label": t("inbox.order_no") });
  const linking = [orderKey, el("button", { type: "button", class: "btn", onclick: (e) => once(e.currentTarget, () => link(ev, orderKey.value)) }, t("inbox.link"))];
  let actions = linking;
  if (ev.status === "handled") {
    actions = [t("inbox.handled")];
  } else if (workflows) {
    const pick = el("select", { "aria-label": t("intake.category") }, choices().map((c, i) => el("option", { value: String(i) }, c.label)));
    actions = [pick, el("button", { type: "button", class: "btn primary", onclick: (e) => once(e.currentTarget, () => toOrder(ev, choices()[Number(pick.value)])) }, t("inbox.new_order")), " ", ...linking];
  }
  return el("tr", { "data-event": ev.id },
    el("td", {}, fmtTime(ev.occurred_at)), el("td", {}, t(`kind.${ev.kind}`)), el("td", {}, ev.number),
    el("td", { class: "wrap" }, ev.subject ? el("b", {}, ev.subject) : null, " ", ev.content, media),
    el("td", { "data-status": ev.status }, statusText(ev.status)), el("td", {}, actions));
}

// Each category, then each of its subcategories (故障报修 / 低压故障): the pick names the order's
// category and subcategory, not only its workflow (用户信息查询 and 信息咨询 share one). A
// category without a row of its own (no category tree: the workflow is the category) sends none.
function choices() {
  return workflows.flatMap((c) => [
    { label: c.name, workflow: c.workflow, category: c.id ? c.code : "", subcategory: "" },
    ...(c.subcategories || []).map((s) => ({ label: `${c.name} / ${s.name}`, workflow: c.workflow, category: c.code, subcategory: s.code })),
  ]);
}

async function toOrder(ev, choice) {
  const { workflow, category, subcategory } = choice;
  try {
    const order = await api(`/api/inbox/${ev.id}/order`, { method: "POST", body: { workflow, category, subcategory } });
    return leave(`/orders/${order.number}`);
  } catch (err) { toast(err.message, "refused"); }
}

// By the 工单号 typed, never an id (7 linked an unrelated order, QA F2): the server names the
// order it found and the agent confirms it before anything is linked; that number is linked.
async function link(ev, key) {
  if (!key.trim()) return;
  try {
    const found = await api(`/api/inbox/${ev.id}/link`, { query: { order: key } });
    const category = [found.category_name, found.subcategory_name].filter(Boolean).join(" / ");
    const customer = found.customer ? `${found.customer.name} ${found.customer.account_no || ""}`.trim() : t("inbox.confirm_no_customer");
    if (!window.confirm(t("inbox.confirm_link", { kind: t(`kind.${ev.kind}`), number: found.number, category, status: found.status, customer }))) return;
    const order = await api(`/api/inbox/${ev.id}/link`, { method: "POST", body: { order: found.number } });
    toast(t("inbox.linked", { number: order.number }), "ok");
    load();
  } catch (err) { toast(err.message, "refused"); }
}
