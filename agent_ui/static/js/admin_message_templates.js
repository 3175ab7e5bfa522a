// 短信/邮件/传真模板设置: jinja2 text per category × step. The server renders a trial on save,
// so a template that does not compile is refused at once, naming the field.
import { saveRecord } from "./admin_register.js";
import { api, el } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("msg-form");
const FIELDS = ["id", "category", "node", "channel", "audience", "subject", "body"];

async function load() {
  const { items } = await api("/api/message-templates");
  document.querySelector("#msg-list tbody").replaceChildren(...items.map((m) => el("tr", { "data-id": m.id, class: m.enabled ? "" : "muted" },
    el("td", {}, m.category), el("td", {}, m.node), el("td", {}, t(`msgtpl.channel_${m.channel}`)),
    el("td", {}, t(`msgtpl.audience_${m.audience}`)), el("td", {}, m.auto_send ? t("contractor.yes") : "—"),
    el("td", { class: "clip" }, m.body.length > 40 ? `${m.body.slice(0, 40)}…` : m.body),
    el("td", {}, m.enabled ? t("contractor.yes") : t("contractor.disabled")),
    el("td", {},
      el("button", { type: "button", class: "link", onclick: () => edit(m) }, t("contractor.edit")), " ",
      el("button", { type: "button", class: "link", onclick: () => toggle(m) }, t(m.enabled ? "contractor.disable" : "contractor.enable"))),
  )));
}

function edit(m) {
  for (const k of FIELDS) form[k].value = m[k] ?? "";
  form.auto_send.checked = Boolean(m.auto_send);
  document.getElementById("msg-form-title").textContent = `${t("contractor.edit")} · ${m.category} · ${m.node}`;
}

async function toggle(m) {
  try { await api(`/api/message-templates/${m.id}`, { method: "PATCH", body: { enabled: !m.enabled } }); }
  catch (err) { toast(err.message, "refused"); }
  await load();
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { auto_send: form.auto_send.checked };
  for (const k of FIELDS.slice(1)) body[k] = form[k].value;
  if (await saveRecord(form, "/api/message-templates", body, t("print.saved"))) await load();
});
form.addEventListener("reset", () => {
  setTimeout(() => { form.id.value = ""; }, 0);
  document.getElementById("msg-form-title").textContent = t("msgtpl.new");
});
load().catch((err) => toast(err.message, "refused"));
