// The agent's campaign card on the seat page: the preview contact (dial / skip), the
// contact being called with the campaign's script, and the disposition form (结果代码).
import { api, clock, el, once } from "./api.js";
import { colon, t } from "./i18n.js";
import { toast } from "./toast.js";
import { markField } from "./forms.js";
import { holdAfterCallWork } from "./acw_holds.js";

const card = () => document.getElementById("campaign-card");
// A refusal in the page's toast, in the server's words (what it was about included), as every
// console page says one: a browser alert() stopped the seat page while the customer was on the
// line, its box over the script, and said only the error's generic text.
const refused = (err) => toast(err.message, "refused");
let dispositions = null;
// what the card shows: { contactId, preview, callId } (null: hidden); callId: the call whose
// 结果代码 the card still asks for ("" once saved, or for an offer)
let shown = null;

// A call's card with its 结果代码 unsaved holds the call's 话后处理 as the unsaved intake form
// does: its time limit does not make the seat ready (and ringable) while the card still asks.
function holdResult(callId, hold) {
  holdAfterCallWork(window.hotline?.socket, callId, "campaign", hold);
}

// the result is in (or no longer owed): the call's 话后处理 is let go
function resultDone() {
  if (shown?.callId) holdResult(shown.callId, false);
  if (shown) shown.callId = "";
}

function close() {
  stopCountdown();
  resultDone();
  shown = null;
  card().hidden = true;
}

// A preview offer is held for its agent until the dialer's held_until, then goes back to the list.
// The card counts down to that moment as the server measures it: the time left when the server
// sent it (held_until less the event's ts, or the offer API's server_time), run down on this
// page's monotonic clock, so a seat whose clock is wrong still shows the dialer's minutes, and a
// reload asks the server again (sync). At 00:00 the card says the time is up and waits for the
// dialer's CampaignOfferWithdrawn, which closes it as for any other lapse.
const LAST_MINUTE = 60;
let countdown = null;

function stopCountdown() {
  if (countdown) clearInterval(countdown.timer);
  countdown = null;
}

function startCountdown(line, ev, sentAt) {
  stopCountdown();
  line.hidden = !ev.held_until;
  if (!ev.held_until) return;
  const deadline = performance.now() + (ev.held_until - sentAt) * 1000;
  let warned = false;
  const show = () => {
    const left = Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
    if (left === 0) {
      line.textContent = t("camp.card.held_over");
      line.dataset.state = "over";
      line.className = "error";
      clearInterval(timer);
      // the dialer's withdrawal closes the card within a second; one missed (the socket was
      // down meanwhile) is found by asking again
      setTimeout(() => { if (countdown?.timer === timer) sync(); }, 5000);
      return;
    }
    const ending = left <= LAST_MINUTE;
    line.textContent = t(ending ? "camp.card.held_ending" : "camp.card.held", { time: clock(left) });
    line.dataset.state = ending ? "ending" : "held";
    line.className = ending ? "notice" : ""; // the page's warning colour in the last minute
    // the agent may be looking at the intake form: the last minute is said once in the corner too
    if (ending && !warned) {
      warned = true;
      toast(t("camp.card.held_ending", { time: clock(left) }), "alert");
    }
  };
  const timer = setInterval(show, 250);
  countdown = { timer };
  show();
}

async function render(ev, { preview, sentAt }) {
  dispositions ??= (await api("/api/campaign-dispositions")).dispositions;
  const box = card();
  box.hidden = false;
  if (shown?.callId !== (preview ? "" : ev.call_id)) resultDone(); // another call's card replaced
  shown = { contactId: ev.contact_id, preview, callId: preview ? "" : ev.call_id || "" };
  if (shown.callId) holdResult(shown.callId, true);
  stopCountdown();
  const status = el("p", { class: "muted", id: "campaign-status" }, preview ? t("camp.card.preview") : t("camp.card.calling"));
  const held = el("p", { id: "campaign-held", role: "timer" });
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
        close();
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
    ...(preview ? [held] : []),
    el("blockquote", { class: "script" }, ev.script || ""),
    ...(actions ? [actions] : []),
    preview ? el("span") : form,
  );
  if (preview) startCountdown(held, ev, sentAt);
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
        resultDone();
        form.replaceWith(done, el("p", {}, el("button", { type: "button", onclick: close }, t("camp.card.close"))));
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
    if (action === "skip") close();
    else {
      // dialled: the offer is held no longer, the call's card follows (CampaignCallPlaced)
      stopCountdown();
      document.getElementById("campaign-held")?.remove();
      shown = { contactId, preview: false, callId: "" };
    }
  } catch (err) {
    if (WITHDRAWN.has(err.errorId)) close();
    refused(err);
  }
}

// the offer the dialer holds for this agent now, after a reload or a reconnect (events sent
// meanwhile never reached this page): shown again with its time left, or the preview card closed,
// and said, when the dialer holds it no longer (its withdrawal was missed: the agent must not dial
// a customer now offered to a colleague). A dialer still starting answers with an error: the card
// stays until it has settled the offers and says so. The agent's campaign call still owing its
// 结果代码 (``call``) comes back first, with its outcome, holding 话后处理 again; a call's card
// whose result the server no longer awaits (saved in another tab) closes.
async function sync() {
  let found;
  try { found = await api("/api/campaign-offer"); } catch { return; }
  if (found.call) return showCall(found.call);
  if (shown?.callId) close();
  const offer = found.offer;
  if (offer && !(shown && !shown.preview)) {
    if (shown?.contactId === offer.contact_id) startCountdown(document.getElementById("campaign-held"), offer, found.server_time);
    else render(offer, { preview: true, sentAt: found.server_time });
  } else if (!offer && shown?.preview) {
    close();
    toast(t("camp.card.offer_gone"), "refused");
  }
}

async function showCall(call) {
  if (shown?.callId === call.call_id) holdResult(call.call_id, true); // a reconnect: said again
  else await render(call, { preview: false });
  if (call.outcome) showOutcome(call.outcome);
}

// A call that found nobody (无人接听, 忙, 呼叫失败…): a result only a customer gives (满意, 不满意…,
// needs_answer) would count as theirs in the satisfaction report, and the server refuses it
// (campaign.needs_answer). The card keeps what fits (号码错误, 稍后再打) and may be closed with no
// result: the retry the call's outcome set is due anyway. The survey, never asked, goes too.
function unreached() {
  const select = card().querySelector("form [name=code]");
  if (!select || select.dataset.unreached) return;
  select.dataset.unreached = "true";
  const needsAnswer = new Set(dispositions.filter((d) => d.needs_answer).map((d) => d.code));
  // a removed choice leaves 请选择结果 chosen: nothing recorded by a 保存结果 in passing
  for (const option of [...select.options]) if (needsAnswer.has(option.value)) option.remove();
  markField(select, "");
  document.getElementById("campaign-survey")?.remove();
  const form = select.closest("form");
  form.before(el("p", { class: "notice", id: "campaign-unreached" }, t("camp.card.unreached")));
  form.append(el("button", { type: "button", class: "link", id: "campaign-close", onclick: close }, t("camp.card.close_unreached")));
}

function showOutcome(outcome) {
  const status = document.getElementById("campaign-status");
  if (status) status.textContent = `${t("camp.outcome")}${colon}${t(`camp.outcome.${outcome}`)}`;
}

function onEvent(ev) {
  // ev.ts: when the server sent it, on the clock of held_until
  if (ev.event === "CampaignContactOffered") render(ev, { preview: true, sentAt: ev.ts || Date.now() / 1000 });
  else if (ev.event === "CampaignCallPlaced") render(ev, { preview: false });
  // signed out, or the campaign paused, finished or out of its calling hours: back to the list
  else if (ev.event === "CampaignOfferWithdrawn") {
    if (shown && shown.contactId !== ev.contact_id) return; // an older offer's: not what is shown
    const open = Boolean(shown);
    close();
    // nobody pressed 拨打 or 跳过 in time: the customer went back to the list (say so, not vanish)
    if (ev.reason === "campaign.offer_lapsed") toast(t("camp.card.lapsed", { minutes: ev.offer_minutes }), "refused");
    // a dialer that started found the offer no longer holding (a colleague may be offered the
    // customer next): said, so the agent does not dial them by hand from what the card showed
    else if (ev.reason === "campaign.dialer_restarted" && open) toast(t("camp.card.dialer_restarted"), "refused");
  }
  else if (ev.event === "CampaignCallEnded") {
    if (shown?.contactId !== ev.contact_id) return; // an older call's: not what is shown
    showOutcome(ev.outcome);
    if (ev.outcome !== "answered") {
      // a customer never reached owes no result: the card stays for a note, the seat is not held
      if (shown.callId === ev.call_id) resultDone();
      unreached();
    }
  }
}

function start() {
  const socket = window.hotline?.socket;
  if (!socket) return setTimeout(start, 100);
  socket.addEventListener("order", (e) => { if (e.detail?.event?.event?.startsWith("Campaign")) onEvent(e.detail.event); });
  // every (re)connect starts with a snapshot: the offer held meanwhile is asked for then
  socket.addEventListener("snapshot", () => sync());
  // a bridge back (restarted, or a standby took over) knows no holds: the card's is said again
  socket.addEventListener("ami", (e) => { if (e.detail?.connected === true && shown?.callId) holdResult(shown.callId, true); });
  if (socket.connected) sync();
}

start();
