// 报表: pick a report and a period, see figures, charts and the table, export CSV / Excel.
import { api, clock, el, siteToday } from "./api.js";
import { renderChart } from "./charts.js";
import { queueName, t } from "./i18n.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
// refused: the filters (exportKey) the server refused, so no export offers them;
// maxDays: the longest period in days (the catalog says)
const state = { page: 1, size: 50, refused: new Set(), maxDays: Infinity };
const FILTERS = ["from", "to", "queue", "number", "site", "interval", "threshold", "workflow", "contractor"];
const NUMERIC = ["int", "seconds", "duration", "number", "percent"];

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

// the filters shown for the report: one hidden for it (a 号码 typed for 通话明细) filters nothing,
// on the page as in its exports
function query(form) {
  const q = {};
  for (const f of FILTERS) q[f] = form[f].closest("label")?.hidden ? "" : form[f].value;
  return q;
}

function showFilters(name) {
  for (const label of document.querySelectorAll("#report-filters label[data-for]")) {
    label.hidden = !label.dataset.for.split(" ").includes(name);
  }
}

const given = (q) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== ""));
const exportKey = (name, q) => `${name}?${new URLSearchParams(given(q))}`;

// a period the server is sure to refuse: the end before the start, or longer than it allows
function periodRefused(q) {
  if (!q.from || !q.to) return false;
  const days = (Date.parse(`${q.to}T00:00:00Z`) - Date.parse(`${q.from}T00:00:00Z`)) / 86400000;
  return days < 0 || days >= state.maxDays;
}

// the export links follow the filters as they stand (shown or not yet), and offer nothing for
// filters that were refused or will be: no download of an error instead of a report
function exportLinks() {
  const form = $("report-filters");
  const name = form.report.value;
  const q = query(form);
  const refused = state.refused.has(exportKey(name, q)) || periodRefused(q);
  for (const fmt of ["csv", "xlsx"]) {
    const link = $(`export-${fmt}`);
    if (refused) {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
    } else {
      link.href = `/api/reports/${name}/export?${new URLSearchParams({ ...given(q), format: fmt })}`;
      link.removeAttribute("aria-disabled");
    }
  }
}

const percent = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const seconds = (v) => (v === null || v === undefined ? "—" : String(v));
// a duration (whole seconds: a shift's time in a state) as 时:分:秒, 28800 → 8:00:00, 327 → 0:05:27
const duration = (v) => (v === null || v === undefined ? "—" : clock(Math.round(Number(v)), { hours: true }));

function cell(column, value) {
  if (column.kind === "link") return el("td", {}, value ? el("a", { href: value, target: "_blank", rel: "noopener" }, t("report.play")) : "");
  if (column.kind === "order") return el("td", {}, ...String(value || "").split(" ").filter(Boolean).map((n) => [el("a", { href: `/orders/${n}` }, n), " "]));
  if (column.kind === "percent") return el("td", { class: "num" }, percent(value));
  if (column.kind === "duration") return el("td", { class: "num", title: `${value ?? "—"}${t("report.unit.seconds")}` }, duration(value));
  if (NUMERIC.includes(column.kind)) return el("td", { class: "num" }, seconds(value));
  return el("td", {}, value ?? "");
}

function summary(data) {
  const s = data.summary || {};
  const items = [];
  if (data.name === "queues") {
    items.push(["report.s.offered", s.offered], ["report.s.service_level", percent(s.service_level)], ["report.s.asa", s.asa === null ? "—" : t("unit.seconds", { n: s.asa })], ["report.s.aht", s.aht === null ? "—" : t("unit.seconds", { n: s.aht })], ["report.s.abandon_rate", percent(s.abandon_rate)]);
  } else if (data.name === "satisfaction") {
    items.push(["report.s.total", s.total], ["report.s.rate", percent(s.rate)]);
  } else if (data.name === "campaign_attempts") {
    // every campaign's calls over the period: how many, answered (late ones among them), reached
    items.push(["report.c.attempts", s.attempts], ["camp.outcome.answered", s.answered], ["camp.late_answers", s.late], ["report.c.reach_rate", percent(s.reach_rate)]);
  } else if (data.name === "cycle_time_steps") {
    items.push(["report.s.workflow", s.workflow_name ?? s.workflow]);
  }
  $("report-summary").replaceChildren(...items.map(([k, v]) => el("div", { "data-key": k }, el("dt", {}, t(k)), el("dd", {}, v ?? "—"))));
}

async function load() {
  const form = $("report-filters");
  const name = form.report.value;
  const q = query(form);
  const key = exportKey(name, q);
  exportLinks();
  try {
    const data = await api(`/api/reports/${name}`, { query: { ...q, page: state.page, size: state.size } });
    $("report-heading").textContent = `${data.title} · ${q.from} — ${q.to}`;
    summary(data);
    $("report-charts").replaceChildren(...(data.rows.length ? data.charts.map(renderChart) : []));
    $("report-empty").hidden = data.rows.length > 0;
    document.querySelector("#report-table thead").replaceChildren(el("tr", {}, ...data.columns.map((c) => el("th", { scope: "col", class: NUMERIC.includes(c.kind) ? "num" : undefined }, c.label))));
    document.querySelector("#report-table tbody").replaceChildren(...data.rows.map((row) => el("tr", {}, ...row.map((v, i) => cell(data.columns[i], v)))));
    const pages = Math.max(1, Math.ceil((data.row_count ?? data.total) / state.size));
    $("report-pager").hidden = pages <= 1;
    $("report-page").textContent = `${state.page} / ${pages}`;
    $("report-prev").disabled = state.page <= 1;
    $("report-next").disabled = state.page >= pages;
    $("reports").dataset.loaded = `${name} ${q.from} ${q.to}`;
    state.refused.delete(key);
  } catch (err) {
    // a refusal (4xx) holds for these filters; a failure (5xx, no network) may pass next time
    if (err.status >= 400 && err.status < 500) state.refused.add(key);
    clearResults(); // the last answer was for other filters: left on screen it would read as this one's
    toast(err.message, "refused");
  }
  exportLinks();
}

function clearResults() {
  $("report-heading").textContent = "";
  for (const id of ["report-summary", "report-charts"]) $(id).replaceChildren();
  for (const part of ["thead", "tbody"]) document.querySelector(`#report-table ${part}`).replaceChildren();
  $("report-empty").hidden = true;
  $("report-pager").hidden = true;
  delete $("reports").dataset.loaded;
}

export async function start() {
  const form = $("report-filters");
  const setPeriod = () => {
    const custom = form.period.value === "custom";
    if (!custom) [form.from.value, form.to.value] = periodDates(form.period.value);
  };
  setPeriod();
  api("/api/reports").then((catalog) => {
    for (const q of catalog.queues) form.queue.append(el("option", { value: q }, queueName(q)));
    for (const s of catalog.sites) form.site.append(el("option", { value: s.id }, `${"　".repeat(Math.max(0, s.path.split("/").length - 3))}${s.name}`));
    for (const w of catalog.workflows) form.workflow.append(el("option", { value: w.key }, w.name));
    state.maxDays = catalog.max_days ?? state.maxDays;
    exportLinks();  // the workflow now chosen, the longest period known
  }).catch(() => {});
  api("/api/contractors").then((r) => {
    for (const c of r.items) form.contractor.append(el("option", { value: c.id }, c.name));
  }).catch(() => {});
  form.period.addEventListener("change", () => { setPeriod(); state.page = 1; load(); });
  for (const f of ["from", "to"]) form[f].addEventListener("change", () => { form.period.value = "custom"; });
  form.report.addEventListener("change", () => { showFilters(form.report.value); state.page = 1; load(); });
  // changed filters not yet shown: the export already takes them
  form.addEventListener("input", exportLinks);
  form.addEventListener("change", exportLinks);
  form.addEventListener("submit", (e) => { e.preventDefault(); state.page = 1; load(); });
  $("report-prev").addEventListener("click", () => { if (state.page > 1) { state.page--; load(); } });
  $("report-next").addEventListener("click", () => { state.page++; load(); });
  showFilters(form.report.value);
  load();
}
