// 审计日志: who did what, newest first, a page at a time (GET /api/audit). Read only.
import { api, el, fmtTime } from "./api.js";
import { colon, paren, t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("audit-filter");
const body = document.querySelector("#audit-rows tbody");
const more = document.getElementById("audit-more");
let next = null;

let labels = {}; // what the page's values are called (GET /api/audit's labels: node, site_id, category…)

// a code in words when the texts name it (order.create → 新建工单), else as it is
const named = (prefix, code) => { const key = `${prefix}.${code}`; return t(key) === key ? code : t(key); };
// a long value (an order's form) folded: its size shown, the JSON on a click, kept in the cell
const FOLD = 60;

// an async event's status (new → assigned → handled) is its own, not a work order's
const STATUS_OF = { interaction: "audit.event_status" };
// values that are an account's id (agent_ui.audit_log.USER_KEYS): worded as 操作人 is, name（工号）
const USER_KEYS = ["assigned_to", "manager_id"];

function user(id) {
  const u = labels.accounts?.[String(id)];
  return el("span", { title: `#${id}` }, u ? `${u.name}${paren(u.staff_no)}` : t("audit.user_gone", { id }));
}

function value(k, v, row) {
  if (v === undefined || v === null || v === "") return "—";
  if (k === "status" && STATUS_OF[row.entity] && typeof v === "string") return el("span", { title: v }, named(STATUS_OF[row.entity], v));
  if (typeof v === "boolean") return t(v ? "audit.yes" : "audit.no");
  if (USER_KEYS.includes(k) && typeof v === "number") return user(v);
  if (labels[k]?.[String(v)]) return el("span", { title: String(v) }, labels[k][String(v)]); // accept → 受理
  if (k === "kind" && typeof v === "string") return el("span", { title: v }, named("audit.kind", v)); // call → 通话
  if (typeof v !== "object") return String(v);
  const text = JSON.stringify(v);
  if (text.length <= FOLD) return text;
  const n = Array.isArray(v) ? v.length : Object.keys(v).length;
  return el("details", { class: "audit-json" }, el("summary", {}, t("audit.json_items", { n })),
    el("pre", { style: "white-space: pre-wrap; word-break: break-all; max-width: 40em; margin: 0" }, JSON.stringify(v, null, 2)));
}

// before → after, only the values that changed (a creation or deletion has one side)
function change(row) {
  const before = row.before || {};
  const after = row.after || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => el("div", { "data-field": k }, el("b", { title: k }, named("audit.field", k)), colon, value(k, before[k], row), " → ", value(k, after[k], row)));
}

function entity(row) {
  if (row.entity === "work_order" && row.order_number) return el("a", { href: `/orders/${encodeURIComponent(row.order_number)}` }, row.order_number);
  // an account as 操作人 is worded (名字（工号）, labels.accounts), not the API's half-width label
  if (row.entity === "user" && labels.accounts?.[row.entity_id]) return [`${named("audit.entity", row.entity)} `, user(row.entity_id)];
  return `${named("audit.entity", row.entity)} ${row.entity_label || row.entity_id}`;
}

let loading = false;

async function load(append) {
  if (loading) return; // a double click on 更多 would load the same page twice
  loading = true;
  const query = new URLSearchParams([...new FormData(form)].filter(([, v]) => v !== ""));
  if (append && next) query.set("before", next);
  try {
    const page = await api(`/api/audit?${query}`);
    for (const [k, names] of Object.entries(page.labels || {})) labels[k] = { ...labels[k], ...names };
    const rows = page.items.map((row) => el("tr", { "data-id": row.id, "data-action": row.action },
      el("td", {}, fmtTime(row.at)),
      // "system" (a timer, the IVR, 下班's hand-back) in words; a 工号 without an account as it is
      el("td", { title: row.actor }, row.actor_name ? `${row.actor_name}${paren(row.actor)}` : named("audit.actor", row.actor)),
      el("td", { title: row.action }, named("audit.action", row.action)),
      el("td", {}, entity(row)),
      el("td", {}, ...change(row))));
    if (append) body.append(...rows); else body.replaceChildren(...rows);
    next = page.next;
    more.hidden = next === null;
    document.getElementById("audit-empty").hidden = body.children.length > 0;
  } catch (err) {
    // a search that failed shows nothing, not the last search's rows as if they were its answer
    if (!append) { body.replaceChildren(); next = null; more.hidden = true; document.getElementById("audit-empty").hidden = false; }
    toast(err.message, "refused");
  } finally { loading = false; }
}

form.addEventListener("submit", (e) => { e.preventDefault(); load(false); });
more.addEventListener("click", () => load(true));
// opened from an order (/admin/audit?order=GZ…): that order's rows
for (const [name, value] of new URLSearchParams(window.location.search)) if (form.elements[name]) form.elements[name].value = value;
load(false);
