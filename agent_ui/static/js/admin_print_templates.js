// 打印模板设置: jinja2 HTML per workflow step (or category × step). The server renders a trial
// on save, so a template that does not compile or leaves the sandbox is refused at once.
import { saveRecord } from "./admin_register.js";
import { api, el } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("print-form");
const blank = form.body.value;

async function load() {
  const { items } = await api("/api/print-templates");
  document.querySelector("#print-list tbody").replaceChildren(...items.map((p) => el("tr", { "data-id": p.id, class: p.enabled ? "" : "muted" },
    el("td", {}, p.name), el("td", {}, p.workflow_key), el("td", {}, p.node || t("print.any_node")),
    el("td", {}, p.category || t("print.any_category")), el("td", {}, p.enabled ? t("contractor.yes") : t("contractor.disabled")),
    el("td", {},
      el("button", { type: "button", class: "link", onclick: () => edit(p) }, t("contractor.edit")), " ",
      el("button", { type: "button", class: "link", onclick: () => toggle(p) }, t(p.enabled ? "contractor.disable" : "contractor.enable"))),
  )));
}

function edit(p) {
  for (const k of ["id", "name", "workflow_key", "node", "category", "body"]) form[k].value = p[k] ?? "";
  document.getElementById("print-form-title").textContent = `${t("contractor.edit")} · ${p.name}`;
}

async function toggle(p) {
  try { await api(`/api/print-templates/${p.id}/${p.enabled ? "disable" : "enable"}`, { method: "POST" }); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { name: form.name.value, workflow_key: form.workflow_key.value, node: form.node.value, category: form.category.value, body: form.body.value };
  if (await saveRecord(form, "/api/print-templates", body, t("print.saved"))) await load();
});
form.addEventListener("reset", () => {
  setTimeout(() => { form.id.value = ""; form.body.value = blank; }, 0);
  document.getElementById("print-form-title").textContent = t("print.new");
});
load().catch((err) => toast(err.message, "refused"));
