// 外委单位资料管理: the register of contractors a workflow step can dispatch to.
// Disabled (停用) rather than deleted once orders were dispatched to them. The categories it
// serves are ticked by name (a category is named by its workflows); the record keeps the codes.
import { categoryChoices, offerOpenSites, saveRecord, stepChoices } from "./admin_register.js";
import { api, el, once } from "./api.js";
import { paren, t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("contractor-form");
const boxes = document.getElementById("contractor-categories");
let items = [];
let categories = new Map();

const categoryName = (code) => categories.get(code)?.name || code;

// a box per category, ticked for those in `chosen`; a code no enabled workflow has any more
// gets one of its own, so editing keeps it
function fillCategories(chosen = []) {
  const codes = [...categories.keys(), ...chosen.filter((c) => !categories.has(c))];
  const hint = boxes.querySelector("p");
  boxes.replaceChildren(boxes.querySelector("legend"), ...codes.map((code) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "category", value: code }), ` ${categoryName(code)}`)), hint);
  for (const box of boxes.querySelectorAll("input")) box.checked = chosen.includes(box.value);
}

async function load() {
  ({ items } = await api("/api/contractors"));
  document.querySelector("#contractor-list tbody").replaceChildren(...items.map((c) => el("tr", { "data-id": c.id, class: c.active ? "" : "muted" },
    el("td", {}, c.name), el("td", {}, c.contact_person), el("td", {}, c.phones.join("、")), el("td", {}, c.email),
    el("td", {}, c.categories.map(categoryName).join("、") || t("contractor.all_categories")),
    el("td", {}, c.active ? t("contractor.yes") : t("contractor.disabled")),
    el("td", {},
      el("button", { type: "button", class: "link", onclick: () => edit(c) }, t("contractor.edit")), " ",
      el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => act(c, c.active ? "disable" : "enable")) }, t(c.active ? "contractor.disable" : "contractor.enable")), " ",
      el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => remove(c)) }, t("contractor.delete"))),
  )));
}

function edit(c) {
  form.id.value = c.id;
  for (const k of ["name", "contact_person", "email", "sort"]) form[k].value = c[k] ?? "";
  form.phones.value = c.phones.join(", ");
  fillCategories(c.categories);
  form.site_id.value = c.site_id ?? "";
  offerOpenSites(form.site_id);
  document.getElementById("contractor-form-title").textContent = `${t("contractor.edit")} · ${c.name}`;
}

async function act(c, action) {
  try { await api(`/api/contractors/${c.id}/${action}`, { method: "POST" }); toast(t("contractor.saved"), "ok"); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

async function remove(c) {
  if (!confirm(t("contractor.confirm_delete", { name: c.name }))) return;
  try { await api(`/api/contractors/${c.id}`, { method: "DELETE" }); toast(t("contractor.deleted"), "ok"); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = {
    name: form.name.value, contact_person: form.contact_person.value, email: form.email.value,
    phones: form.phones.value, categories: [...boxes.querySelectorAll("input:checked")].map((b) => b.value),
    site_id: form.site_id.value ? Number(form.site_id.value) : null, sort: Number(form.sort.value || 0),
  };
  if (await saveRecord(form, "/api/contractors", body, t("contractor.saved"))) await load();
});
form.addEventListener("reset", () => {
  setTimeout(() => { form.id.value = ""; fillCategories(); offerOpenSites(form.site_id); }, 0);
  for (const input of form.querySelectorAll("input, select, fieldset")) input.removeAttribute("aria-invalid");
  document.getElementById("contractor-form-title").textContent = t("contractor.new");
});

api("/api/sites").then(({ sites }) => {
  for (const s of sites) {
    form.site_id.append(el("option", { value: s.id, "data-closed": s.enabled ? null : "1" }, `${s.name}${s.enabled ? "" : paren(t("site.disabled"))}`));
  }
  offerOpenSites(form.site_id);
}).catch(() => {});
stepChoices().then((workflows) => {
  categories = categoryChoices(workflows);
  fillCategories();
  return load();
}).catch((err) => toast(err.message, "refused"));
