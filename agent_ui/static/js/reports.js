// 报表: pick a report and a period, see figures, charts and the table, export CSV / Excel.
import { api, el, siteToday } from "./api.js";
import { renderChart } from "./charts.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
const state = { page: 1, size: 50 };
const FILTERS = ["from", "to", "queue", "site", "interval", "threshold", "workflow", "contractor"];
const NUMERIC = ["int", "seconds", "number", "percent"];

function addDays(iso, n) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// the period's dates at the site: today, yesterday, this week (from Monday), this month
function periodDates(period) {
  const today = siteToday();
  if (period === "yesterday") { const y = addDays(today, -1); return [y, y]; }
  if (period === "week") {
    const weekday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
    return [addDays(today, -weekday), today];
  }
  if (period === "month") return [`${today.slice(0, 8)}01`, today];
  return [today, today];
}

function query(form) {
  const q = {};
  for (const f of FILTERS) q[f] = form[f].value;
  return q;
}

function showFilters(name) {
  for (const label of document.querySelectorAll("#report-filters label[data-for]")) {
    label.hidden = !label.dataset.for.split(" ").includes(name);
  }
}

function exportLinks(name, q) {
  for (const fmt of ["csv", "xlsx"]) {
    const params = new URLSearchParams({ ...Object.fromEntries(Object.entries(q).filter(([, v]) => v !== "")), format: fmt });
    $(`export-${fmt}`).href = `/api/reports/${name}/export?${params}`;
  }
}

const percent = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const seconds = (v) => (v === null || v === undefined ? "—" : String(v));

function cell(column, value) {
  if (column.kind === "link") return el("td", {}, value ? el("a", { href: value, target: "_blank", rel: "noopener" }, t("report.play")) : "");
  if (column.kind === "order") return el("td", {}, ...String(value || "").split(" ").filter(Boolean).map((n) => [el("a", { href: `/orders/${n}` }, n), " "]));
  if (column.kind === "percent") return el("td", { class: "num" }, percent(value));
  if (NUMERIC.includes(column.kind)) return el("td", { class: "num" }, seconds(value));
  return el("td", {}, value ?? "");
}

function summary(data) {
  const s = data.summary || {};
  const items = [];
  if (data.name === "queues") {
    items.push(["report.s.offered", s.offered], ["report.s.service_level", percent(s.service_level)], ["report.s.asa", s.asa === null ? "—" : `${s.asa} s`], ["report.s.aht", s.aht === null ? "—" : `${s.aht} s`], ["report.s.abandon_rate", percent(s.abandon_rate)]);
  } else if (data.name === "satisfaction") {
    items.push(["report.s.total", s.total], ["report.s.rate", percent(s.rate)]);
  } else if (data.name === "cycle_time_steps") {
    items.push(["report.s.workflow", s.workflow]);
  }
  $("report-summary").replaceChildren(...items.map(([k, v]) => el("div", { "data-key": k }, el("dt", {}, t(k)), el("dd", {}, v ?? "—"))));
}

async function load() {
  const form = $("report-filters");
  const name = form.report.value;
  const q = query(form);
  exportLinks(name, q);
  try {
    const data = await api(`/api/reports/${name}`, { query: { ...q, page: state.page, size: state.size } });
    $("report-heading").textContent = `${data.title} · ${q.from} — ${q.to}`;
    summary(data);
    $("report-charts").replaceChildren(...(data.rows.length ? data.charts.map(renderChart) : []));
    $("report-empty").hidden = data.rows.length > 0;
    document.querySelector("#report-table thead").replaceChildren(el("tr", {}, ...data.columns.map((c) => el("th", { scope: "col", class: NUMERIC.includes(c.kind) ? "num" : undefined }, c.label))));
    document.querySelector("#report-table tbody").replaceChildren(...data.rows.map((row) => el("tr", {}, ...row.map((v, i) => cell(data.columns[i], v)))));
    const pages = Math.max(1, Math.ceil(data.total / state.size));
    $("report-pager").hidden = pages <= 1;
    $("report-page").textContent = `${state.page} / ${pages}`;
    $("report-prev").disabled = state.page <= 1;
    $("report-next").disabled = state.page >= pages;
    $("reports").dataset.loaded = `${name} ${q.from} ${q.to}`;
  } catch (err) { toast(err.message, "refused"); }
}

export async function start() {
  const form = $("report-filters");
  const setPeriod = () => {
    const custom = form.period.value === "custom";
    if (!custom) [form.from.value, form.to.value] = periodDates(form.period.value);
  };
  setPeriod();
  api("/api/reports").then((catalog) => {
    for (const q of catalog.queues) form.queue.append(el("option", { value: q }, q));
    for (const s of catalog.sites) form.site.append(el("option", { value: s.id }, `${"　".repeat(Math.max(0, s.path.split("/").length - 3))}${s.name}`));
  }).catch(() => {});
  api("/api/contractors").then((r) => {
    for (const c of r.items) form.contractor.append(el("option", { value: c.id }, c.name));
  }).catch(() => {});
  form.period.addEventListener("change", () => { setPeriod(); state.page = 1; load(); });
  for (const f of ["from", "to"]) form[f].addEventListener("change", () => { form.period.value = "custom"; });
  form.report.addEventListener("change", () => { showFilters(form.report.value); state.page = 1; load(); });
  form.addEventListener("submit", (e) => { e.preventDefault(); state.page = 1; load(); });
  $("report-prev").addEventListener("click", () => { if (state.page > 1) { state.page--; load(); } });
  $("report-next").addEventListener("click", () => { state.page++; load(); });
  showFilters(form.report.value);
  load();
}
