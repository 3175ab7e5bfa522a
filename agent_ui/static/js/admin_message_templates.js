// 短信/邮件/传真模板设置: jinja2 text per category × step. The server renders a trial on save,
// so a template that does not compile is refused at once, naming the field. The category and
// step are picked by name (a category is named by its workflows); the records keep the codes.
import { categoryChoices, choose, fillSelect, saveRecord, stepChoices } from "./admin_register.js";
import { api, el, once } from "./api.js";
import { paren, t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("msg-form");
const FIELDS = ["name", "channel", "audience", "send_on", "subject", "body"];
let categories = new Map();

const categoryName = (code) => categories.get(code)?.name || code;
const stepName = (code, id) => categories.get(code)?.steps.get(id)?.name || id;
// listed as intake offers the categories and as the workflow runs the steps; codes no enabled
// workflow has any more at the end
function place(m) {
  const codes = [...categories.keys()], c = codes.indexOf(m.category);
  const steps = [...(categories.get(m.category)?.steps.keys() || [])], s = steps.indexOf(m.node);
  return [c < 0 ? codes.length : c, s < 0 ? steps.length : s];
}
const byPlace = (a, b) => { const [p, q] = [place(a), place(b)]; return p[0] - q[0] || p[1] - q[1]; };

function fillCategories() {
  fillSelect(form.category, [...categories].map(([code, c]) => [code, c.name]));
  fillSteps();
}

// the chosen category's steps; the audience 外委单位 only where a step dispatches to one
function fillSteps() {
  fillSelect(form.node, [...(categories.get(form.category.value)?.steps.values() || [])].map((s) => [s.id, s.name]));
  markAudience();
}

function markAudience() {
  const contractor = form.audience.querySelector("option[value=contractor]");
  contractor.disabled = !categories.get(form.category.value)?.steps.get(form.node.value)?.contractor;
  contractor.title = contractor.disabled ? t("msgtpl.contractor_only") : "";
}

async function load() {
  const { items } = await api("/api/message-templates");
  document.querySelector("#msg-list tbody").replaceChildren(...items.sort(byPlace).map((m) => el("tr", { "data-id": m.id, class: m.enabled ? "" : "muted" },
    el("td", {}, m.name), el("td", {}, categoryName(m.category)), el("td", {}, stepName(m.category, m.node)), el("td", {}, t(`msgtpl.channel_${m.channel}`)),
    // 发送时机 and the body's first words wrap: on one line each the list was wider than 1366 px
    el("td", {}, t(`msgtpl.audience_${m.audience}`)), el("td", { class: "wrap" }, m.auto_send ? t(`msgtpl.send_on_${m.send_on}`) : "—"),
    el("td", { class: "clip wrap" }, m.body.length > 40 ? `${m.body.slice(0, 40)}…` : m.body),
    el("td", {}, m.enabled ? t("contractor.yes") : t("contractor.disabled")),
    el("td", {},
      el("button", { type: "button", class: "link", onclick: () => edit(m) }, t("contractor.edit")), " ",
      el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => toggle(m)) }, t(m.enabled ? "contractor.disable" : "contractor.enable"))),
  )));
}

function edit(m) {
  form.id.value = m.id;
  choose(form.category, m.category);
  fillSteps();
  choose(form.node, m.node);
  for (const k of FIELDS) form[k].value = m[k] ?? "";
  form.auto_send.checked = Boolean(m.auto_send);
  markAudience();
  fillFields();
  document.getElementById("msg-form-title").textContent = `${t("contractor.edit")} · ${m.name}`;
}

// a reminder of a workflow's version in use worded with the template (GET …/uses), in words:
// 故障报修 v3「派工」第 1 个提醒（短信）
function useText(u) {
  const which = u.overrun ? t("msgtpl.use_overrun") : t("msgtpl.use_reminder", { n: u.reminder });
  return t("msgtpl.use", { workflow: u.workflow_name || u.workflow, version: u.version, step: u.node_name, which,
    channel: t(`msgtpl.channel_${u.channel}`) });
}

// 停用 of a template a workflow's reminder uses: those reminders would say the engine's default
// words instead (the SLA worker's fallback), so the admin is told where and asked first
async function toggle(m) {
  try {
    if (m.enabled) {
      const { uses } = await api(`/api/message-templates/${m.id}/uses`);
      if (uses.length && !confirm(t("msgtpl.disable_in_use", { name: m.name, uses: uses.map(useText).join("\n") }))) return;
    }
    await api(`/api/message-templates/${m.id}`, { method: "PATCH", body: { enabled: !m.enabled } });
  } catch (err) { toast(err.message, "refused"); }
  await load();
}

// ---- the merge-field picker: the fields the renderer's context has (GET
// /api/message-templates/fields, read from the code), written at the cursor of the subject or body
// as {{ field }} or, with a text for when it is missing, {{ field | fallback('…') }} ----
let target = form.body; // the text box the admin was last in
for (const box of [form.subject, form.body]) box.addEventListener("focus", () => { target = box; });
const mergeLabel = (expression) => words(`merge.${expression}`) || expression;
const words = (key) => (t(key) === key ? "" : t(key));

let asked = 0; // the latest list asked for: an earlier answer arriving late is dropped
async function fillFields() {
  const query = { category: form.category.value || "", node: form.node.value || "" };
  const mine = ++asked;
  let items = [];
  try { ({ items } = await api("/api/message-templates/fields", { query })); } catch (err) { toast(err.message, "refused"); }
  if (mine !== asked) return;
  const picked = form.merge_field.value;
  const groups = new Map();
  for (const f of items) groups.set(f.group, [...(groups.get(f.group) || []), f]);
  form.merge_field.replaceChildren(el("option", { value: "" }, t("msgtpl.field_pick")),
    ...[...groups].map(([group, fields]) => el("optgroup", { label: words(`merge.${group}`) || group },
      fields.map((f) => el("option", { value: f.expression, selected: f.expression === picked }, `${mergeLabel(f.expression)}${mergeLabel(f.expression) === f.expression ? "" : paren(f.expression)}`)))));
}

export function mergeExpression(expression, missing) {
  if (!missing) return `{{ ${expression} }}`;
  return `{{ ${expression} | fallback('${missing.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}') }}`;
}

form.merge_field.addEventListener("change", () => {
  // a sensible stand-in: what the field is about (客户 for the customer's name)
  const group = form.merge_field.value.split(/[.[]/)[0];
  form.merge_default.value = form.merge_field.value ? words(`merge.${group}`) : "";
});
document.getElementById("msg-insert").addEventListener("click", () => {
  if (!form.merge_field.value) { form.merge_field.focus(); return; }
  const text = mergeExpression(form.merge_field.value, form.merge_default.value.trim());
  const start = target.selectionStart ?? target.value.length, end = target.selectionEnd ?? start;
  target.setRangeText(text, start, end, "end");
  target.focus();
});
document.getElementById("msg-preview-btn").addEventListener("click", async (e) => {
  const body = { category: form.category.value, subject: form.subject.value, body: form.body.value, missing: form.preview_missing.checked };
  form.subject.removeAttribute("aria-invalid");
  form.body.removeAttribute("aria-invalid");
  await once(e.currentTarget, async () => {
    try {
      const shown = await api("/api/message-templates/preview", { method: "POST", body });
      document.getElementById("msg-preview-subject").textContent = shown.subject;
      document.getElementById("msg-preview-body").textContent = shown.body;
      document.getElementById("msg-preview").hidden = false;
    } catch (err) {
      // the text that cannot be filled is marked, as a save marks it
      for (const name of Object.keys(err.details?.problems || {})) form[name]?.setAttribute("aria-invalid", "true");
      document.getElementById("msg-preview").hidden = true;
      toast(err.message, "refused");
    }
  });
});

form.category.addEventListener("change", fillSteps);
form.category.addEventListener("change", fillFields);
form.node.addEventListener("change", markAudience);
form.node.addEventListener("change", fillFields);
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { auto_send: form.auto_send.checked, category: form.category.value, node: form.node.value };
  for (const k of FIELDS) body[k] = form[k].value;
  if (await saveRecord(form, "/api/message-templates", body, t("print.saved"))) await load();
});
form.addEventListener("reset", () => {
  setTimeout(() => { form.id.value = ""; fillCategories(); fillFields(); }, 0);
  document.getElementById("msg-form-title").textContent = t("msgtpl.new");
});
stepChoices().then((workflows) => {
  categories = categoryChoices(workflows);
  fillCategories();
  fillFields();
  return load();
}).catch((err) => toast(err.message, "refused"));
