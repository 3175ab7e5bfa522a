// 单位管理: the site tree (供电局 / 管理区) and each site's business hours per weekday and on
// make-up working days (调休上班), and its own days off and working days (本单位休息日 /
// 本单位上班日), which the deadlines of its orders count in; the national holidays and make-up
// days, read-only. A site anything refers to cannot be deleted (the
// server says what refers to it): it is 停用 instead, and 启用 again.
import { saveRecord } from "./admin_register.js";
import { api, el, once } from "./api.js";
import { comma, paren, semicolon, t } from "./i18n.js";
import { toast } from "./toast.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const form = document.getElementById("site-form");
let items = [];

// The week in runs of days with the same periods: 周一至周五 08:30-12:00、13:30-17:30；周六 09:00-12:00
function weekRuns(hours) {
  const runs = [];
  for (const d of DAYS) {
    const last = runs.at(-1), same = last && last.periods.join() === hours[d].join();
    if (same && DAYS.indexOf(last.to) === DAYS.indexOf(d) - 1) last.to = d;
    else runs.push({ from: d, to: d, periods: hours[d] });
  }
  return runs.filter((r) => r.periods.length);
}
const daysText = (r) => (r.from === r.to ? t(`site.day.${r.from}`)
  : t("site.days_range", { from: t(`site.day.${r.from}`), to: t(`site.day.${r.to}`) }));
const weekText = (hours) => weekRuns(hours).map((r) => `${daysText(r)} ${r.periods.join(comma)}`).join(semicolon);
// a time range never breaks inside (08:30- / 12:00): each is one unbreakable piece, the line
// breaking only between the ranges (and dates) and the days
const piecesEl = (texts) => texts.flatMap((p, i) => [i ? comma : "", el("span", { class: "period" }, p)]);
const runEl = (r) => [el("span", { class: "period" }, `${daysText(r)}\u00a0${r.periods[0]}`),
  ...r.periods.slice(1).flatMap((p) => [comma, el("span", { class: "period" }, p)])];
const weekEl = (hours) => weekRuns(hours).flatMap((r, i) => [i ? semicolon : "", ...runEl(r)]);
// A site on the default hours says just that, the week on hover (the default week repeated on
// every row pushed the table down), and its make-up hours only when they are not the default's
function hoursCell(s) {
  const out = s.own_hours ? weekEl(s.hours) : [el("span", { class: "muted", title: weekText(s.hours) }, t("site.default_hours"))];
  if (s.own_hours || s.own_makeup_hours) {
    out.push(el("div", { class: "site-makeup" }, `${t("site.makeup_short")} `, s.makeup_hours.length ? piecesEl(s.makeup_hours) : t("site.closed")));
  }
  for (const key of ["holidays", "workdays"]) {
    if (s[key].length) out.push(el("div", { class: `site-${key}` }, `${t(`field.${key}`)} `, piecesEl(s[key])));
  }
  return out;
}

function render(holidays) {
  const byId = new Map(items.map((s) => [s.id, s]));
  document.querySelector("#site-list tbody").replaceChildren(...items.map((s) => el("tr", { "data-id": s.id, class: s.enabled ? "" : "muted" },
    el("td", {}, s.code), el("td", { class: "wrap" }, s.name), el("td", { class: "wrap" }, byId.get(s.parent_site_id)?.name || ""),
    el("td", {}, t(`site.kind.${s.kind}`)), el("td", {}, s.timezone),
    // the week's hours wrap between ranges, so the row fits a 1366 px screen
    el("td", { class: "wrap site-hours" }, hoursCell(s)),
    el("td", { "data-state": s.enabled ? "enabled" : "disabled" }, t(s.enabled ? "site.enabled" : "site.disabled")),
    el("td", { class: "site-actions" },
      el("button", { type: "button", class: "link", onclick: () => edit(s) }, t("site.edit")), " ",
      el("button", { type: "button", class: "link", "data-act": "toggle", onclick: (e) => once(e.currentTarget, () => toggle(s)) }, t(s.enabled ? "site.disable" : "site.enable")), " ",
      el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => remove(s)) }, t("site.delete"))),
  )));
  const parent = form.parent_site_id, chosen = parent.value;
  parent.replaceChildren(parent.options[0], ...items.map((s) => el("option", { value: s.id }, `${s.name}${paren(s.code)}`)));
  parent.value = chosen;
  if (holidays) {
    document.getElementById("site-holidays").replaceChildren(...holidays.map((y) => el("div", {},
      el("h3", {}, `${y.year}${y.official ? "" : ` · ${t("site.provisional")}`}`),
      el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, el("th", {}, t("site.holiday_name")), el("th", {}, t("site.holiday_days")), el("th", {}, t("site.makeup_days")))),
        el("tbody", {}, ...y.holidays.map((h) => el("tr", {},
          el("td", {}, h.name), el("td", {}, h.from === h.to ? h.from : `${h.from} ~ ${h.to}`), el("td", {}, h.makeup.join("、")))))))));
  }
}

async function load() {
  const data = await api("/api/admin/sites");
  items = data.items;
  render(data.holidays);
}

function edit(s) {
  form.id.value = s.id;
  form.code.value = s.code;
  form.code.readOnly = true; // workflows and forms name sites by code
  for (const k of ["name", "kind", "timezone"]) form[k].value = s[k] ?? "";
  form.parent_site_id.value = s.parent_site_id ?? "";
  for (const d of DAYS) form.elements.namedItem(`hours.${d}`).value = s.hours[d].join(", ");
  // blank: Monday's hours, as a site without its own works make-up days
  form.makeup_hours.value = s.own_makeup_hours ? s.makeup_hours.join(", ") || "-" : "";
  for (const key of ["holidays", "workdays"]) form[key].value = s[key].join("\n");
  document.getElementById("site-form-title").textContent = `${t("site.edit")} · ${s.name}`;
}

async function toggle(s) {
  if (s.enabled && !confirm(t("site.confirm_disable", { name: s.name }))) return;
  try {
    await api(`/api/admin/sites/${s.id}`, { method: "PATCH", body: { enabled: !s.enabled } });
    toast(t(s.enabled ? "site.disabled_now" : "site.enabled_now"), "ok");
  } catch (err) { toast(err.message, "refused"); }
  await load();
}

async function remove(s) {
  if (!confirm(t("site.confirm_delete", { name: s.name }))) return;
  try { await api(`/api/admin/sites/${s.id}`, { method: "DELETE" }); toast(t("site.deleted"), "ok"); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const hours = Object.fromEntries(DAYS.map((d) => [d,
    form.elements.namedItem(`hours.${d}`).value.split(/[,，;；\s]+/).filter(Boolean)]));
  // blank: Monday's hours; "-": the site does not work make-up days
  const makeup = form.makeup_hours.value.trim();
  const body = {
    name: form.name.value, kind: form.kind.value, timezone: form.timezone.value.trim(),
    parent_site_id: form.parent_site_id.value ? Number(form.parent_site_id.value) : null, hours,
    makeup_hours: makeup === "" ? null : makeup === "-" ? [] : makeup.split(/[,，;；\s]+/).filter(Boolean),
    // every line as typed, blank ones too: a refusal names the line (本单位休息日第 2 行)
    holidays: form.holidays.value.split("\n"), workdays: form.workdays.value.split("\n"),
  };
  if (!form.id.value) body.code = form.code.value.trim();
  if (await saveRecord(form, "/api/admin/sites", body, t("site.saved"))) await load();
});
form.addEventListener("reset", () => {
  setTimeout(() => { form.id.value = ""; form.code.readOnly = false; }, 0);
  for (const input of form.querySelectorAll("input, select, fieldset")) input.removeAttribute("aria-invalid");
  document.getElementById("site-form-title").textContent = t("site.new");
});

load().catch((err) => toast(err.message, "refused"));
