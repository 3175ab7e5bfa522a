// The seat page: screen-pop on a ringing call, and the intake form (业务受理).
import { api, clock, el, fmtTime, fmtWhen, leave, once } from "./api.js";
import { colon, paren, queueName, t, tParts } from "./i18n.js";
import { toast } from "./toast.js";
import { mediaElement } from "./media.js";
import { customerSites, lockBound, markField, markProblems, readFields, renderFields, siteCode } from "./forms.js";
import { clearDraft, draftsOf, saveDraft } from "./drafts.js";
import { holdAfterCallWork as holdCall } from "./acw_holds.js";

const $ = (id) => document.getElementById(id);
// call: the latest pop's; form: the call the intake form is about, its number and customer: the
// pop's, except while the form holds unsaved input (dirty) about an earlier call, which it keeps
// until that is saved or cleared (an order is never filed under another caller's call);
// drafting: what is typed is kept for the form's call (drafts.js), once this page's own draft, if
// any, is back in the form; popped: the latest pop, done; offerOver: the call whose offer to this
// seat ended unanswered last (its pop, if still on its way, is not drawn); problems: what the
// server's last refusal of the form named ({input's name: problem}) and is not changed since;
// kept: what the agent typed in the workflow fields of every category tried, by meaning (keptAs),
// and subcategoryOf: the 小类别 picked in each category, so that switching the 业务大类别 loses
// nothing; typed: the agent typed something 清空 would throw away (not the 联系电话 alone)
const state = {
  spec: null, call: null, customer: null, category: null, bar: null, socket: null,
  form: { callId: "", caller: "", customer: null }, dirty: false,
  drafting: false, restoring: false, popped: null, offerOver: "", problems: {}, problemValues: {},
  kept: {}, subcategoryOf: {}, typed: false,
};
const pageTitle = document.title;
let intakeBuilt;
const intakeReady = new Promise((resolve) => { intakeBuilt = resolve; });
const now = () => Date.now() / 1000 + (state.bar?.clockSkew || 0); // the server's clock

export async function start({ socket, bar }) {
  state.bar = bar;
  state.socket = socket;
  bar.customerWords = customerWords; // the transfer dialog's 转接备注 starts from them
  socket.addEventListener("screen_pop", (e) => {
    if (e.detail.event.call_id !== state.offerOver) pop(e.detail.event, e.detail.pop);
  });
  // 停电信息 published, revised, ended or withdrawn while a customer is popped: the pop's list follows
  socket.addEventListener("outage_notice", (e) => outageChanged(e.detail.event));
  socket.addEventListener("snapshot", (e) => {
    state.me = e.detail.user?.agent_id;
    if (state.dirty) holdAfterCallWork(true); // a reconnect: the bridge may have restarted meanwhile
    const call = (e.detail.calls || [])[0];
    if (call && (!state.call || state.call.call_id !== call.call_id)) popFromSnapshot(call);
    else if (!call) {
      if (unanswered(state.call)) clearPop(); // its offer ended while the page was away
      restoreDraft("");
    }
    else if (call) { // the same call after a reconnect: what the server knows of it now
      if (call.queued_at) state.call.queued_at = call.queued_at;
      if (call.answered_at) Object.assign(state.call, { answered_at: call.answered_at, waited: call.waited });
      showWaited();
    }
  });
  // The bridge is back (restarted, or a standby took over): it knows no holds, and this tab's
  // socket, which stays open through a takeover, gets no new snapshot; the ACW limit would end
  // the write-up under the unsaved form. Holding again is harmless where it is still held.
  socket.addEventListener("ami", (e) => {
    if (e.detail.connected === true && state.dirty) holdAfterCallWork(true);
  });
  socket.addEventListener("call", (e) => {
    const ev = e.detail.event;
    if (ev.event === "CallAnswered" && state.call?.call_id === ev.call_id && state.call.consult_from && !ev.consult_from) {
      // the consultation completed into a transfer: the caller is this seat's now, popped as a
      // transferred call is (the form takes it; 转接自 the agent who consulted)
      pop({ ...state.call, consult_from: "", answered_at: ev.answered_at, waited: ev.waited,
        transferred_from: ev.transferred_from || "", transferred_at: ev.transferred_at || 0,
        transfer_note: ev.transfer_note || "" }, state.lookup);
      return;
    }
    if (ev.event === "CallAnswered" && state.call?.call_id === ev.call_id) {
      // from now on the caller's wait is the one up to the answer, as a reload shows it
      if (!state.call.answered_at) Object.assign(state.call, { answered_at: ev.answered_at, waited: ev.waited });
      showWaited();
      const input = $("intake-caller");
      if (input && state.form.callId === ev.call_id && !state.dirty) input.value = customerNumber(state.call) || customerNumber(ev);
      $("pop-body").dataset.answered = "true";
      $("intake-category")?.focus();
    }
    if (ev.event === "CallEnded" && state.call?.call_id === ev.call_id) {
      $("pop-body").dataset.ended = "true";
    }
  });
  socket.addEventListener("snapshot", (e) => queueBoard(e.detail));
  socket.addEventListener("queue", (e) => queueUpdate(e.detail.event));
  socket.addEventListener("member", (e) => memberChange(e.detail.event));
  // signed into the queues just now: fetch the present to learn which queues are ours
  socket.addEventListener("agent_state", (e) => {
    const ev = e.detail.event;
    if (ev.previous === "logged_out" && ev.agent_id === state.me) socket.command("snapshot").catch(() => {});
    if (ev.agent_id === state.me) {
      // the phone stopped ringing unanswered: the caller hung up, the ring timed out or was
      // rejected, or a colleague answered; the offer is over, and so is its pop
      if (ev.state === "ringing") state.offerOver = "";
      else if (ev.previous === "ringing" && ev.state !== "talking" && ev.state !== "on_hold") offerEnded(state.agentCall);
      state.agentCall = ev.call_id || "";
      showHeld();
    }
  });
  socket.addEventListener("snapshot", (e) => { state.agentCall = e.detail.agent?.call_id || ""; showHeld(); });
  // the longest waits and the caller's wait run on between the server's figures
  setInterval(() => { renderQueues(); showWaited(); }, 1000);
  state.spec = await api("/api/intake");
  buildIntake();
  intakeBuilt();
  // the snapshot may have arrived before this module loaded: start from it
  const snap = bar.lastSnapshot;
  if (snap) {
    state.me = snap.user?.agent_id;
    state.agentCall = snap.agent?.call_id || "";
    queueBoard(snap);
    const call = (snap.calls || [])[0];
    if (call && !state.call) popFromSnapshot(call);
    else if (!call) restoreDraft("");
    // and the agent may have signed in while this module loaded (F2 at once): ask for the present
    if (socket.connected) socket.command("snapshot").catch(() => {});
  }
}

// -- the queues this agent serves: waiting callers, longest wait, agents ready ------
const queues = new Map(); // every queue's latest counters, and asOf: the server time they are from
const mine = new Set(); // the queues this seat is in: the table shows these

function queueBoard(snap) {
  state.me = snap.user?.agent_id;
  const asOf = snap.server_time || now();
  queues.clear();
  mine.clear();
  for (const q of snap.queues || []) {
    queues.set(q.queue, { queue: q.queue, waiting: q.waiting, longest_wait: q.longest_wait, agents_ready: q.agents_ready, asOf });
  }
  for (const name of Object.keys(snap.agent?.skills || {})) mine.add(name);
  renderQueues();
}

function queueUpdate(ev) {
  queues.set(ev.queue, { ...ev, asOf: ev.ts || now() });
  if (mine.has(ev.queue)) renderQueues();
}

// this seat joined or left a queue (signing in, 下班, a supervisor's change)
function memberChange(ev) {
  if (ev.agent_id !== state.me) return;
  if (ev.removed) mine.delete(ev.queue); else mine.add(ev.queue);
  renderQueues();
}

function renderQueues() {
  const body = document.querySelector("#queue-board tbody");
  if (!body) return;
  const shown = [...mine].sort().map((name) => queues.get(name) || { queue: name, waiting: 0, longest_wait: 0, asOf: now() });
  body.replaceChildren(...shown.map((q) => {
    // as on the wallboard: the longest wait grows from when its queue's figures were taken
    const longest = q.waiting ? (q.longest_wait || 0) + Math.max(0, now() - q.asOf) : 0;
    return el("tr", { class: q.waiting ? "overdue" : "", "data-queue": q.queue },
      el("td", { title: q.queue }, queueName(q.queue)), el("td", {}, String(q.waiting)), el("td", {}, clock(longest)),
      el("td", {}, String(q.agents_ready ?? "—")));
  }));
}

// -- screen-pop -------------------------------------------------------------
// A call the page learns of from the server's present (a reload, a reconnect): popped as it was,
// and, on a reload, the form as the agent left it for this call (the language switch reloads).
function popFromSnapshot(call) {
  // a colleague's consultation goes on being one (the snapshot's consulted: seat → who asks); a
  // caller handed on to this seat still says by whom (not to whoever handed them on, nor to a
  // colleague only consulted or brought into a 三方通话: the bridge's handed_on_to)
  const from = call.consulted?.[state.me] || "";
  const handedOn = !from && !call.invited?.[state.me] && call.transferred_from !== state.me;
  state.popped = pop({ ...call, consult_from: from, transferred_from: handedOn ? call.transferred_from || "" : "",
    transfer_note: handedOn ? call.transfer_note || "" : "" }, null, true);
  restoreDraft(call.call_id);
}

// The customer's number: the caller's, or on an outbound call (回呼, a campaign's) the number dialled.
const outbound = (call) => call?.direction === "outbound";
// A withheld number reaches us as Asterisk's placeholder ("anonymous" …): no number to show, fill
// in or call back (the IVR's caller_number reads it the same way).
const WITHHELD = new Set(["anonymous", "unknown", "<unknown>", "restricted", "private", "unavailable"]);
const customerNumber = (call) => {
  const number = ((outbound(call) ? call.dnis || call.caller : call?.caller) || "").trim();
  return WITHHELD.has(number.toLowerCase()) ? "" : number;
};

async function pop(call, lookup, fromSnapshot = false) {
  state.call = call;
  state.customer = null;
  const number = customerNumber(call);
  // an outbound call is not a caller ringing in: the pop says so, and has no IVR choices to show;
  // a colleague's consultation (咨询转接) is their caller, shown for context, not this seat's
  $("pop-title").textContent = call.consult_from ? t("call.consulted_by", { agent: call.consult_from })
    : t(outbound(call) ? "pop.outbound_title" : "pop.title");
  $("pop-title").dataset.consultFrom = call.consult_from || "";
  const body = $("pop-body");
  $("pop-empty").hidden = true;
  body.hidden = false;
  body.dataset.callId = call.call_id;
  delete body.dataset.answered;
  delete body.dataset.ended;
  if (call.answered_at) body.dataset.answered = "true";
  if (call.ended) body.dataset.ended = "true"; // over, written up in after-call work
  if (!lookup && number) {
    lookup = await api("/api/customers/lookup", { query: { number } }).catch(() => ({ matches: [] }));
    if (state.call !== call) return; // its offer ended meanwhile, or another call popped
  }
  const shown = el("div", { class: "caller-number", id: "pop-caller", title: t("pop.copy_hint"), tabindex: "0",
    "data-direction": call.direction || null, ondblclick: () => copyNumber(number) },
    outbound(call) ? el("span", { class: "direction", id: "pop-direction" }, `${t("pop.outbound")} `) : null,
    number || (outbound(call) ? "—" : t("pop.withheld")));
  const facts = el("dl", { class: "kv" },
    el("dt", {}, t("pop.queue")), el("dd", { id: "pop-queue", title: call.queue || "" }, queueName(call.queue) || "—"),
    outbound(call) ? null : [el("dt", {}, t("pop.ivr")), el("dd", { id: "pop-ivr" }, ivrText(call) || "—")],
    el("dt", {}, ""), el("dd", { id: "pop-waited" }));
  // send the caller a knowledge item or an outage notice (the number is filled in there)
  const to = encodeURIComponent(number);
  const send = el("p", { class: "send-links" },
    el("a", { href: `/knowledge?to=${to}`, target: "_blank", id: "pop-send-kb" }, t("nav.knowledge")), " · ",
    el("a", { href: noticesHref(number, ""), target: "_blank", id: "pop-send-notice" }, t("nav.notices")));
  body.replaceChildren(...transferredFrom(call), shown, facts, number ? send : "", el("div", { id: "pop-customer" }));
  showWaited();
  // unsaved input about an earlier call stays that call's; the form takes this one once it is
  // saved or cleared (the banner says so); unsaved input about this very call stays as typed.
  // A consultation is no contact of this seat's: the form is about no call (the order is the
  // consulting agent's) until the transfer is completed and the caller is this seat's.
  if (!state.dirty && call.consult_from) bindForm(null);
  else if (!state.dirty) {
    bindForm(call);
    // after a reload the call's draft, if any, goes in once this pop is done (restoreDraft): the
    // category is chosen first, not over the draft
    const opening = openOnCategory(call);
    takeTransferNote(call, opening);
    if (fromSnapshot) await opening;
    if (state.call !== call) return; // another call popped meanwhile
  }
  showPending();
  state.lookup = lookup || {};
  showMatches(state.lookup.matches || []);
  if (!fromSnapshot) document.title = `☎ ${number || t("pop.withheld")} · Hotline`;
}

// 转接自 1001（潘红），10:02:43 转入: a caller a colleague handed on to this seat (a transfer, a
// consultation completed; ``transferred_from``), so the agent knows who to ask, not the caller;
// under it 转接备注：… (``transfer_note``), what that colleague wrote for this seat.
function transferredFrom(call) {
  const from = call.consult_from ? "" : call.transferred_from || "";
  if (!from) return [];
  const words = (agent) => t("pop.transferred_from", { agent, at: fmtWhen(call.transferred_at) });
  const line = el("p", { class: "transferred-from", id: "pop-transferred", "data-from": from }, words(from));
  // the colleague's name beside the 工号, once the server says it (signed in: on the list)
  api("/api/colleagues").then((r) => {
    const name = (r.items || []).find((c) => c.agent_id === from)?.name;
    if (name && state.call === call) line.textContent = words(`${from}${paren(name)}`);
  }).catch(() => {});
  const note = (call.transfer_note || "").trim();
  return note ? [line, el("p", { class: "transfer-note", id: "pop-transfer-note" }, t("pop.transfer_note", { note }))] : [line];
}

// The 转接备注 of a caller handed on to this seat into the form about them: its customer's-words
// field (``customer: description``), once the call's category is on screen and only while that
// field is empty; theirs to edit. Put in, not typed: it holds no after-call work and is no draft
// until the agent changes the form, and it goes when the next call pops if they never did (bindForm).
// The form's field of the customer's own words (咨询内容, 客户描述故障信息, 投诉内容), if its category has one.
const customerWordsInput = () => $("intake-fields")?.querySelector('[data-kept-as="customer:description"]');

async function takeTransferNote(call, opening) {
  const note = call.consult_from ? "" : (call.transfer_note || "").trim();
  if (!note) return;
  await opening;
  if (state.call !== call || state.dirty || state.form.callId !== call.call_id) return;
  const input = customerWordsInput();
  if (!input || input.disabled || input.value !== "") return;
  input.value = note;
  input.dataset.transferNote = call.call_id;
}

// The customer's words typed about the call the agent is on, as the form holds them now: the
// transfer dialog's 转接备注 starts from them (statebar.js). None while the form is about another
// call (unsaved input about an earlier caller is not this one's).
function customerWords() {
  if (!state.call || state.form.callId !== state.call.call_id) return "";
  const input = customerWordsInput();
  // a category without such a field: the words typed under one tried before (state.kept)
  return (input ? input.value : String(state.kept["customer:description"] ?? "")).trim();
}

const unanswered = (call) => Boolean(call && !call.answered_at && !call.ended);

// An offer that ended unanswered leaves the seat as a reload would show it (the snapshot pops only
// a live offer): waiting for calls, the form no longer about that caller unless typed into.
function offerEnded(callId) {
  state.offerOver = callId || "";
  if (unanswered(state.call)) clearPop();
}

function clearPop() {
  state.call = null;
  state.customer = null;
  state.lookup = {};
  const body = $("pop-body");
  body.hidden = true;
  body.replaceChildren();
  for (const key of ["callId", "answered", "ended"]) delete body.dataset[key];
  $("pop-empty").hidden = false;
  $("pop-title").textContent = t("pop.title");
  $("pop-title").dataset.consultFrom = "";
  document.title = pageTitle;
  if (!state.dirty) bindForm(null);
  showPending();
}

// The caller's wait in the queue: up to the answer once answered (the same figure live and after a
// reload), running on while the call still rings; none for a call that never queued.
function showWaited() {
  const box = $("pop-waited");
  const call = state.call;
  if (!box || !call) return;
  let waited = null;
  if (call.answered_at) waited = call.waited || (call.queued_at ? call.answered_at - call.queued_at : null);
  else {
    const queued = call.queued_at || (call.queue && call.offered_at ? call.offered_at - (call.waited || 0) : 0);
    if (queued) waited = now() - queued;
  }
  box.textContent = waited === null ? "" : t("pop.waited", { seconds: Math.max(0, Math.round(waited)) });
}

// What the caller chose in the IVR, in words: the server names each step (menu titles, where a
// choice led: agent_ui/work.py ivr_steps); a call from before that, or an unknown step, shows raw.
function ivrText(call) {
  const steps = call.ivr_steps || (call.ivr_path || []).map((value) => ({ kind: "raw", value }));
  return steps.map(ivrStep).filter(Boolean).join(" → ");
}

const TICKET_NOTES = new Set(["not_found", "ambiguous", "verified", "unverified", "unverifiable"]);
// a bill is read only to the account's holder, as an order's status (ivr/selfservice.py BILL_CHECK)
const BILL_NOTES = new Set(["found", "not_found", "verified", "unverified", "unverifiable"]);

function ivrStep(s) {
  const target = (to, name) => {
    if (to === "queue") return t("ivr.to.queue", { queue: queueName(name) });
    if (to === "menu" || to === "number" || !to) return name;
    if (to === "agent") return t("ivr.agent", { agent: name });
    const key = `ivr.to.${to}`;
    return t(key) === key ? (name ? `${to}${colon}${name}` : to) : t(key);
  };
  switch (s.kind) {
    case "menu": {
      const key = s.key === "timeout" || s.key === "invalid" ? t(`ivr.${s.key}`) : t("ivr.key", { key: s.key });
      return t("ivr.choice", { menu: s.menu, key, label: s.to ? target(s.to, s.target) : "" }).trim();
    }
    // outage:no_home_area: # alone, but no one bureau registered for the caller's number
    case "outage": return s.value === "no_home_area" ? t("ivr.outage.no_home_area") : t("ivr.outage", { count: s.value });
    case "bill": return t(BILL_NOTES.has(s.value) ? `ivr.bill.${s.value}` : "ivr.bill.not_found");
    // the ticket notes that are no status (ivr/selfservice.py): why nothing was read, or the check passed
    case "ticket": return TICKET_NOTES.has(s.value) ? t(`ivr.ticket.${s.value}`) : t("ivr.ticket", { status: s.value });
    // callback:no_number: a withheld caller chose a callback and was refused it (ivr/menus.py)
    case "callback": return t(s.value === "no_number" ? "ivr.callback.no_number" : "ivr.callback");
    case "report_fault": case "limit": return t(`ivr.${s.kind}`);
    case "overflow": return t("ivr.overflow", { queue: queueName(s.value) });
    case "blind": case "attended": case "conference": return t(`ivr.${s.kind}`, { target: s.to ? target(s.to, s.target) : s.target });
    default: return s.value || "";
  }
}

function copyNumber(number) {
  navigator.clipboard?.writeText(number).then(() => toast(t("pop.copied"), "ok", 1200)).catch(() => {});
  const input = $("intake-caller");
  if (input && !input.value) input.value = number;
}

function showMatches(matches) {
  const box = $("pop-customer");
  if (matches.length === 1) return showCustomer(matches[0]);
  if (matches.length === 0) {
    const orders = state.lookup?.open_orders || [];
    box.replaceChildren(el("p", { class: "muted", id: "pop-none" }, t("pop.none")), newCustomerForm(),
      orders.length ? el("h3", {}, `${t("pop.open_orders")}${paren(orders.length)}`) : "",
      el("ul", { id: "pop-orders" }, orders.map((o) => el("li", {}, el("a", { href: `/orders/${o.number}`, target: "_blank" }, o.number), ` ${o.status}`))));
    return;
  }
  box.replaceChildren(
    el("p", {}, t("pop.several", { count: matches.length })),
    el("ul", { id: "pop-matches" }, matches.map((m) => el("li", {},
      el("button", { type: "button", class: "btn", onclick: () => showCustomer(m) }, t("pop.pick")),
      ` ${m.account_no} ${m.name} · ${m.address || ""}`))),
  );
}

// a 未接来电's state in the inbox (新到, 待处理, 已处理), so an agent sees whether it was called back
const missedState = (i) => (i.kind === "missed_call" && i.status ? paren(t(`inbox.status.${i.status}`)) : "");

function showCustomer(c) {
  state.customer = c;
  if (state.form.callId === state.call?.call_id) setFormCustomer(c);
  const orders = state.lookup?.open_orders || [];
  const recent = state.lookup?.interactions || [];
  $("pop-customer").replaceChildren(
    el("h3", {}, t("pop.customer"), " ", c.tier === "VIP" ? el("span", { class: "tier-VIP" }, "VIP") : null),
    el("dl", { class: "kv", id: "pop-customer-card" },
      el("dt", {}, t("pop.account_no")), el("dd", { id: "pop-account" }, c.account_no),
      el("dt", {}, t("pop.name")), el("dd", { id: "pop-name" }, c.name),
      el("dt", {}, t("pop.address")), el("dd", {}, c.address || "—"),
      el("dt", {}, t("pop.site")), el("dd", { id: "pop-site" }, c.site || "—"),
      el("dt", {}, t("pop.tier")), el("dd", {}, c.tier || "—")),
    el("h3", {}, `${t("pop.open_orders")}${paren(orders.length)}`),
    el("ul", { id: "pop-orders" }, orders.map((o) => el("li", {}, el("a", { href: `/orders/${o.number}`, target: "_blank" }, o.number), ` ${o.status} · ${o.title || o.category}`))),
    el("h3", {}, t("pop.recent")),
    // one line a contact: a recorded call's line plays its recording (no 录音 line of its own), a
    // call given up in the queue is its 未接来电's line, with the inbox's state of it (已处理: called back)
    el("ul", { id: "pop-recent" }, recent.slice(0, 5).map((i) => el("li", { "data-kind": i.kind }, `${fmtTime(i.occurred_at)} ${t(`kind.${i.kind}`)} ${i.subject || outcomeText(i.outcome)}${missedState(i)}`,
      i.media_url ? mediaElement("recording", i.media_url, { "data-interaction": i.id }) : null))),
    el("div", { id: "pop-outages", hidden: true }),
  );
  showOutages(c);
}

// 我家怎么停电了: the outages published (发布中) for the customer's site, asked once the customer
// is shown (the pop itself waits for nothing), and 停电信息 opened on that site's list. A customer
// of no site has neither: the agent searches the list by hand.
async function showOutages(c) {
  const link = $("pop-send-notice");
  const code = await siteCode(c.site_id);
  if (link) link.href = noticesHref(customerNumber(state.call), code);
  if (c.site_id == null) return;
  outages = { customer: c, lines: new Map(), gone: new Map(), asked: 0 };
  await listOutages(c);
}

// The pop's outages: the customer they are of, each listed notice's line by its key, those
// withdrawn or ended since the agent saw them (key → [line, change]), and the latest ask (an
// earlier answer, come late, is not drawn over it).
let outages = { customer: null, lines: new Map(), gone: new Map(), asked: 0 };
// how a notice that left the list reads on it, by why it left (OutageNoticeChanged's change)
const GONE = { withdrawn: "notice.state_deleted", ended: "notice.state_ended" };

async function listOutages(c) {
  const asked = ++outages.asked;
  const found = await api("/api/notices/published", { query: { site_id: c.site_id } }).catch(() => null);
  const box = $("pop-outages");
  if (!found || !box || state.customer !== c || outages.customer !== c || asked !== outages.asked) return;
  const line = (n) => t("pop.outage_line", { area: n.area, starts: toMinute(n.starts_at), ends: toMinute(n.ends_at), reason: n.reason });
  outages.lines = new Map(found.items.map((n) => [n.key, line(n)]));
  for (const key of outages.lines.keys()) outages.gone.delete(key); // published again (提前结束 undone)
  // the agent may have read one out already: it stays, struck through and marked 已撤销 / 已结束
  const gone = [...outages.gone].filter(([key]) => !outages.lines.has(key));
  box.hidden = !found.items.length && !gone.length;
  if (box.hidden) return box.replaceChildren();
  box.replaceChildren(el("h3", {}, `${t("pop.outages")}${paren(found.items.length)}`),
    el("ul", { id: "pop-outage-list" }, found.items.map((n) => el("li", { "data-key": n.key }, outages.lines.get(n.key))),
      gone.map(([key, [text, change]]) => el("li", { "data-key": key, "data-gone": change, class: "outage-gone" },
        el("s", {}, text), paren(t(GONE[change]))))));
}

// A notice changed (gateway ``outage_notice``): the pop asks its list again when the notice is on
// it, or is 发布中 now (published, revised, an early end undone: it may cover the customer's site).
function outageChanged(change) {
  const c = outages.customer;
  if (!c || state.customer !== c || !$("pop-outages")) return;
  const listed = outages.lines.get(change.key);
  if (!change.active && listed === undefined) return;
  if (GONE[change.change] && listed !== undefined) outages.gone.set(change.key, [listed, change.change]);
  listOutages(c);
}

const toMinute = (iso) => fmtTime(iso).slice(0, 16); // 2026-11-29 22:00, as the notices are entered

// 停电信息 for the caller: their number filled in to send a notice to, the list on their site
const noticesHref = (number, siteCode) => {
  const query = new URLSearchParams({ to: number || "" });
  if (siteCode) query.set("site", siteCode);
  return `/notices?${query}`;
};

// A call's outcome (answered, abandoned_queue …) in the reports' words; one they do not name shows raw.
function outcomeText(outcome) {
  if (!outcome) return "";
  const key = `report.outcome.${outcome}`;
  return t(key) === key ? outcome : t(key);
}

// the rule POST /api/customers holds a new customer to (GET /api/customers/form: the fields it
// requires, the columns' lengths): the form marks (*) and bounds its fields by it, never its own
let customerRules = null;
const customerForm = () => (customerRules ??= api("/api/customers/form").catch(() => { customerRules = null; return null; }));

function newCustomerForm() {
  const form = el("form", { id: "new-customer", class: "form-grid" },
    el("label", { for: "nc-account" }, t("pop.account_no")), el("input", { id: "nc-account", name: "account_no", inputmode: "numeric" }),
    el("label", { for: "nc-name" }, t("pop.name")), el("input", { id: "nc-name", name: "name" }),
    el("label", { for: "nc-address" }, t("pop.address")), el("input", { id: "nc-address", name: "address", class: "wide" }),
    // 所属单位: the bureau or 供电所 of the caller's address when they know it, else left empty (a
    // fault's 所属供电局 is then picked on the form); never the agent's own 客户服务中心
    el("label", { for: "nc-site" }, t("pop.site")),
    el("select", { id: "nc-site", name: "site_id" }, el("option", { value: "" }, t("pop.site_unknown"))),
    el("span"), el("button", { class: "btn", type: "submit" }, t("pop.new_customer")));
  customerSites().then((list) => form.site_id.append(...list.map((s) => el("option", { value: s.id }, `${s.name}${paren(s.code)}`))));
  customerForm().then((rules) => {
    if (!rules) return;
    for (const input of form.querySelectorAll("input[name]")) {
      const required = rules.required.includes(input.name);
      input.required = required;
      form.querySelector(`label[for="${input.id}"]`)?.classList.toggle("req", required);
      if (rules.limits[input.name]) input.maxLength = rules.limits[input.name];
    }
    form.dataset.rules = "1";
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    // a second press would file the caller twice
    once(form, async () => {
      try {
        const created = await api("/api/customers", { method: "POST", body: {
          account_no: form.account_no.value, name: form.name.value, address: form.address.value, phone: customerNumber(state.call),
          site_id: form.site_id.value ? Number(form.site_id.value) : null } });
        showCustomer(created);
      } catch (err) { toast(err.message, "refused"); }
    });
  });
  return form;
}

// -- the call the intake form is about ---------------------------------------------
// The form starts on ``call``: its number, no customer until the lookup says whose (nor the last
// caller's saved order).
function bindForm(call) {
  state.form = { callId: call?.call_id || "", caller: customerNumber(call), customer: null };
  // a 转接备注 put in for an earlier call and never typed over (the form was not changed) is not
  // this call's words
  for (const input of document.querySelectorAll("#intake-fields [data-transfer-note]")) {
    if (input.dataset.transferNote === state.form.callId || state.dirty) continue;
    input.value = "";
    delete input.dataset.transferNote;
  }
  const callerInput = $("intake-caller");
  if (callerInput) callerInput.value = state.form.caller;
  const customerInput = $("intake-customer");
  if (customerInput) customerInput.value = "";
  $("intake-result")?.replaceChildren();
}

function setFormCustomer(c) {
  state.form.customer = c;
  const customerInput = $("intake-customer");
  if (customerInput) {
    customerInput.value = c ? `${c.account_no} ${c.name}` : "";
    putRight(customerInput);
  }
  fillFromCustomer(c);
}

// The category a call is about: the one its queue serves (the category named as the queue is
// shown, fault 故障报修, else the one whose name starts with it, complaint 投诉 → 投诉举报建议), else
// the last IVR choice that named one (a menu titled as a category, 主菜单 6 → 故障报修, or its
// queue), else the first (综合服务 names none). The menus' titles (deploy/ivr.yaml), the queues'
// names (queue.* texts) and the categories' (业务类别) are what an admin sets.
function categoryFor(call) {
  const cats = state.spec?.categories || [];
  const find = (name) => {
    const shown = queueName(name);
    if (!shown) return -1;
    const exact = cats.findIndex((c) => c.name === shown || c.name === name);
    return exact >= 0 || shown.length < 2 ? exact : cats.findIndex((c) => c.name.startsWith(shown));
  };
  let index = find(call?.queue);
  for (const s of [...(call?.ivr_steps || [])].reverse()) {
    if (index >= 0) break;
    if (s.kind !== "menu") continue;
    if (s.to === "queue" || s.to === "menu") index = find(s.target);
    if (index < 0) index = find(s.menu);
  }
  return Math.max(index, 0);
}

// A call popped while the form holds nothing typed: the form opens on its category.
async function openOnCategory(call) {
  await intakeReady;
  if (state.dirty || state.form.callId !== call.call_id) return;
  const index = categoryFor(call);
  if (state.spec.categories[index] === state.category) return;
  $("intake-category").value = String(index);
  await chooseCategory(index, false);
}

// The agent typed into the form: until it is saved or cleared, the form stays its call's, and
// that call's after-call work does not end by its time limit (the bridge waits, the bar says so).
function markDirty() {
  if (state.dirty || !state.drafting) return;
  state.dirty = true;
  holdAfterCallWork(true);
  showHeld();
}

// Saved or cleared: the hold is released, and a form kept for an earlier call takes the pop's.
function formDone() {
  const wasDirty = state.dirty;
  state.dirty = false;
  if (wasDirty) holdAfterCallWork(false);
  if (state.call && state.form.callId !== state.call.call_id) {
    bindForm(state.call);
    if (state.customer) setFormCustomer(state.customer);
  }
  showPending();
  showHeld();
}

function holdAfterCallWork(hold) {
  holdCall(state.socket, state.form.callId, "intake", hold);
}

// The form still holds unsaved input about an earlier call while another one has popped.
function showPending() {
  const box = $("intake-pending");
  if (!box) return;
  const pending = state.dirty && state.call && state.form.callId && state.form.callId !== state.call.call_id;
  box.hidden = !pending;
  if (!pending) return;
  box.replaceChildren(
    el("p", {}, t("intake.pending", { caller: state.form.caller || "—" })),
    el("button", { type: "button", class: "btn primary", id: "intake-pending-save", onclick: () => save(true) }, t("intake.save_close")),
    " ",
    el("button", { type: "button", class: "btn", id: "intake-pending-clear", onclick: askReset }, t("intake.reset")));
}

// In 话后处理 with unsaved input about the call: the time limit does not make the seat ready.
function showHeld() {
  const box = $("intake-held");
  if (!box) return;
  box.hidden = !(state.dirty && state.bar?.state === "after_call_work" && state.agentCall === state.form.callId);
}

// -- intake ----------------------------------------------------------------
function buildIntake() {
  const body = $("intake-body");
  const cats = state.spec.categories;
  const category = el("select", { id: "intake-category", name: "category", "aria-label": t("intake.category") },
    cats.map((c, i) => el("option", { value: String(i) }, c.name)));
  const sub = el("select", { id: "intake-subcategory", name: "subcategory", "aria-label": t("intake.subcategory") });
  const head = el("div", { class: "form-grid" },
    el("label", { for: "intake-category" }, t("intake.category")), category,
    el("label", { for: "intake-subcategory", id: "intake-subcategory-label" }, t("intake.subcategory")), sub,
    el("label", { for: "intake-caller" }, t("intake.caller")), el("input", { id: "intake-caller", name: "caller_number", inputmode: "tel" }),
    el("label", { for: "intake-customer" }, t("intake.customer")), el("input", { id: "intake-customer", readonly: true }));
  const fields = el("div", { id: "intake-fields" });
  const phrases = el("div", { class: "phrases", id: "intake-phrases", "aria-label": t("intake.phrases") });
  const opinion = el("textarea", { id: "intake-opinion", name: "opinion", placeholder: t("intake.opinion"), rows: 2 });
  const actions = el("div", { class: "actions" },
    el("button", { type: "button", class: "btn primary", id: "intake-save-close", title: "Ctrl+Enter", onclick: () => save(true) }, t("intake.save_close")),
    el("button", { type: "button", class: "btn", id: "intake-save-handle", onclick: () => save(false) }, t("intake.save_handle")),
    el("button", { type: "button", class: "btn", id: "intake-reset", onclick: askReset }, t("intake.reset")));
  const pending = el("div", { id: "intake-pending", class: "notice", role: "alert", hidden: true });
  const held = el("p", { id: "intake-held", class: "notice", role: "status", hidden: true }, t("intake.held"));
  body.replaceChildren(pending, held, head, fields, el("h3", {}, t("intake.phrases")), phrases, opinion, actions, el("div", { id: "intake-result" }));
  document.body.append(resetDialog());
  category.addEventListener("change", () => chooseCategory(Number(category.value)));
  sub.addEventListener("change", () => renderIntakeFields());
  // the site picked decides which contractors may take the order (their service areas)
  fields.addEventListener("change", (e) => {
    if (e.target.dataset.type === "site" && fields.querySelector('[data-type="contractor"]')) renderIntakeFields();
  });
  body.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.ctrlKey) { e.preventDefault(); save(true); } });
  for (const kind of ["input", "change"]) {
    body.addEventListener(kind, (e) => {
      if (!e.target.closest("#intake-pending")) markDirty();
      // the number alone is no loss (清空 puts the call's back), nor is a category tried
      if (!["intake-caller", "intake-category"].includes(e.target.id)) state.typed = true;
      putRight(e.target);
      keepDraft();
    });
  }
  // the language switch reloads the page: what is on screen now goes along
  document.querySelector('form[action="/lang"]')?.addEventListener("submit", keepDraft);
  // the last focused text area receives standard phrases
  body.addEventListener("focusin", (e) => { if (e.target.matches("textarea")) state.lastText = e.target; });
  chooseCategory(0);
}

// keep: what is on screen is kept (state.kept) and goes on into the category's fields of the same
// meaning; without it (清空, a call's category, a draft) the fields start from state.kept alone.
async function chooseCategory(index, keep = true) {
  const cat = state.spec.categories[index];
  state.category = cat;
  const sub = $("intake-subcategory");
  sub.replaceChildren(el("option", { value: "" }, "—"), ...(cat.subcategories || []).map((s) => el("option", { value: s.code }, s.name)));
  sub.value = state.subcategoryOf[cat.code] || ""; // as the agent left this category, if tried before
  // a category with subcategories takes one (the server refuses a blank 小类别: field_required)
  const needsSub = Boolean(cat.subcategories?.length);
  sub.required = needsSub;
  $("intake-subcategory-label").classList.toggle("req", needsSub);
  await renderIntakeFields(keep);
  // the picked category's phrases and its workflow's category's (协调单 offers 故障报修's)
  const phrases = state.spec.phrases.filter((p) => !p.category || [cat.code, cat.category, cat.workflow].includes(p.category));
  $("intake-phrases").replaceChildren(...phrases.map((p) => el("button", { type: "button", class: "btn", onclick: () => insertPhrase(p.text) }, p.text)));
}

// the category's create-step fields plus the chosen subcategory's own form (高压新装…)
async function renderIntakeFields(keep = true) {
  const cat = state.category;
  const code = $("intake-subcategory").value;
  const extra = (cat.subcategories || []).find((s) => s.code === code)?.fields || [];
  const fields = [...cat.fields, ...extra];
  const box = $("intake-fields");
  if (keep) keepTyped(box);
  const onScreen = new Set(keep ? Object.keys(readFields(box)) : []);
  state.subcategoryOf[cat.code] = code;
  const values = keptFor(fields);
  const place = Object.fromEntries(fields.filter((f) => f.type === "site" && values[f.name]).map((f) => [f.name, values[f.name]]));
  const contractorsFor = { workflow: cat.workflow, category: cat.code, form: JSON.stringify(place) };
  // keep: a field of the same name takes what is on screen right before the redraw (typed while
  // the sites or contractors loaded); the others take what was kept for their meaning, over what
  // the popped customer's record may have filled in meanwhile (the agent's word wins)
  const grid = await renderFields(box, fields, { prefix: "intake", keep, contractorsFor });
  for (const field of fields) {
    const input = grid.querySelector(`[data-field="${CSS.escape(field.name)}"]`);
    if (!input) continue;
    input.dataset.keptAs = keptAs(field);
    if (!(field.name in values) || input.disabled || onScreen.has(field.name)) continue;
    if (input.type === "checkbox") input.checked = values[field.name] === true; else input.value = String(values[field.name]);
  }
  // what the subcategory decides (一类投诉: 类别1 一类, 类别2 投诉) is entered once: shown, not
  // asked (the server fills it from the subcategory and refuses a contradiction)
  lockBound(box, (cat.subcategories || []).find((s) => s.code === code)?.bound);
  await fillFromCustomer(state.form.customer);
  // redrawn (a 小类别 picked, a site that changes the contractors offered): the fields the last
  // refusal named and the agent has not put right yet stay marked
  markProblems(box, state.problems, { focus: false, values: state.problemValues });
  keepDraft(); // the draft has the category's fields now, not the ones they replaced
}

// -- what was typed, through a change of 业务大类别 or 小类别 -------------------------------------
// The caller turns out to be complaining, not reporting a fault: switching 故障报修 → 投诉举报建议
// carries the customer's words into 投诉内容, and switching back restores every field as it was.
// A field's meaning is what its workflow declares (``customer`` of the field in GET /api/intake):
// ``customer: address`` / ``customer: site`` (故障地址, 用电地址, 上门地址; 所属供电局, 所属区域), and
// ``customer: description``, the customer's own words (客户描述故障信息, 投诉内容, 咨询内容, 申请说明,
// 故障描述, wherever the form puts them; for a version stored before the mark the server says
// which). Any other field means itself, by name (a 小类别's own form, 高压新装's 受电变压器容量, too).
function keptAs(field) {
  return field.customer ? `customer:${field.customer}` : `field:${field.name}`;
}

const isBlank = (input) => (input.type === "checkbox" ? !input.checked : input.value === "");

// What the fields on screen hold into state.kept, each under its meaning; a field emptied drops
// it, except a list that could not take the value kept (a select without that option): it never
// showed it, and the value stays for a field that can.
function keepTyped(box) {
  const values = readFields(box);
  for (const input of box.querySelectorAll("[data-kept-as]")) {
    if (input.disabled) continue; // decided by the 小类别, not typed
    const key = input.dataset.keptAs;
    if (!isBlank(input)) state.kept[key] = values[input.name];
    else if (!(input.tagName === "SELECT" && ![...input.options].some((o) => o.value === String(state.kept[key])))) delete state.kept[key];
  }
}

// {field: value} of what was kept for ``fields``' meanings
function keptFor(fields) {
  const values = {};
  for (const field of fields) {
    const value = state.kept[keptAs(field)];
    if (value !== undefined) values[field.name] = value;
  }
  return values;
}

// The popped customer's address and site into the fields that say so (故障地址 ← 地址, 所属供电局 ←
// the customer's site: ``customer`` of each field in /api/intake), only where still empty; the
// agent may change them. The server's rule for an order made without this form (an async event's
// 填写受理工单) is the same one, ticketing/workflow/prefill.py ``customer_fills``: keep them alike.
async function fillFromCustomer(c) {
  const box = $("intake-fields");
  if (!c || !box || !state.category) return;
  const code = await siteCode(c.site_id);
  const values = { address: c.address || "", site: code };
  for (const field of state.category.fields) {
    const value = values[field.customer];
    const input = box.querySelector(`[data-field="${CSS.escape(field.name)}"]`);
    if (!value || !input || input.disabled || input.value !== "") continue;
    // a select takes only what it offers (a 停用 site is not)
    if (input.tagName === "SELECT" && ![...input.options].some((o) => o.value === value)) continue;
    input.value = value;
    putRight(input);
  }
}

// a standard phrase goes where the agent last wrote, else into the customer's words (投诉内容, not
// a 处理要求 the form puts first), else the 处理意见
function insertPhrase(text) {
  const input = customerWordsInput();
  const words = input && !input.disabled ? input : null;
  const target = state.lastText?.isConnected ? state.lastText : words || $("intake-opinion");
  target.value = target.value ? `${target.value} ${text}` : text;
  // as if typed: the form holds it, and its draft and 清空's question know of it
  target.dispatchEvent(new Event("input", { bubbles: true }));
  target.focus();
}

// 保存 by either button, the pending banner's or Ctrl+Enter: one at a time (a double click took
// the caller's order in twice)
function save(done) {
  return once(["intake-save-close", "intake-save-handle", "intake-pending-save"].map($), () => takeIn(done));
}

async function takeIn(done) {
  // the order links the call only once the agent is on it: while the phone rings the server would
  // refuse it as someone else's call (call.forbidden), and the form would seem lost
  if (state.form.callId && state.call?.call_id === state.form.callId && unanswered(state.call)) {
    toast(t("intake.answer_first"), "refused");
    return;
  }
  const cat = state.category;
  const fieldsBox = $("intake-fields");
  const body = {
    workflow: cat.workflow,
    // the category picked, not only its workflow (用户信息查询 and 信息咨询 share one); a category
    // without a row of its own (no category tree: the workflow is the category) sends none
    category: cat.id ? cat.code : "",
    subcategory: $("intake-subcategory").value,
    caller_number: $("intake-caller").value,
    customer_id: state.form.customer?.id ?? null,
    call_id: state.form.callId,
    form: readFields(fieldsBox),
    opinion: $("intake-opinion").value,
    submit: done,
  };
  try {
    const order = await api("/api/orders", { method: "POST", body });
    clearDraft(state.me, body.call_id); // taken in: a reload starts the form afresh
    showProblems({});
    toast(t("intake.saved", { number: order.number }), "ok");
    const link = el("a", { href: `/orders/${order.number}`, id: "intake-saved-link" }, order.number);
    $("intake-result").replaceChildren(el("p", { id: "intake-saved" }, ...tParts("intake.saved", { number: link }), ` · ${order.status}`));
    if (!done) return leave(`/orders/${order.number}`);
    reset(true);
  } catch (err) {
    // what the agent typed stays as it is: only the marks change
    showProblems(err.details?.problems || {}, err.details?.problem_values);
    toast(err.message, "refused");
  }
}

// Every input the server's refusal names marked at once, the form's head and the workflow's
// fields alike, the first of them focused: a category or subcategory disabled since the form was
// built, a blank 小类别, a 联系电话 that is no number, a customer deleted meanwhile, the required
// fields left empty. {} unmarks them all.
const HEAD_INPUTS = {
  category: "intake-category", subcategory: "intake-subcategory", caller_number: "intake-caller", customer_id: "intake-customer",
};
function showProblems(problems, values = {}) {
  state.problems = { ...problems };
  state.problemValues = values || {};  // the values a problem's words name (不能早于到达时间 …)
  markProblems($("intake-fields"), problems, { values: state.problemValues });
  for (const [name, id] of Object.entries(HEAD_INPUTS)) markField($(id), problems[name], state.problemValues[name]);
  // the head is above the fields: the first input to put right is there
  Object.values(HEAD_INPUTS).map($).find((input) => input.getAttribute("aria-invalid") === "true")?.focus();
}

// An input changed since the refusal (by the agent, or filled from the popped customer) loses
// its mark, the next 保存 saying again if it is still wrong; the others keep theirs through a
// redraw of the fields (QA: a 小类别 picked redrew them, and 故障地址 seemed no longer missing).
function putRight(input) {
  const name = input?.name || (input?.id === "intake-customer" ? "customer_id" : "");
  if (!name || !(name in state.problems)) return;
  delete state.problems[name];
  markField(input, "");
}

// 清空 by a button (the form's or the pending banner's): what the agent typed goes only once they
// say so, asked in the page (the console's window.confirm would stop this page: a ringing call's
// pop, the state bar, the queues); the 联系电话 alone goes without asking (it comes back).
function askReset() {
  if (!state.typed) return reset();
  const ask = $("intake-reset-confirm");
  if (ask.open) return;
  ask.showModal();
  $("intake-reset-keep").focus(); // Enter or Esc keeps the form; 清空 is the deliberate choice
}

function resetDialog() {
  const dialog = el("dialog", { id: "intake-reset-confirm", class: "confirm-dialog", "aria-labelledby": "intake-reset-question" },
    el("p", { id: "intake-reset-question" }, t("intake.reset_confirm")),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "btn danger", id: "intake-reset-yes", onclick: () => { dialog.close(); reset(); } }, t("intake.reset_yes")),
      " ",
      el("button", { type: "button", class: "btn", id: "intake-reset-keep", onclick: () => dialog.close() }, t("intake.reset_keep"))));
  return dialog;
}

function reset(keepResult = false) {
  clearDraft(state.me, state.form.callId);
  // every category's, not only the one on screen: a form started afresh keeps nothing
  Object.assign(state, { kept: {}, subcategoryOf: {}, typed: false });
  showProblems({}); // a form started afresh has nothing to put right
  chooseCategory(state.spec.categories.indexOf(state.category), false);
  $("intake-opinion").value = "";
  if (!keepResult) $("intake-result").replaceChildren();
  const result = keepResult ? [...$("intake-result").childNodes] : [];
  formDone();
  // the whole form: the number too, back to its call's (none without a call), so that the next
  // order does not go out under the last caller's number (QA F4)
  $("intake-caller").value = state.form.caller;
  setFormCustomer(state.form.customer);
  if (result.length) $("intake-result").replaceChildren(...result); // the saved order's number stays in view
}

// -- the draft: what is typed survives a reload or a visit to another page (drafts.js) -------
// The form's call's, or, typed without a call (a letter, a walk-in), the agent's draft without one.
function keepDraft() {
  if (!state.drafting || !state.dirty || !state.category) return;
  keepTyped($("intake-fields"));
  saveDraft(state.me, state.form.callId, {
    form_caller: state.form.caller,
    category: state.category.code,
    subcategory: $("intake-subcategory").value,
    caller: $("intake-caller").value,
    customer: state.form.customer,
    kept: state.kept, // every category's fields, by meaning
    subcategories: state.subcategoryOf,
    opinion: $("intake-opinion").value,
  });
}

// Once per page, when the server has said which call the agent is on ("" for none): that call's
// draft back into the form, or else the newest one left unsaved about an earlier call (the form
// stays that call's, under its banner) or typed without a call; from then on what is typed is
// kept. Any other is dropped.
async function restoreDraft(callId) {
  if (state.restoring) return;
  state.restoring = true;
  await intakeReady;
  await state.popped;
  // a pop drawn before the form was built could not fill it in
  if (state.call && state.form.callId === state.call.call_id) {
    if (!$("intake-caller").value) $("intake-caller").value = state.form.caller;
    if (state.form.customer) setFormCustomer(state.form.customer);
  }
  const drafts = draftsOf(state.me);
  const chosen = drafts.find((d) => callId && d.call === callId) || drafts[0];
  for (const d of drafts) if (d !== chosen) clearDraft(state.me, d.call);
  if (chosen) {
    try {
      await applyDraft(chosen.call, chosen.draft);
      state.dirty = true;
      holdAfterCallWork(true);
    } catch (err) {
      console.error("intake draft not restored", err);
    }
  }
  state.drafting = true;
  showPending();
  showHeld();
}

async function applyDraft(callId, draft) {
  if (callId !== state.form.callId) bindForm({ call_id: callId, caller: draft.form_caller || draft.caller || "" });
  const index = state.spec.categories.findIndex((c) => c.code === draft.category);
  if (index < 0) return; // the category is gone (disabled meanwhile): start afresh
  // the customer's words kept by a page from before their field was marked (under "words")
  const { words, ...kept } = draft.kept || {};
  state.kept = words === undefined ? kept : { "customer:description": words, ...kept };
  // a draft kept before the fields were kept by meaning: its category's fields, by name
  const cat = state.spec.categories[index];
  const known = [...cat.fields, ...(cat.subcategories || []).flatMap((c) => c.fields || [])];
  for (const [name, value] of Object.entries(draft.kept ? {} : draft.fields || {})) {
    const field = known.find((f) => f.name === name);
    if (field) state.kept[keptAs(field)] = value;
  }
  state.subcategoryOf = { ...draft.subcategories, [draft.category]: draft.subcategory || "" };
  state.typed = true;
  $("intake-category").value = String(index);
  await chooseCategory(index, false); // its 小类别 and fields as kept, the contractors for the site kept
  if (draft.caller) $("intake-caller").value = draft.caller;
  $("intake-opinion").value = draft.opinion || "";
  if (draft.customer) setFormCustomer(draft.customer);
}
