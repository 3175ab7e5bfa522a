// 账号管理: the admins' register of users. A new user and a reset password get a temporary
// password, shown here once; the user chooses their own at the next sign-in. Accounts are
// disabled (停用), never deleted: orders, calls and the audit log name them.
import { offerOpenSites } from "./admin_register.js";
import { api, el, once } from "./api.js";
import { paren, queueName, t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("user-form");
const filter = document.getElementById("user-filter");
const passwordNote = document.getElementById("user-password");
let sites = new Map(); // id → site
let queues = [];

const roleNames = (roles) => roles.map((r) => t(`role.${r}`)).join("、");
// each queue by the wallboard's name (综合服务(1) 故障报修(2)), the penalty in brackets
const skillText = (skills) => Object.entries(skills).map(([q, p]) => `${queueName(q)}${paren(p)}`).join(" ");
const locked = (u) => u.locked_until && new Date(u.locked_until) > new Date();
let editing = null; // the user the form edits, as listed

// 停用 ends every session of the account at once and signs its seat out of the queues (an agent
// mid-shift is thrown off): asked first, naming them 名字（工号）, as 重置密码 is
// what 停用 does to this account: its sessions end; an agent's seat leaves the queues; the open
// orders whose step it holds go to a colleague at the step or whoever the step's rules pick,
// else wait 待改派 for a team leader (ticketing.workflow.actions.release_steps)
function disableConfirmed(u) {
  const words = [t("user.confirm_disable", { who: `${u.name}${paren(u.staff_no)}` })];
  if (u.roles.includes("agent")) words.push(t("user.confirm_disable_seat"));
  if (u.open_steps) words.push(t("user.confirm_disable_orders", { count: u.open_steps }));
  return window.confirm(words.join(""));
}

async function load() {
  const params = new URLSearchParams({ q: filter.q.value.trim(), role: filter.role.value });
  const data = await api(`/api/users?${params}`);
  sites = new Map(data.sites.map((s) => [s.id, s]));
  fillChoices(data);
  document.querySelector("#user-list tbody").replaceChildren(...data.items.map((u) => el("tr", { "data-staff": u.staff_no, class: u.active ? "" : "muted" },
    el("td", {}, u.staff_no), el("td", {}, u.name), el("td", {}, roleNames(u.roles)),
    el("td", {}, sites.get(u.site_id)?.name ?? "—"), el("td", {}, skillText(u.skills) || "—"),
    el("td", {}, !u.active ? t("user.disabled") : locked(u) ? t("user.locked") : u.must_change_password ? t("user.must_change") : t("user.normal")),
    el("td", {},
      el("button", { type: "button", class: "link", onclick: () => edit(u) }, t("user.edit")), " ",
      el("button", { type: "button", class: "link", "data-act": "reset", onclick: (e) => once(e.currentTarget, () => resetPassword(u)) }, t("user.reset_password")), " ",
      locked(u) ? el("button", { type: "button", class: "link", "data-act": "unlock", onclick: (e) => once(e.currentTarget, () => act(u, "unlock")) }, t("user.unlock")) : null,
      el("button", { type: "button", class: "link", "data-act": "toggle", onclick: (e) => once(e.currentTarget, () => toggle(u)) }, t(u.active ? "user.disable" : "user.enable"))),
  )));
}

function fillChoices(data) {
  const keep = (select) => [...select.selectedOptions].map((o) => o.value);
  const siteOption = (s) => el("option", { value: s.id, "data-closed": s.enabled ? null : "1" },
    `${"　".repeat(Math.max(0, s.path.split("/").length - 3))}${s.name}${s.enabled ? "" : paren(t("site.disabled"))}`);
  const home = form.site_id.value, scope = keep(form.scope_site_ids), dept = form.department_id.value;
  form.site_id.replaceChildren(el("option", { value: "" }, "—"), ...data.sites.map(siteOption));
  form.scope_site_ids.replaceChildren(...data.sites.map(siteOption));
  form.department_id.replaceChildren(el("option", { value: "" }, "—"), ...data.departments.map((d) => el("option", { value: d.id }, d.name)));
  form.site_id.value = home; form.department_id.value = dept;
  for (const o of form.scope_site_ids.options) o.selected = scope.includes(o.value);
  offerOpenSites(form.site_id, form.scope_site_ids);
  if (queues.join() !== data.queues.join()) {
    queues = data.queues;
    const box = document.getElementById("user-skills");
    box.querySelectorAll("label").forEach((l) => l.remove());
    for (const q of queues) {
      box.append(el("label", { title: q }, `${queueName(q)} `, el("input", { type: "number", min: 0, max: 99, name: `skill:${q}`, "data-queue": q, placeholder: "—" })));
    }
  }
}

function edit(u) {
  form.reset();
  editing = u;
  passwordNote.hidden = true;
  form.id.value = u.staff_no;
  form.staff_no.value = u.staff_no;
  form.staff_no.readOnly = true;
  for (const k of ["name", "phone", "email"]) form[k].value = u[k] ?? "";
  for (const box of form.querySelectorAll("input[name=roles]")) box.checked = u.roles.includes(box.value);
  form.site_id.value = u.site_id ?? "";
  for (const o of form.scope_site_ids.options) o.selected = u.scope_site_ids.includes(Number(o.value));
  form.department_id.value = u.department_id ?? "";
  form.manager.value = u.manager ?? "";
  for (const input of form.querySelectorAll("[data-queue]")) input.value = u.skills[input.dataset.queue] ?? "";
  form.active.checked = u.active;
  offerOpenSites(form.site_id, form.scope_site_ids);
  document.getElementById("user-form-title").textContent = `${t("user.edit")} · ${u.staff_no} ${u.name}`;
}

function body() {
  const skills = {};
  for (const input of form.querySelectorAll("[data-queue]")) if (input.value !== "") skills[input.dataset.queue] = Number(input.value);
  const number = (v) => (v === "" ? null : Number(v));
  const out = {
    name: form.name.value,
    roles: [...form.querySelectorAll("input[name=roles]:checked")].map((b) => b.value),
    site_id: number(form.site_id.value),
    scope_site_ids: [...form.scope_site_ids.selectedOptions].map((o) => Number(o.value)),
    department_id: number(form.department_id.value),
    manager: form.manager.value.trim(),
    skills,
    phone: form.phone.value,
    email: form.email.value,
    active: form.active.checked,
  };
  if (!form.id.value) out.staff_no = form.staff_no.value.trim();
  return out;
}

function showPassword(staffNo, password) {
  passwordNote.replaceChildren(t("user.temporary_password", { staff_no: staffNo }), " ", el("code", { id: "temporary-password" }, password));
  passwordNote.hidden = false;
}

function refused(err) {
  for (const name of Object.keys(err.details?.problems || {})) {
    (form.elements[name] ?? document.getElementById(`user-${name}`))?.setAttribute?.("aria-invalid", "true");
  }
  toast(err.message, "refused");
}

// a second press would be refused (工号 taken, by the first), as if the save had failed
form.addEventListener("submit", (e) => {
  e.preventDefault();
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const staffNo = form.id.value;
  // unticking 启用 of an active account disables it, as 停用 does
  if (staffNo && editing?.active && !form.active.checked && !disableConfirmed(editing)) return;
  once(form, async () => {
    try {
      if (staffNo) {
        await api(`/api/users/${encodeURIComponent(staffNo)}`, { method: "PATCH", body: body() });
        toast(t("user.saved"), "ok");
        form.reset();
      } else {
        const made = await api("/api/users", { method: "POST", body: body() });
        form.reset();
        showPassword(made.user.staff_no, made.temporary_password);
      }
    } catch (err) { refused(err); return; }
    await load();
  });
});

form.addEventListener("reset", () => {
  // at once, not after the reset: 编辑 resets the form and then fills it with the user it
  // edits, which a late clearing undid (saving an edit then tried to add the user anew)
  editing = null;
  form.id.value = "";
  form.staff_no.readOnly = false;
  // the selects are reset only after this event
  setTimeout(() => offerOpenSites(form.site_id, form.scope_site_ids), 0);
  document.getElementById("user-form-title").textContent = t("user.new");
});

async function resetPassword(u) {
  if (!window.confirm(t("user.reset_confirm", { staff_no: u.staff_no, name: u.name }))) return;
  try {
    const { temporary_password: password } = await api(`/api/users/${encodeURIComponent(u.staff_no)}/reset-password`, { method: "POST" });
    showPassword(u.staff_no, password);
  } catch (err) { toast(err.message, "refused"); }
  await load();
}

async function act(u, action) {
  try { await api(`/api/users/${encodeURIComponent(u.staff_no)}/${action}`, { method: "POST" }); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

async function toggle(u) {
  if (u.active && !disableConfirmed(u)) return;
  try { await api(`/api/users/${encodeURIComponent(u.staff_no)}`, { method: "PATCH", body: { active: !u.active } }); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

filter.addEventListener("submit", (e) => { e.preventDefault(); load().catch((err) => toast(err.message, "refused")); });
load().catch((err) => toast(err.message, "refused"));
