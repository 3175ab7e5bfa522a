// 抢修班组管理: the crews a dispatcher picks from at 派工, each of a bureau or one of its sites.
// Disabled (停用) rather than deleted once orders were dispatched to them: their orders keep the
// crew as it was. Phones are normalized by the server; the first is the leader's.
import { offerOpenSites, saveRecord } from "./admin_register.js";
import { api, el, once } from "./api.js";
import { paren, t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("crew-form");
let sites = new Map();

const siteName = (id) => sites.get(id)?.name || `#${id}`;

async function load() {
  const { items } = await api("/api/crews");
  document.querySelector("#crew-list tbody").replaceChildren(...items.map((c) => el("tr", { "data-id": c.id, class: c.active ? "" : "muted" },
    el("td", {}, c.name), el("td", {}, siteName(c.site_id)), el("td", {}, c.leader), el("td", {}, c.phones.join("、")),
    el("td", {}, c.members.join("、")), el("td", {}, c.vehicle),
    el("td", {}, c.active ? t("crew.yes") : t("crew.disabled")),
    el("td", {},
      el("button", { type: "button", class: "link", onclick: () => edit(c) }, t("crew.edit")), " ",
      el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => act(c, c.active ? "disable" : "enable")) }, t(c.active ? "crew.disable" : "crew.enable")), " ",
      el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => remove(c)) }, t("crew.delete"))),
  )));
}

function edit(c) {
  form.id.value = c.id;
  for (const k of ["name", "leader", "vehicle", "sort"]) form[k].value = c[k] ?? "";
  form.phones.value = c.phones.join(", ");
  form.members.value = c.members.join("、");
  form.site_id.value = c.site_id ?? "";
  offerOpenSites(form.site_id);
  document.getElementById("crew-form-title").textContent = `${t("crew.edit")} · ${c.name}`;
  // the form sits below a register that may be long: bring it into view, ready to type
  form.scrollIntoView({ block: "start", behavior: "smooth" });
  form.name.focus({ preventScroll: true });
}

async function act(c, action) {
  try { await api(`/api/crews/${c.id}/${action}`, { method: "POST" }); toast(t("crew.saved"), "ok"); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

async function remove(c) {
  if (!confirm(t("crew.confirm_delete", { name: c.name }))) return;
  try { await api(`/api/crews/${c.id}`, { method: "DELETE" }); toast(t("crew.deleted"), "ok"); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = {
    name: form.name.value, leader: form.leader.value, vehicle: form.vehicle.value, phones: form.phones.value,
    members: form.members.value, site_id: form.site_id.value ? Number(form.site_id.value) : null, sort: Number(form.sort.value || 0),
  };
  if (await saveRecord(form, "/api/crews", body, t("crew.saved"))) await load();
});
form.addEventListener("reset", () => {
  setTimeout(() => { form.id.value = ""; offerOpenSites(form.site_id); }, 0);
  for (const input of form.querySelectorAll("input, select")) input.removeAttribute("aria-invalid");
  document.getElementById("crew-form-title").textContent = t("crew.new");
});

api("/api/sites").then(({ sites: list }) => {
  sites = new Map(list.map((s) => [s.id, s]));
  for (const s of list) {
    form.site_id.append(el("option", { value: s.id, "data-closed": s.enabled ? null : "1" }, `${s.name}${s.enabled ? "" : paren(t("site.disabled"))}`));
  }
  offerOpenSites(form.site_id);
  return load();
}).catch((err) => toast(err.message, "refused"));
