// 发短信 / 发邮件 on the order page, beside 发传真: written text or a manual template of the order's
// category (for a step it is or was at), to the address the server offers (the order's 联系电话 when
// it is a mobile, the customer's email; for an SMS also the mobile of the crew the order was
// dispatched to, picked from the recipients offered), editable. The server checks the address, the length and
// the template's merge fields; the message then shows on the timeline as 待发送 → 已发送 / 发送失败.
// A template is filled with the step's fields as on screen (``screenForm``: what the agent typed and
// has not saved), as the server checks them: the preview is the server's, asked again as they type,
// and the send names the preview it was shown, so the customer gets what the agent read.
import { api, el, once } from "./api.js";
import { colon, paren, t } from "./i18n.js";
import { toast } from "./toast.js";

const CHANNELS = ["sms", "email"];
const FULL = "display: block; width: 100%; box-sizing: border-box; margin-top: 4px";

// Built once per order (a half-written text survives the reloads the timeline needs); each later
// drawing of the page only refreshes the templates, since a saved field fills a merge field or a
// new step brings its own. Nothing for roles that may not send (the choices answer 403).
// ``screenForm()``: the step's fields as on screen; the page calls ``box.typed()`` as they change.
export function mountMessages(box, order, reload, screenForm = () => ({})) {
  if (!box) return null;
  // one at a time: the page's first load and an order event must not both build the forms
  box.pending = (box.pending || Promise.resolve()).then(() => mount(box, order, reload, screenForm));
  return box.pending;
}

async function mount(box, order, reload, screenForm) {
  let choices;
  try { choices = await api(`/api/orders/${order.id}/messages`); } catch { box.replaceChildren(); delete box.dataset.order; return; }
  if (box.dataset.order === String(order.id) && box.refresh) { box.refresh(choices); return; }
  box.dataset.order = order.id;
  const forms = CHANNELS.map((channel) => messageForm(channel, choices, order, reload, screenForm));
  box.refresh = (fresh) => forms.forEach((f) => f.refresh(fresh));
  box.typed = () => forms.forEach((f) => f.typed());
  box.replaceChildren(...forms.map((f) => f.form));
}

// how long typing pauses before the preview is asked again
const TYPED_MS = 300;
// a field by the label the form shows it with (预约时间), its name where it shows none
const fieldLabel = (name) => document.querySelector(`#order-fields [data-label-of="${CSS.escape(name)}"]`)?.textContent || name;

// A refused 发短信 / 发邮件 / 发传真 (the server names every problem at once, faxes.name_every_problem):
// each input the answer names (收件人, 主题, 正文; a fax's 文件, 传真模板) marked, its problem as its
// tooltip, the others cleared; the address refused alone, in its own words, marks the address.
// What was typed stays. Without ``err`` (sent) every mark goes.
export function markSendProblems(inputs, err = null) {
  const problems = err?.details?.problems || {};
  for (const [name, input] of Object.entries(inputs)) {
    if (!input) continue;
    if (problems[name]) { input.setAttribute("aria-invalid", "true"); input.title = t(`problem.${problems[name]}`); }
    else { input.removeAttribute("aria-invalid"); input.title = ""; }
  }
  if (err && !err.details?.problems && ["recipient_invalid", "recipient_required", "fax_to_mobile"].includes(err.errorId)) {
    inputs.to.setAttribute("aria-invalid", "true");
  }
}

// A recipient the server offers (GET …/messages recipients) in words: 客户：13800000000, or the crew
// the order was dispatched to, 抢修班组 天河抢修一班（张强）：13800001111.
function recipientText(r) {
  if (r.kind !== "crew") return `${t("order_msg.recipient_customer")}${colon}${r.to}`;
  return `${t("order_msg.recipient_crew", { name: r.name })}${r.leader ? paren(r.leader) : ""}${colon}${r.to}`;
}

function messageForm(channel, choices, order, reload, screenForm) {
  let offer = choices[channel];
  const id = (part) => `${channel}-${part}`;
  const limit = channel === "sms" ? choices.limits.sms : null;
  const to = el("input", { id: id("to"), size: channel === "sms" ? 16 : 28, value: offer.to, autocomplete: "off",
    inputmode: channel === "sms" ? "tel" : "email", "aria-label": t(`order_msg.${channel}.to`), placeholder: t(`order_msg.${channel}.to`) });
  // the recipients offered (the customer, the crew dispatched): picked here into the address, which stays editable; a number typed that is none of them shows 其他号码
  const recipient = el("select", { id: id("recipient"), "aria-label": t("order_msg.recipient") });
  const matchRecipient = () => {
    recipient.value = (offer.recipients || []).some((r) => r.to === to.value.trim()) ? to.value.trim() : "";
  };
  const listRecipients = () => {
    const offered = offer.recipients || [];
    recipient.replaceChildren(...offered.map((r) => el("option", { value: r.to, "data-kind": r.kind }, recipientText(r))),
      el("option", { value: "" }, t("order_msg.recipient_other")));
    // nothing to choose when the one offered is the address already filled in
    recipient.hidden = !offered.length || (offered.length === 1 && offered[0].to === offer.to);
    matchRecipient();
  };
  recipient.addEventListener("change", () => { if (recipient.value) { to.value = recipient.value; markSendProblems({ to }); } });
  to.addEventListener("input", matchRecipient);
  listRecipients();
  const mode = el("select", { id: id("mode"), "aria-label": t("order_msg.content") },
    el("option", { value: "text" }, t("order_msg.mode_text")),
    el("option", { value: "template", id: id("mode-template") }, t(`order_msg.${channel}.mode_template`)));
  const subject = channel === "email"
    ? el("input", { id: id("subject"), style: FULL, maxlength: choices.limits.subject, placeholder: t("order_msg.subject"), "aria-label": t("order_msg.subject") })
    : null;
  const text = el("textarea", { id: id("text"), rows: 3, style: FULL, placeholder: t("order_msg.text"), "aria-label": t("order_msg.text"),
    ...(limit ? { maxlength: limit } : {}) });
  const count = limit ? el("small", { id: id("count"), class: "muted" }) : null;
  const counted = () => { if (count) count.textContent = t("order_msg.count", { n: text.value.length, limit }); };
  text.addEventListener("input", counted);
  counted();
  const template = el("select", { id: id("template"), style: FULL, "aria-label": t(`order_msg.${channel}.mode_template`) });
  const listTemplates = () => {
    const picked = template.value;
    // by its 模板名称, what the agent knows it by; what this order's message would read is previewed below
    template.replaceChildren(...offer.templates.map((x) => el("option", { value: x.id, selected: String(x.id) === picked }, x.name)));
    // no manual template of this channel for the order's steps: only written text
    mode.querySelector("[value=template]").disabled = !offer.templates.length;
    if (!offer.templates.length) mode.value = "text";
  };
  listTemplates();
  // what the customer would get, filled by the server with the form as on screen; the fields still
  // empty and the typed values it cannot take yet (the server refuses the send until then), in words
  const preview = el("div", { id: id("preview"), class: "wrap muted", style: FULL });
  let shown = null; // the preview on screen: { key, id, form, subject, text }
  let asks = 0; // the latest preview asked; an earlier answer arriving after it is not drawn
  let typing = null;
  const drawPreview = (answer) => {
    const blank = answer.blank || [];
    const problems = Object.entries(answer.problems || {});
    const wrong = problems.map(([name, p]) => `${fieldLabel(name)}${paren(t(`problem.${p}`, answer.problem_values?.[name] || {}))}`);
    // replaceChildren, unlike el(), would print an absent part as the word "null" (QA R2-F4)
    preview.replaceChildren(...[answer.subject ? el("b", {}, answer.subject) : null, el("div", {}, answer.text),
      problems.length ? el("div", { class: "error", "data-typed-problems": problems.map(([name]) => name).join(",") }, t("order_msg.typed_problems", { fields: wrong.join("、") })) : null,
      blank.length ? el("div", { class: "error", "data-blank": blank.join(",") }, t("order_msg.blank", { fields: blank.join("、") })) : null]
      .filter(Boolean));
  };
  // the picked template's preview for the form as it is on screen now: the one shown when that has
  // not changed, else asked of the server and drawn; null when none could be had (said in its place)
  const previewed = async () => {
    clearTimeout(typing);
    const x = offer.templates.find((each) => String(each.id) === template.value);
    if (!x) { shown = null; preview.replaceChildren(); return null; }
    const form = screenForm();
    const key = JSON.stringify([x.id, form]);
    if (shown?.key === key) return shown;
    const ask = ++asks;
    try {
      const answer = await api(`/api/orders/${order.id}/messages/preview`, { method: "POST", body: { channel, template_id: x.id, form } });
      if (ask !== asks) return null;
      shown = { key, id: x.id, form, subject: answer.subject, text: answer.text };
      drawPreview(answer);
      return shown;
    } catch (err) {
      if (ask === asks) { shown = null; preview.replaceChildren(el("div", { class: "error" }, err.message)); }
      return null;
    }
  };
  template.addEventListener("change", previewed);
  const show = () => {
    const written = mode.value === "text";
    text.hidden = !written;
    if (subject) subject.hidden = !written;
    if (count) count.hidden = !written;
    template.hidden = preview.hidden = written;
    if (!written) previewed();
  };
  mode.addEventListener("change", show);
  show();
  const form = el("form", { id: id("form"), class: "order-message", "data-channel": channel }, el("h3", {}, t(`order_msg.${channel}.title`)),
    el("div", {}, recipient, " ", to, " ", mode), subject, text, count, template, preview,
    el("div", { style: "margin-top: 4px" }, el("button", { class: "btn", type: "submit", id: id("send") }, t(`order_msg.${channel}.send`))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    // a second press would send the customer the message twice
    await once(form, async () => {
      let body = { to: to.value, text: text.value, ...(subject ? { subject: subject.value } : {}) };
      if (mode.value === "template") {
        // sent as previewed: a field typed since the preview on screen asks for the new one first,
        // to be read before it is sent
        const seen = shown;
        const current = await previewed();
        if (!current) return;
        if (current !== seen) { toast(t("order_msg.preview_updated"), "refused"); return; }
        body = { to: to.value, template_id: current.id, form: current.form, shown: { subject: current.subject, text: current.text } };
      }
      try {
        const row = await api(`/api/orders/${order.id}/${channel}`, { method: "POST", body });
        toast(t(`order_msg.${channel}.queued`, { to: row.recipient }), "ok");
        text.value = "";
        if (subject) subject.value = "";
        counted();
        markSendProblems({ to, subject, text });
        await reload();  // the timeline shows it, 待发送
      } catch (err) {
        markSendProblems({ to, subject, text }, err);
        toast(err.message, "refused");
        // it would no longer read as shown (saved meanwhile): the new preview, to be read first
        if (err.errorId === "message_changed") { shown = null; previewed(); }
      }
    });
  });
  const refresh = (fresh) => {
    offer = fresh[channel];
    listRecipients();  // a crew dispatched since the form was built is offered too
    listTemplates();
    shown = null; // the order was drawn again: what it has saved may fill the template otherwise
    show();
  };
  // a field typed on the step: the preview follows once typing pauses
  const typed = () => {
    if (mode.value !== "template") return;
    clearTimeout(typing);
    typing = setTimeout(previewed, TYPED_MS);
  };
  return { form, refresh, typed };
}
