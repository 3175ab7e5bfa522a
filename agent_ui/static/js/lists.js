// Order lists: filters, sortable columns, server-side paging.
import { api, el, emptyRow, fmtTime, siteToday } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
const state = { sort: "created_at", dir: "desc", page: 1, size: 20, filters: {}, items: null };
const categoryNames = new Map(); // category -> its name (/api/categories), for the filter and the column
const categoryStatuses = new Map(); // category -> its workflow's statuses, for the 状态 filter
let allStatuses = [];

// the date (YYYY-MM-DD) before a date, by the calendar: noon UTC of the day stays on that day
function dayBefore(date) {
  const noon = new Date(`${date}T12:00:00Z`);
  noon.setUTCDate(noon.getUTCDate() - 1);
  return noon.toISOString().slice(0, 10);
}

export async function start({ socket }) {
  const name = $("list").dataset.list;
  const form = $("list-filters");
  if (name === "search") {
    // yesterday and today at the site: at 00:25 the night shift still finds the orders taken an
    // hour before, when the customer calls back about them (QA 2026-11-29 #28)
    const today = siteToday();
    form.from.value = dayBefore(today);
    form.to.value = today;
  }
  api("/api/categories").then((spec) => {
    for (const c of spec.categories) {
      categoryNames.set(c.category, c.name);
      categoryStatuses.set(c.category, c.statuses || []);
      form.category.append(el("option", { value: c.category }, c.name));
    }
    allStatuses = spec.statuses || [];
    listStatuses(form);
    if (state.items) renderRows(state.items); // the rows already shown get their categories' names
  }).catch(() => {});
  form.category.addEventListener("change", () => listStatuses(form));
  form.addEventListener("submit", (e) => { e.preventDefault(); state.page = 1; load(); });
  for (const b of document.querySelectorAll("[data-sort]")) {
    b.addEventListener("click", () => {
      state.dir = state.sort === b.dataset.sort && state.dir === "desc" ? "asc" : "desc";
      state.sort = b.dataset.sort;
      load();
    });
  }
  $("list-prev").addEventListener("click", () => { if (state.page > 1) { state.page--; load(); } });
  $("list-next").addEventListener("click", () => { state.page++; load(); });
  // 提醒 read in another tab changes no order
  socket.addEventListener("order", (e) => { if (e.detail?.event?.event !== "ScreenAlertsRead") load(); });
  load();
}

// 状态 is picked, not typed (a typed 处理 found no 处理完毕): the chosen category's workflow's
// statuses, or every workflow's; a status picked before stays picked while it is offered
function listStatuses(form) {
  const picked = form.status.value;
  const offered = form.category.value ? categoryStatuses.get(form.category.value) || [] : allStatuses;
  form.status.replaceChildren(el("option", { value: "" }, "—"),
    ...offered.map((s) => el("option", { value: s, selected: s === picked }, s)));
}

async function load() {
  const name = $("list").dataset.list;
  const form = $("list-filters");
  const query = { list: name, sort: state.sort, dir: state.dir, page: state.page, size: state.size };
  for (const f of ["number", "category", "status", "caller", "receiver", "from", "to"]) query[f] = form[f].value;
  try {
    const data = await api("/api/orders", { query });
    const pages = Math.max(1, Math.ceil(data.total / data.size));
    if (state.page > pages) { state.page = pages; return load(); }
    $("list-total").textContent = String(data.total);
    $("list-page").textContent = `${data.page} / ${pages}`;
    $("list-prev").disabled = data.page <= 1;
    $("list-next").disabled = data.page >= pages;
    for (const b of document.querySelectorAll("[data-sort]")) b.setAttribute("aria-sort", b.dataset.sort === state.sort ? (state.dir === "asc" ? "ascending" : "descending") : "none");
    state.items = data.items;
    renderRows(data.items);
  } catch (err) {
    // the rows on screen answered other filters: left there they would read as this one's
    state.items = null;
    // nothing shown, not 暂无工单: these filters were refused, not found to have no orders
    $("list-table").querySelector("tbody").replaceChildren();
    $("list-total").textContent = "—";
    $("list-page").textContent = "—";
    $("list-prev").disabled = $("list-next").disabled = true;
    toast(err.message, "refused");
  }
}

function renderRows(items) {
  const table = $("list-table");
  // none: said in a row of its own, not a bare header
  if (!items.length) { table.querySelector("tbody").replaceChildren(emptyRow(table, t("list.empty"))); return; }
  table.querySelector("tbody").replaceChildren(...items.map((o) => el("tr", { class: o.overdue ? "overdue" : "" },
    el("td", {}, el("a", { href: `/orders/${o.number}` }, o.number)),
    el("td", {}, (categoryNames.get(o.category) || o.category) + (o.subcategory ? ` / ${o.subcategory_name || o.subcategory}` : "")),
    el("td", {}, o.status),
    el("td", { class: "wrap" }, o.title),
    el("td", {}, o.caller_number),
    el("td", {}, fmtTime(o.created_at)),
    el("td", {}, fmtTime(o.due_at)))));
}
