// 单位管理: the site tree (供电局 / 管理区) and each site's business hours per weekday and on
// make-up working days (调休上班), which the deadlines of its orders count in; the national
// holidays and make-up days, read-only. A site anything refers to cannot be deleted (the
// server says what refers to it): it is 停用 instead, and 启用 again.
import { saveRecord } from "./admin_register.js";
import { api, el, once } from "./api.js";
import { paren, semicolon, t } from "./i18n.js";
import { toast } from "./toast.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const form = document.getElementById("site-form");
let items = [];

const hoursText = (hours) => DAYS.filter((d) => hours[d].length)
  .map((d) => `${t(`site.day.${d}`)}\u00a0${hours[d].join("、")}`).join(semicolon) || "";

function render(holidays) {
  const byId = new Map(items.map((s) => [s.id, s]));
  document.querySelector("#site-list tbody").replaceChildren(...items.map((s) => el("tr", { "data-id": s.id, class: s.enabled ? "" : "muted" },
    el("td", {}, s.code), el("td", { class: "wrap" }, s.name), el("td", { class: "wrap" }, byId.get(s.parent_site_id)?.name || ""),
    el("td", {}, t(`site.kind.${s.kind}`)), el("td", {}, s.timezone),
    // the week's hours wrap (one day's periods kept together), so the row fits a 1366 px screen
    el("td", { class: "wrap site-hours" }, hoursText(s.hours), s.own_hours ? "" : el("span", { class: "muted" }, paren(t("site.default_hours"))),
      el("div", { class: "site-makeup" }, `${t("site.makeup_short")} ${s.makeup_hours.join("、") || t("site.closed")}`)),
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
