// The agent's campaign card on the seat page: the preview contact (dial / skip), the
// contact being called with the campaign's script, and the disposition form (结果代码).
import { api, el, once } from "./api.js";
import { colon, t } from "./i18n.js";
import { toast } from "./toast.js";
import { markField } from "./forms.js";

const card = () => document.getElementById("campaign-card");
// A refusal in the page's toast, in the server's words (what it was about included), as every
// console page says one: a browser alert() stopped the seat page while the customer was on the
// line, its box over the script, and said only the error's generic text.
const refused = (err) => toast(err.message, "refused");
let dispositions = null;

async function render(ev, { preview }) {
  dispositions ??= (await api("/api/campaign-dispositions")).dispositions;
  const box = card();
  box.hidden = false;
  const status = el("p", { class: "muted", id: "campaign-status" }, preview ? t("camp.card.preview") : t("camp.card.calling"));
  // 拨打 or 跳过, once: the second press would be refused, the contact taken already
  const both = () => [...actions.querySelectorAll("button")];
  const actions = preview
    ? el("p", {},
        el("button", { onclick: () => once(both(), () => act(ev.contact_id, "dial")) }, t("camp.card.dial")),
        el("button", { class: "link", onclick: () => once(both(), () => act(ev.contact_id, "skip")) }, t("camp.card.skip")))
    : null;
  // no result chosen for the agent: a 保存结果 pressed in passing must not record 满意
  // 保存结果 with none chosen marks it, as the intake marks a required field, until one is chosen
  const select = el("select", { name: "code", "aria-invalid": "false", onchange: () => markField(select, "") },
    el("option", { value: "" }, t("camp.card.choose")),
    ...dispositions.map((d) => el("option", { value: d.code }, d.label)));
  const notes = el("textarea", { name: "notes", rows: "2" });
  const form = el("form", { class: "form", onsubmit: (e) => {
    e.preventDefault();
    if (!select.value) {
      markField(select, "field_required");
      toast(t("camp.card.choose_first"), "refused");
      select.focus();
      return;
    }
    once(form, async () => {
      try {
        await api(`/api/campaign-contacts/${ev.contact_id}/disposition`, { method: "POST", body: { code: select.value, notes: notes.value } });
        box.hidden = true;
      } catch (err) { refused(err); }
    });
  } }, el("label", {}, t("camp.disposition"), select), el("label", {}, t("camp.notes"), notes), el("button", { type: "submit" }, t("camp.card.save")));
  box.replaceChildren(
    el("h2", {}, `${t("camp.card.title")} · ${ev.campaign}`),
    el("p", {}, el("strong", {}, ev.number), " ", ev.contact_name || ""),
    // a visit-back is about a work order: which one, to open while asking about it
    ...(ev.order_number
      ? [el("p", { class: "campaign-order" }, `${t("camp.card.order")}${colon}`,
          el("a", { href: `/orders/${encodeURIComponent(ev.order_number)}`, target: "_blank", rel: "noopener" }, ev.order_number))]
      : []),
    status,
    el("blockquote", { class: "script" }, ev.script || ""),
    ...(actions ? [actions] : []),
    preview ? el("span") : form,
  );
  if (!preview && ev.order_id) await renderSurvey(ev, box, form);
}

// the visit-back's survey (满意度回访) on the call's card: the order page's dimensions, recorded for
// the order by the agent who has the call; a dissatisfied answer opens the linked complaint
const SURVEY_CODES = new Set(["satisfied", "dissatisfied"]);

async function renderSurvey(ev, box, disposition) {
  let survey;
  try { survey = await api(`/api/campaign-contacts/${ev.contact_id}/survey`); } catch { return; }
  if (!survey.dimensions.length || !survey.due || box.hidden) return;
  // its 满意 / 不满意 is the survey's, never a bare 结果代码 that opens no complaint
  for (const option of disposition.querySelectorAll("[name=code] option")) {
    if (SURVEY_CODES.has(option.value)) option.remove();
  }
  const form = el("form", { class: "form", id: "campaign-survey" },
    el("h3", {}, t("survey.title")),
    ...survey.dimensions.map((d) => el("label", {}, d.name,
      el("select", { name: d.name, required: true }, el("option", { value: "" }, "—"),
        ...d.options.map((o) => el("option", { value: o.label }, o.label))))),
    el("label", {}, t("survey.remark"), el("input", { name: "remark", maxlength: "1000" })),
    el("button", { type: "submit" }, t("survey.submit")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const answers = {};
    for (const d of survey.dimensions) answers[d.name] = form.elements[d.name].value;
    once(form, async () => {
      try {
        const saved = await api(`/api/campaign-contacts/${ev.contact_id}/survey`, { method: "POST", body: { answers, remark: form.elements.remark.value } });
        const result = saved.results[0] || {};
        const done = el("p", { id: "campaign-survey-saved" }, t("survey.saved"), " · ",
          t(result.satisfied ? "camp.disposition.satisfied" : "camp.disposition.dissatisfied"),
          ...(result.follow_up
            ? [" · ", t("camp.card.follow_up"), " ",
               el("a", { href: `/orders/${encodeURIComponent(result.follow_up)}`, target: "_blank", rel: "noopener" }, result.follow_up)]
            : []));
        // the survey set the 结果代码 too: what is left is to close the card
        form.replaceWith(done, el("p", {}, el("button", { type: "button", onclick: () => { box.hidden = true; } }, t("camp.card.close"))));
        disposition.remove();
      } catch (err) { refused(err); }
    });
  });
  disposition.before(form);
}

// refusals after which the offer is gone (the campaign paused or finished, its calling hours over)
const WITHDRAWN = new Set(["campaign.not_offered", "campaign.not_running", "campaign.outside_window"]);

async function act(contactId, action) {
  try {
    await api(`/api/campaign-contacts/${contactId}/${action}`, { method: "POST" });
    if (action === "skip") card().hidden = true;
  } catch (err) {
    if (WITHDRAWN.has(err.errorId)) card().hidden = true;
    refused(err);
  }
}

function onEvent(ev) {
  if (ev.event === "CampaignContactOffered") render(ev, { preview: true });
  else if (ev.event === "CampaignCallPlaced") render(ev, { preview: false });
  // signed out, or the campaign paused, finished or out of its calling hours: back to the list
  else if (ev.event === "CampaignOfferWithdrawn") {
    card().hidden = true;
    // nobody pressed 拨打 or 跳过 in time: the customer went back to the list (say so, not vanish)
    if (ev.reason === "campaign.offer_lapsed") toast(t("camp.card.lapsed", { minutes: ev.offer_minutes }), "refused");
  }
  else if (ev.event === "CampaignCallEnded") {
    const status = document.getElementById("campaign-status");
    if (status) status.textContent = `${t("camp.outcome")}${colon}${t(`camp.outcome.${ev.outcome}`)}`;
  }
}

function start() {
  const socket = window.hotline?.socket;
  if (!socket) return setTimeout(start, 100);
  socket.addEventListener("order", (e) => { if (e.detail?.event?.event?.startsWith("Campaign")) onEvent(e.detail.event); });
}

start();
