// 审计日志: who did what, newest first, a page at a time (GET /api/audit). Read only.
import { api, el, fmtTime } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("audit-filter");
const body = document.querySelector("#audit-rows tbody");
const more = document.getElementById("audit-more");
let next = null;

// before → after, only the values that changed (a creation or deletion has one side)
function change(row) {
  const before = row.before || {};
  const after = row.after || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const shown = (v) => (v === undefined || v === null || v === "" ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => el("div", {}, el("b", {}, k), `: ${shown(before[k])} → ${shown(after[k])}`));
}

function entity(row) {
  if (row.entity === "work_order" && row.order_number) return el("a", { href: `/orders/${encodeURIComponent(row.order_number)}` }, row.order_number);
  const key = `audit.entity.${row.entity}`;
  return `${t(key) === key ? row.entity : t(key)} ${row.entity_id}`;
}

let loading = false;

async function load(append) {
  if (loading) return; // a double click on 更多 would load the same page twice
  loading = true;
  const query = new URLSearchParams([...new FormData(form)].filter(([, v]) => v !== ""));
  if (append && next) query.set("before", next);
  try {
    const page = await api(`/api/audit?${query}`);
    const rows = page.items.map((row) => el("tr", { "data-id": row.id, "data-action": row.action },
      el("td", {}, fmtTime(row.at)),
      el("td", {}, row.actor_name ? `${row.actor_name} (${row.actor})` : row.actor),
      el("td", {}, row.action),
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
