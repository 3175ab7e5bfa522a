// 打印模板设置: jinja2 HTML per workflow step (or category × step). The server renders a trial
// on save, so a template that does not compile or leaves the sandbox is refused at once. The
// workflow, step and subcategory are picked by name; the records keep the codes.
import { choose, fillSelect, saveRecord, stepChoices } from "./admin_register.js";
import { api, el, once } from "./api.js";
import { paren, t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("print-form");
const blank = form.body.value;
let workflows = new Map();

const workflowName = (key) => workflows.get(key)?.label || key;
const stepName = (key, id) => (id ? workflows.get(key)?.steps.find((s) => s.id === id)?.name || id : t("print.any_node"));
// listed as intake offers the workflows and as each runs its steps (every step first)
function place(p) {
  const keys = [...workflows.keys()], w = keys.indexOf(p.workflow_key);
  const s = p.node ? (workflows.get(p.workflow_key)?.steps || []).findIndex((x) => x.id === p.node) : -1;
  return [w < 0 ? keys.length : w, p.node ? (s < 0 ? 1e6 : s) : -1];
}
const byPlace = (a, b) => { const [p, q] = [place(a), place(b)]; return p[0] - q[0] || p[1] - q[1]; };
function categoryName(key, code) {
  if (!code) return t("print.any_category");
  const w = workflows.get(key);
  return w?.subcategories.find((c) => c.code === code)?.name || (w?.category === code ? w.name : code);
}

function fillWorkflows() {
  fillSelect(form.workflow_key, [...workflows].map(([key, w]) => [key, w.label]));
  fillParts();
}

// the chosen workflow's steps and subcategories, after 全部步骤 / 全部类别
function fillParts() {
  const w = workflows.get(form.workflow_key.value);
  fillSelect(form.node, (w?.steps || []).map((s) => [s.id, s.name]), t("print.any_node"));
  fillSelect(form.category, (w?.subcategories || []).map((c) => [c.code, c.name]), t("print.any_category"));
}

async function load() {
  const { items } = await api("/api/print-templates");
  document.querySelector("#print-list tbody").replaceChildren(...items.sort(byPlace).map((p) => el("tr", { "data-id": p.id, class: p.enabled ? "" : "muted" },
    el("td", {}, p.name), el("td", {}, workflowName(p.workflow_key)), el("td", {}, stepName(p.workflow_key, p.node)),
    el("td", {}, categoryName(p.workflow_key, p.category)), el("td", {}, p.enabled ? t("contractor.yes") : t("contractor.disabled")),
    el("td", {},
      el("button", { type: "button", class: "link", onclick: () => edit(p) }, t("contractor.edit")), " ",
      el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => toggle(p)) }, t(p.enabled ? "contractor.disable" : "contractor.enable"))),
  )));
}

function edit(p) {
  for (const k of ["id", "name", "body"]) form[k].value = p[k] ?? "";
  choose(form.workflow_key, p.workflow_key);
  fillParts();
  choose(form.node, p.node, stepName(p.workflow_key, p.node));
  choose(form.category, p.category, categoryName(p.workflow_key, p.category));
  document.getElementById("print-form-title").textContent = `${t("contractor.edit")} · ${p.name}`;
}

async function toggle(p) {
  try { await api(`/api/print-templates/${p.id}/${p.enabled ? "disable" : "enable"}`, { method: "POST" }); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

form.workflow_key.addEventListener("change", fillParts);
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { name: form.name.value, workflow_key: form.workflow_key.value, node: form.node.value, category: form.category.value, body: form.body.value };
  if (await saveRecord(form, "/api/print-templates", body, t("print.saved"))) await load();
});
form.addEventListener("reset", () => {
  setTimeout(() => { form.id.value = ""; form.body.value = blank; fillWorkflows(); }, 0);
  document.getElementById("print-form-title").textContent = t("print.new");
});
stepChoices().then((items) => {
  // named by the workflow; two of one name are told apart by their keys
  const named = items.map((w) => w.name);
  workflows = new Map(items.map((w) => [w.key, { ...w, label: named.filter((n) => n === w.name).length > 1 ? `${w.name}${paren(w.key)}` : w.name }]));
  fillWorkflows();
  return load();
}).catch((err) => toast(err.message, "refused"));
