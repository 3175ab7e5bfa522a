// 业务类别: the business categories intake offers (业务大类别 / 小类别). Create, rename, 停用 /
// 启用 (never deleted: orders keep naming them), attach a 大类别 to an enabled workflow (its
// 小类别 follow it), and its visit-back (回访) scoring dimensions. A workflow already serving
// other categories is attached only after the admin confirms it (category_workflow_shared).
// A category is shared by every site or an enabled site's own (适用单位), offered to the sites
// below it too (a 供电局's to its 供电所); a site's own with the code of a shared one, or of one a
// site above it has, is that site's override of it (覆盖共用类别 / 覆盖某单位的类别: from where it
// would inherit it); 恢复上级设置 removes an override, so the site follows that row again.
import { api, el, once } from "./api.js";
import { paren, semicolon, t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("cat-form");
const survey = document.getElementById("cat-survey-form");
let data = { items: [], workflows: [], sites: [] };

const siteName = (id) => (id ? data.sites.find((s) => s.id === id)?.name || `#${id}` : t("cat.all_sites"));
const dimsText = (dims) => dims.map((d) => `${d.name}${paren(d.options.map((o) => o.label).join("/"))}`).join(semicolon);

function workflowCell(c) {
  if (c.parent_id) return el("span", { class: "muted" }, c.workflow_name ? `${c.workflow_name} · ${t("cat.follows_parent")}` : t("cat.follows_parent"));
  if (!c.workflow_key) return el("span", { class: "muted" }, t("cat.no_workflow"));
  return c.workflow_enabled ? c.workflow_name : el("span", { class: "error" }, `${c.workflow_name}${paren(t("cat.workflow_off"))}`);
}

// A category without dimensions of its own is visited back with its workflow's category's.
function surveyCell(c) {
  const own = (c.site_dimensions || []).filter((s) => s.dimensions.length);
  const sites = own.length ? el("div", { class: "muted" }, t("cat.site_own", { sites: own.map((s) => siteName(s.site_id)).join("、") })) : "";
  if (c.dimensions?.length) return [dimsText(c.dimensions), sites];
  if (c.inherited_dimensions?.length) return [el("span", { class: "muted" }, t("cat.inherited", { name: c.dimensions_from, dimensions: dimsText(c.inherited_dimensions) })), sites];
  return [el("span", { class: "muted" }, t("cat.no_survey")), sites];
}

function render() {
  document.querySelector("#cat-list tbody").replaceChildren(...data.items.map((c) => el("tr", { "data-id": c.id, "data-code": c.code, class: c.enabled ? "" : "muted" },
    el("td", {}, c.parent_id ? `　└ ${c.name}` : c.name), el("td", {}, c.code),
    el("td", {}, t(c.parent_id ? "cat.sub" : "cat.top")),
    el("td", { "data-site": c.site_id ?? "" }, siteName(c.site_id), c.overrides ? el("span", { class: "muted", "data-overrides": c.overrides_site_id ?? "" },
      ` · ${c.overrides_site_id ? t("cat.override_site", { site: siteName(c.overrides_site_id) }) : t("cat.override")}`) : ""),
    el("td", { "data-workflow": c.workflow_key }, workflowCell(c)),
    el("td", { class: "wrap" }, c.parent_id ? "" : surveyCell(c)),
    el("td", { class: "num" }, String(c.orders)),
    el("td", { "data-state": c.enabled ? "enabled" : "disabled" }, t(c.enabled ? "cat.enabled" : "cat.disabled"),
      // not offered at intake: only the system makes it (协调单: 派工超时转协调单)
      c.parent_id || c.at_intake ? "" : el("span", { class: "muted", "data-intake": "off" }, ` · ${t("cat.not_at_intake")}`)),
    el("td", {},
      el("button", { type: "button", class: "link", "data-act": "edit", onclick: () => edit(c) }, t("cat.edit")), " ",
      el("button", { type: "button", class: "link", "data-act": "toggle", onclick: (e) => once(e.currentTarget, () => toggle(c)) }, t(c.enabled ? "cat.disable" : "cat.enable")),
      c.parent_id ? "" : " ",
      c.parent_id ? "" : el("button", { type: "button", class: "link", "data-act": "intake", onclick: (e) => once(e.currentTarget, () => toggleIntake(c)) }, t(c.at_intake ? "cat.intake_off" : "cat.intake_on")),
      c.parent_id ? "" : " ",
      c.parent_id ? "" : el("button", { type: "button", class: "link", "data-act": "survey", onclick: () => editSurvey(c) }, t("cat.survey_edit")),
      c.overrides ? " " : "",
      c.overrides ? el("button", { type: "button", class: "link", "data-act": "restore", onclick: (e) => once(e.currentTarget, () => restore(c)) }, t("cat.restore_inherited")) : ""),
  )));
  for (const site of [survey.site_id, form.site_id]) {
    const chosenSite = site.value;
    site.replaceChildren(site.options[0], ...data.sites.filter((s) => s.enabled || String(s.id) === chosenSite).map((s) => el("option", { value: s.id }, s.name)));
    site.value = chosenSite;
  }
  parentOptions();
  const wf = form.workflow_key, chosenWf = wf.value;
  // only a workflow with an enabled version may be attached; where else it serves is said
  wf.replaceChildren(wf.options[0], ...data.workflows.filter((w) => w.enabled || w.key === chosenWf).map((w) =>
    el("option", { value: w.key }, `${w.name}${paren(w.key)}${w.categories.length ? ` · ${t("cat.attached_to", { categories: w.categories.join("、") })}` : ` · ${t("cat.not_attached")}`}`)));
  wf.value = chosenWf;
  levelChanged();
}

// The site and the sites above it (a 供电所, its 供电局, …), as ids in text.
function lineage(id) {
  const out = [];
  for (let s = data.sites.find((x) => String(x.id) === String(id)); s && !out.includes(String(s.id)); s = data.sites.find((x) => x.id === s.parent_id)) out.push(String(s.id));
  return out;
}

// A 小类别 hangs under a shared 大类别, its site's own or a site's above it (all of them while
// editing: it is fixed).
function parentOptions() {
  const parent = form.parent_id, chosenParent = parent.value, levels = lineage(form.site_id.value);
  parent.replaceChildren(parent.options[0], ...data.items.filter((c) => !c.parent_id
    && (form.id.value || !c.site_id || levels.includes(String(c.site_id)) || String(c.id) === chosenParent)).map((c) =>
    el("option", { value: c.id }, `${c.name}${paren(c.code)}${c.site_id ? ` · ${siteName(c.site_id)}` : ""}${c.enabled ? "" : ` · ${t("cat.disabled")}`}`)));
  parent.value = chosenParent;
  if (parent.value !== chosenParent) parent.value = "";
}
form.site_id.addEventListener("change", () => { parentOptions(); levelChanged(); });

// A 小类别 takes orders on its 大类别's workflow: the workflow is chosen on top categories only.
function levelChanged() {
  const sub = Boolean(form.parent_id.value);
  form.workflow_key.disabled = sub;
  if (sub) form.workflow_key.value = "";
  const w = data.workflows.find((x) => x.key === form.workflow_key.value);
  const current = data.items.find((c) => String(c.id) === form.id.value);
  const others = (w?.categories || []).filter((name) => name !== current?.name);
  document.getElementById("cat-workflow-note").textContent = sub ? t("cat.follows_parent_hint")
    : others.length ? t("cat.shared_note", { categories: others.join("、") }) : "";
}
form.parent_id.addEventListener("change", levelChanged);
form.workflow_key.addEventListener("change", levelChanged);

async function load() {
  data = await api("/api/admin/categories");
  render();
}

let editing = false; // edit() clears the form: its reset must not then clear what edit() filled in
function edit(c) {
  editing = true;
  form.reset();
  editing = false;
  form.id.value = c.id;
  form.name.value = c.name;
  form.code.value = c.code;
  form.code.readOnly = true; // orders, reports and templates keep the code
  parentOptions();
  form.parent_id.value = c.parent_id ?? "";
  form.parent_id.disabled = true;
  form.site_id.value = c.site_id ?? "";
  form.site_id.disabled = true; // a row's site is fixed, as its code
  form.workflow_key.value = c.parent_id ? "" : c.workflow_key;
  levelChanged();
  form.workflow_key.disabled = Boolean(c.parent_id);
  document.getElementById("cat-form-title").textContent = `${t("cat.edit")} · ${c.name}`;
  form.name.focus();
}

async function toggle(c) {
  if (c.enabled && !confirm(t("cat.confirm_disable", { name: c.name }))) return;
  await send(`/api/admin/categories/${c.id}`, "PATCH", { enabled: !c.enabled }, t(c.enabled ? "cat.disabled_now" : "cat.enabled_now"));
  await load();
}

// 受理时可选 or not: a 大类别 only the system makes (协调单) is kept out of the seat's intake and the
// inbox's 填写受理工单; its orders still come from 派工超时转协调单
async function toggleIntake(c) {
  await send(`/api/admin/categories/${c.id}`, "PATCH", { at_intake: !c.at_intake }, t(c.at_intake ? "cat.intake_off_now" : "cat.intake_on_now"));
  await load();
}

// 恢复上级设置: the site's override goes; the site and those below it follow the row it overrode
// (the shared one, or a site's above it) again. Refused when 小类别 hang under it or open orders
// run on its own workflow (the server says which).
async function restore(c) {
  const from = c.overrides_site_id ? siteName(c.overrides_site_id) : t("cat.all_sites");
  if (!confirm(t("cat.confirm_restore", { name: c.name, site: siteName(c.site_id), from }))) return;
  if (await send(`/api/admin/categories/${c.id}/override`, "DELETE", undefined, t("cat.restored", { site: siteName(c.site_id), from }))) await load();
}

// Sends the write; a workflow already serving other categories is asked about, then sent again.
async function send(path, method, body, okText) {
  for (const input of form.querySelectorAll("input, select")) input.removeAttribute("aria-invalid");
  try {
    try {
      await api(path, { method, body });
    } catch (err) {
      if (err.errorId !== "category_workflow_shared" || !confirm(err.message)) throw err;
      await api(path, { method, body: { ...body, confirm: true } });
    }
    toast(okText, "ok");
    return true;
  } catch (err) {
    for (const name of Object.keys(err.details?.problems || {})) form.elements.namedItem(name)?.setAttribute?.("aria-invalid", "true");
    toast(err.message, "refused");
    return false;
  }
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const saved = await once(form, async () => {
    const body = { name: form.name.value };
    if (!form.parent_id.value) body.workflow_key = form.workflow_key.value;
    if (form.id.value) return send(`/api/admin/categories/${form.id.value}`, "PATCH", body, t("cat.saved"));
    Object.assign(body, {
      code: form.code.value.trim(),
      parent_id: form.parent_id.value ? Number(form.parent_id.value) : null,
      site_id: form.site_id.value ? Number(form.site_id.value) : null,
    });
    if (body.parent_id) delete body.workflow_key;
    return send("/api/admin/categories", "POST", body, t("cat.saved"));
  });
  if (saved === true) {
    form.reset();
    await load();
  }
});
form.addEventListener("reset", () => {
  if (!editing) setTimeout(() => {
    form.id.value = "";
    form.code.readOnly = false;
    form.parent_id.disabled = false;
    form.site_id.disabled = false;
    parentOptions();
    levelChanged();
  }, 0);
  for (const input of form.querySelectorAll("input, select")) input.removeAttribute("aria-invalid");
  document.getElementById("cat-form-title").textContent = t("cat.new");
});

// 回访评价项目: one dimension a line, "名称：满意的选项… | 不满意的选项…"
const SEP = /[,，、;；\s]+/;
function parseDimensions(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
    const m = line.match(/^([^:：]+)[:：](.*)$/);
    if (!m) return { name: line, options: [] };
    const [good, bad = ""] = m[2].split(/[|｜]/);
    const opts = (part, satisfied) => part.split(SEP).filter(Boolean).map((label) => ({ label, satisfied }));
    return { name: m[1].trim(), options: [...opts(good, true), ...opts(bad, false)] };
  });
}
const dimensionLine = (d) => `${d.name}：${d.options.filter((o) => o.satisfied).map((o) => o.label).join("，")} | ${d.options.filter((o) => !o.satisfied).map((o) => o.label).join("，")}`;

// The set shown is the one the site picked has: a site's own, or the shared one (全部单位). A
// site without its own is visited back with the nearest site's above it that has one (a 供电所
// with its 供电局's), else the shared set: the note says whose, the box stays for its own.
function surveyShown() {
  const c = data.items.find((x) => String(x.id) === survey.id.value);
  if (!c) return;
  const site = survey.site_id.value;
  const ownOf = (id) => (c.site_dimensions || []).find((s) => String(s.site_id) === id && s.dimensions.length)?.dimensions;
  const dims = site ? ownOf(site) || [] : c.dimensions || [];
  survey.dimensions.value = dims.map(dimensionLine).join("\n");
  const note = document.getElementById("cat-survey-from");
  const from = site && !dims.length ? lineage(site).slice(1).find((id) => ownOf(id)) : undefined;
  const inherited = from ? ownOf(from) : c.dimensions || [];
  note.hidden = !site || dims.length > 0 || !inherited.length;
  note.textContent = note.hidden ? "" : t("cat.survey_follows", { site: from ? siteName(Number(from)) : t("cat.survey_default"), dimensions: dimsText(inherited) });
}
survey.site_id.addEventListener("change", surveyShown);

function editSurvey(c) {
  survey.id.value = c.id;
  survey.site_id.value = "";
  // a site's own category has that site's set only
  survey.site_id.disabled = Boolean(c.site_id);
  surveyShown();
  survey.dimensions.removeAttribute("aria-invalid");
  document.getElementById("cat-survey-title").textContent = `${t("cat.survey")} · ${c.name}`;
  document.getElementById("cat-survey").hidden = false;
  survey.dimensions.focus();
}

survey.addEventListener("submit", async (e) => {
  e.preventDefault();
  survey.dimensions.removeAttribute("aria-invalid");
  const saved = await once(survey, async () => {
    try {
      const body = { dimensions: parseDimensions(survey.dimensions.value) };
      if (survey.site_id.value) body.site_id = Number(survey.site_id.value);
      await api(`/api/admin/categories/${survey.id.value}/survey`, { method: "PUT", body });
    } catch (err) {
      if (err.details?.problems) survey.dimensions.setAttribute("aria-invalid", "true");
      toast(err.message, "refused");
      return false;
    }
    toast(t("cat.survey_saved"), "ok");
    return true;
  });
  if (saved === true) {
    document.getElementById("cat-survey").hidden = true;
    await load();
  }
});
document.getElementById("cat-survey-close").addEventListener("click", () => { document.getElementById("cat-survey").hidden = true; });

load().catch((err) => toast(err.message, "refused"));
