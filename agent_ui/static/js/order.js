// The order page: facts, the current step's form with its permissions, actions, and the timeline
// (statuses, opinions, calls with their recordings, fax PDFs, SMS, voicemail, email).
import { api, el, fmtTime, fmtWhen, once } from "./api.js";
import { colon, paren, smsAlertText, smsReason, t, tag } from "./i18n.js";
import { mediaElement } from "./media.js";
import { toast } from "./toast.js";
import { clearOrderDraft, orderDraft, saveOrderDraft } from "./drafts.js";
import { lockBound, markField, markProblems, readFields, renderFields, siteCode } from "./forms.js";
import { markSendProblems, mountMessages } from "./order_messages.js";

const $ = (id) => document.getElementById(id);
let order = null;
let socket = null;

export async function start(ctx) {
  socket = ctx.socket;
  await load();
  // what is typed on the step is kept as it is typed (the session may end under it any moment)
  for (const box of [$("order-fields"), $("order-opinion")]) {
    for (const kind of ["input", "change"]) box.addEventListener(kind, (e) => typed(e.target));
  }
  // 发短信 / 发邮件's template preview follows the fields as typed (the customer is told what is on screen)
  for (const kind of ["input", "change"]) $("order-fields").addEventListener(kind, () => $("order-messages").typed?.());
  // watched, then read again: a move made before the socket watched it (the page opening, a
  // reconnect) reached no event of this tab, and the page would go on showing the step it left
  const watch = () => order && socket.command("watch", { orders: [order.id] }).then(loadIfMoved, () => {});
  socket.addEventListener("snapshot", watch);
  watch();
  socket.addEventListener("order", (e) => {
    const ev = e.detail.event;
    // someone else moved the order on: reload; our own step's echo changes nothing
    if (ev.order_id === order?.id && (ev.status !== order.status || ev.node !== order.node.id)) load();
  });
}

// the order read again, drawn only when it is at another step or status than the page shows
async function loadIfMoved() {
  let fresh;
  try { fresh = await api(`/api/orders/${order.id}`); } catch { return; }
  if (fresh.status !== order.status || fresh.node.id !== order.node.id) {
    order = fresh;
    await render();
  }
}

let renderedNode = null;
let drawnStepName = "";

async function load() {
  const key = $("order").dataset.key;
  try {
    order = await api(`/api/orders/${encodeURIComponent(key)}`);
  } catch (err) {
    toast(err.message, "refused");
    return;
  }
  await render();
}

// the order's actions (提交, 退单, 作废, 延期's 批准…): one at a time, whichever is pressed, as
// the server takes them; a second would be refused as the order has moved on
const orderButtons = () => [...document.querySelectorAll("#order-actions button, #order-extension button")];

// what the server lets this user do from here (agent_ui/roles.py): no button the server refuses
const may = (what) => $("order").dataset[what] === "true";

function dialButton(number, id = "order-dial") {
  if (!number) return "—";
  const send = (path, label) => el("a", { class: "btn", href: `${path}?to=${encodeURIComponent(number)}&order=${order.id}` }, label);
  return el("span", {}, number, " ",
    may("mayDial") ? el("button", { type: "button", class: "btn", id, title: t("cmd.dial"), onclick: (e) => once(e.currentTarget, () => dial(number)) }, `☎ ${t("order.callback")}`) : null,
    may("mayFax") ? [" ", send("/knowledge", t("nav.knowledge")), " ", noticesOfCustomer(send("/notices", t("nav.notices")))] : null);
}

// 停电信息 from an order: the list of the notices covering its customer's site (?site=), as from the pop
function noticesOfCustomer(link) {
  link.id = "order-send-notice";
  siteCode(order.customer?.site_id).then((code) => { if (code) link.href += `&site=${encodeURIComponent(code)}`; });
  return link;
}

async function dial(number) {
  try { await socket.command("dial", { number, order_id: order.id }); toast(t("cmd.done", { cmd: t("cmd.dial") }), "ok"); }
  catch (err) { toast(err.message, "refused"); }
}

// One drawing at a time. An action's answer and the reload its own order event starts could
// otherwise interleave inside renderFields' awaits, and the later one to finish replaced fields
// the user had already started typing into (the same step's drawing keeps them; see forms.js).
let drawing = Promise.resolve();
function render() {
  drawing = drawing.then(draw, draw);
  return drawing;
}

async function draw() {
  $("order-number").textContent = order.number;
  // the tab reads the order's number, as the agent says it, not the id the page was opened by
  document.title = `${t("order.title")} ${order.number}${document.title.slice(document.title.indexOf(" · "))}`;
  const c = order.customer;
  $("order-facts").replaceChildren(...[
    el("dt", {}, t("order.category")), el("dd", { id: "order-category" }, `${order.category_name || order.workflow.name}${order.subcategory ? " / " + (order.subcategory_name || order.subcategory) : ""}`),
    el("dt", {}, t("order.step")), el("dd", { id: "order-node" }, order.node.name),
    el("dt", {}, t("order.caller")), el("dd", {}, dialButton(order.caller_number)),
    crewFacts(),
    el("dt", {}, t("pop.customer")), el("dd", {}, c ? `${c.account_no} ${c.name} ${c.address || ""}` : "—"),
    el("dt", {}, t("order.handlers")), el("dd", { id: "order-handlers" }, order.handlers.map((h) => `${who(h)}${h.active === false ? tag(t("order.handler_inactive")) : ""}`).join("、") || "—"),
    order.stranded ? [el("dt", {}, t("list.stranded")), el("dd", { id: "order-stranded", class: "error" }, t("order.stranded"))] : [],
    el("dt", {}, t("order.created")), el("dd", {}, `${fmtTime(order.created_at)} ${order.created_by ? order.created_by.name : ""}`),
    order.due_at ? [el("dt", {}, t("order.due")), el("dd", { class: order.overdue ? "error" : "" }, fmtTime(order.due_at))] : [],
    linkFacts("source"), linkFacts("linked"), linkFacts("duplicate_of"), linkFacts("duplicates"),
  ].flat());
  const sameStep = renderedNode === `${order.id}:${order.node.id}:${order.status}`;
  // the order moved on under the page (another user or tab): what was typed on the step it left,
  // taken before the new step's form replaces it
  const left = !sameStep && renderedNode?.startsWith(`${order.id}:`) ? unsentOnStep() : "";
  const leftStep = drawnStepName;
  renderedNode = `${order.id}:${order.node.id}:${order.status}`;
  drawnStepName = order.node.name;
  if (left) $("order-opinion").value = ""; // the new step's box starts empty
  if (!sameStep) startDraft();
  if (left) showMoved(left, leftStep);
  renderSubcategory(sameStep);
  await renderFields($("order-fields"), order.form, { prefix: "order", keep: sameStep, contractorsFor: { order: order.id } });
  // the subcategory's fields (高压新装: 业务类型) set and locked, as the seat's intake form does:
  // an order taken in from the inbox is filled in here, on its create step
  lockBound($("order-fields"), order.bound);
  const route = $("order-route");
  route.replaceChildren();
  const steps = order.free_routing && order.route_nodes?.length ? order.route_nodes : order.exits;
  if (order.my_step && (steps.length > 1 || order.free_routing)) {
    route.append(el("label", { for: "order-exit" }, t("order.next_step"), " "),
      el("select", { id: "order-exit" }, el("option", { value: "" }, t("order.auto")),
        steps.map((x) => el("option", { value: x.to }, x.name))));
  }
  if (order.my_step && order.free_routing) route.append(handlerPicker());
  const actions = $("order-actions");
  // 批准 and 退回 as the workflow's step names them (接收确认: 接收确认 / 退单)
  const actionLabel = (a) => (a === "reject" && order.reject_name) || (a === "approve" && order.approve_name) || t(`order.action.${a}`);
  actions.replaceChildren(...order.actions.map((a) => el("button", {
    type: "button", class: a === "submit" || a === "approve" ? "btn primary" : a === "reject" ? "btn danger" : "btn",
    id: `order-${a}`, onclick: () => once(orderButtons(), () => act(a)) }, actionLabel(a))));
  if (!order.actions.length) actions.append(el("span", { class: "muted", id: "order-not-mine" }, order.is_open ? t("order.not_mine") : t("order.closed")));
  actions.append(...manageControls());
  // an opinion goes with an action: none to take, nothing to write one for. Where the step's
  // 处理意见 is a field of its form (回复客户), that field is the box: not a second one beside it
  $("order-opinion").hidden = $("order-opinion-label").hidden = Boolean(stepOpinion())
    || (!order.actions.length && !order.manage?.length && !order.extension?.may_decide);
  actions.append(el("a", { class: "btn", id: "order-print", href: order.print_url, target: "_blank", rel: "noopener" }, t("order.print")));
  renderContractor();
  renderExtension();
  renderTimeline();
  renderSurvey();
  renderFax();
  // 发短信 / 发邮件: the fax's rule, the fax's reload
  if (may("mayFax")) mountMessages($("order-messages"), order, load, formOnScreen);
  restoreDraft();
  // the status last: when it shows the new value, the whole page is the new step's
  $("order-status").textContent = order.status;
  $("order-status").dataset.status = order.status;
}

// 小类别 on the create step, for its holder, where the category has some (order.subcategories):
// picked here as at the seat's intake (an order the IVR's 故障报修留言 opened names none) and sent
// with 暂存 / 提交, which the server refuses without one (表单有误：小类别（必填）). A redraw of the
// same step keeps what was picked and not saved yet, as renderFields keeps what was typed.
function renderSubcategory(keep) {
  const box = $("order-subcategory");
  const picked = keep ? $("order-subcategory-pick")?.value : null;
  const options = order.subcategories || [];
  if (!options.length) { box.replaceChildren(); return; }
  const chosen = picked || order.subcategory;
  const select = el("select", { id: "order-subcategory-pick", name: "subcategory", required: true },
    el("option", { value: "" }, t("inbox.pick_subcategory", { category: order.category_name || order.workflow.name })),
    options.map((o) => el("option", { value: o.code, selected: o.code === chosen }, o.name)));
  box.replaceChildren(el("label", { for: "order-subcategory-pick", class: "req" }, t("intake.subcategory")), select);
}

// -- the step left under the agent (QA #25) ----------------------------------------------------
// Someone else moved the order on (提交 to the next step, 退单, 作废…; or this user in another tab)
// while words typed on its step were not sent. Typed for that step, they do not stay in the boxes
// of the new one, to go out with its action: the page says where the order went and by whom, and
// keeps them beside it, read-only, to copy. The page's own actions empty the boxes they send (and
// drop the draft) before drawing the next step, so nothing is said of those.

// What was typed on the step drawn and not sent, as text to copy: each field typed into
// (标签：值) and the 处理意见 box; "" when nothing was
function unsentOnStep() {
  const lines = [];
  const box = $("order-fields");
  for (const name of draft.touched) {
    const input = box.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!input || input.disabled || input.type === "checkbox") continue;
    // a list's choice by the words it shows (a crew, a contractor: their names, not their ids)
    const value = (input.tagName === "SELECT" ? (input.value ? input.selectedOptions[0]?.textContent : "") : input.value)?.trim();
    const label = box.querySelector(`[data-label-of="${CSS.escape(name)}"]`)?.textContent || name;
    if (value) lines.push(`${label}${colon}${value}`);
  }
  const opinion = $("order-opinion");
  const words = opinion.hidden ? "" : opinion.value.trim();
  // the 处理意见 alone is copied as it was written, to paste where it belongs
  if (words) lines.push(lines.length ? `${t("order.opinion")}${colon}${words}` : words);
  return lines.join("\n");
}

function showMoved(text, from) {
  const last = order.timeline.filter((e) => e.kind === "status").at(-1);
  const copy = el("textarea", { id: "order-moved-copy", rows: 3, readonly: true, style: "width:100%", "aria-label": t("order.moved_copy_label") }, text);
  const copied = () => { copy.select(); navigator.clipboard?.writeText(text).then(() => toast(t("pop.copied"), "ok", 1200)).catch(() => {}); };
  const notice = $("order-moved");
  notice.replaceChildren(
    el("p", {}, t("order.moved_away", { who: who(last?.user), step: order.node.name, from })),
    copy,
    el("div", {}, el("button", { type: "button", class: "btn", id: "order-moved-copy-button", onclick: copied }, t("order.moved_copy")), " ",
      el("button", { type: "button", class: "btn", id: "order-moved-dismiss", onclick: () => { notice.hidden = true; } }, t("order.moved_dismiss"))));
  notice.hidden = false;
}

// -- the draft: what the handler typed on this step survives the session ending under them ------
// (idle timeout, 退出 in another tab, a password change: the page goes to sign in and back here)
// or a reload, as the intake form's does (drafts.js): per user, order and step, in this tab only.
// Kept are the fields typed into since the step was drawn, not the rest (the order's, which others
// may change meanwhile), and the opinion box; dropped once an action has taken them (暂存, 提交,
// 退单…), when the order has moved on from the step, or when the handler discards what came back.
const draft = { place: null, touched: new Set(), tried: false };
const me = () => $("order").dataset.me || "";
// when the order reached its step: a draft of an earlier visit of the same step is not this one's
const since = () => order.timeline.filter((e) => e.kind === "status").at(-1)?.at || "";

// a new step drawn: nothing typed on it yet (a draft of it is looked for once, by restoreDraft)
function startDraft() {
  // the step left (someone else moved the order on): what was typed on it has no step to go to
  if (draft.place && (draft.place.order !== order.id || draft.place.node !== order.node.id)) dropDraft();
  draft.place = { order: order.id, node: order.node.id, since: since() };
  draft.touched = new Set();
  $("order-draft-notice").hidden = true;
}

function typed(input) {
  if (!order?.is_open || !draft.place) return;
  if (input.dataset?.field) draft.touched.add(input.dataset.field);
  keepDraft();
}

function keepDraft() {
  const place = draft.place;
  if (!place) return;
  const box = $("order-fields");
  const values = readFields(box);
  const fields = {};
  for (const name of draft.touched) {
    const input = box.querySelector(`[data-field="${CSS.escape(name)}"]`);
    // a field emptied is kept as such: readFields leaves empty ones out
    if (input && !input.disabled) fields[name] = name in values ? values[name] : "";
  }
  const opinion = $("order-opinion").value;
  if (!Object.keys(fields).length && !opinion.trim()) clearOrderDraft(me(), place.order, place.node);
  else saveOrderDraft(me(), place.order, place.node, { since: place.since, fields, opinion });
}

// an action that took the opinion box's words (督办, 转派, 批准延期…): still this user's step,
// the fields typed on it stay kept; handed on (转派, 改派, 作废…), nothing of it is theirs to keep
function opinionTaken() {
  if (order.my_step && order.id === draft.place?.order && order.node.id === draft.place.node) keepDraft();
  else dropDraft();
}

function dropDraft() {
  if (draft.place) clearOrderDraft(me(), draft.place.order, draft.place.node);
  draft.touched = new Set();
  $("order-draft-notice").hidden = true;
}

// Once per page, on the step first drawn: this user's draft of it back into the form, said so
// above it with the time it was typed, and a button to throw it away (the step as saved again).
function restoreDraft() {
  if (draft.tried || !draft.place) return;
  draft.tried = true;
  const kept = orderDraft(me(), draft.place.order, draft.place.node, draft.place.since);
  if (!kept) return;
  if (!order.is_open) { dropDraft(); return; } // closed meanwhile: nothing left to type it into
  const box = $("order-fields");
  for (const [name, value] of Object.entries(kept.fields || {})) {
    const input = box.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!input || input.disabled) continue;
    if (input.type === "checkbox") input.checked = value === true; else input.value = value;
    draft.touched.add(name);
  }
  const opinion = $("order-opinion");
  if (kept.opinion && !opinion.hidden) opinion.value = kept.opinion;
  // nothing it holds can be typed here any more (the step is no longer this user's): nothing to say
  if (!draft.touched.size && opinion.value !== kept.opinion) { dropDraft(); return; }
  // a condition on the fields (required_when) follows what came back, as if typed
  box.querySelector(".form-grid")?.dispatchEvent(new Event("change"));
  const notice = $("order-draft-notice");
  notice.replaceChildren(t("order.draft_restored", { at: fmtWhen(new Date(kept.saved_at).toISOString()) }), " ",
    el("button", { type: "button", class: "link", id: "order-draft-discard", onclick: discardDraft }, t("order.draft_discard")));
  notice.hidden = false;
}

function discardDraft() {
  dropDraft();
  $("order-opinion").value = "";
  renderedNode = null; // the step drawn afresh, as saved
  draft.tried = true;
  render();
}

// 抢修班组: the crew the order was dispatched to, as it keeps it, with its leader's phone to call
// back (回呼) or send to, beside the caller's
function crewFacts() {
  return order.form.filter((f) => f.type === "crew" && f.value?.phone).flatMap((f, i) => [
    el("dt", {}, f.label), el("dd", { class: "crew-phone" }, `${f.value.name} `, dialButton(f.value.phone, `order-dial-crew-${i + 1}`))]);
}

// 来源工单 (the order this one was opened from) / 关联工单 (the ones opened from it), each a link;
// 作废 of a duplicate: 重复于 (on the voided order) / 重复单 (on the order it repeats)
const LINK_ROLES = { duplicate_of: ["linked", true], duplicates: ["source", true], linked: ["linked", false], source: ["source", false] };
function linkFacts(role) {
  const [side, duplicate] = LINK_ROLES[role];
  const links = (order.links || []).filter((l) => l.role === side && (l.kind === "duplicate") === duplicate);
  if (!links.length) return [];
  return [el("dt", {}, t(`order.links.${role}`)), el("dd", { id: `order-links-${role}` },
    links.flatMap((l, i) => [i ? "、" : "", el("a", { href: `/orders/${encodeURIComponent(l.number)}`, "data-link-kind": l.kind }, l.number),
      ` ${l.status}${l.title ? " " + l.title : ""}`]))];
}

// The step's 处理意见 (order.opinion_field: 回复客户's, a field marked opinion in the workflow) as the
// form draws it, when the agent can write it there; else null and the generic box is the opinion.
function stepOpinion() {
  if (!order.opinion_field) return null;
  const input = $("order-fields").querySelector(`[data-field="${CSS.escape(order.opinion_field)}"]`);
  return input && !input.disabled ? input : null;
}

// where whatever an action says is written: the step's own 处理意见 field, else the generic box
const opinionBox = () => stepOpinion() || $("order-opinion");

// The step's fields as on screen, an emptied one as empty (readFields leaves those out): what
// 发短信 / 发邮件 fill a template with, the server taking what 暂存 would take of it.
const EMPTY_AS_NULL = ["number", "contractor", "crew"];
function formOnScreen() {
  const box = $("order-fields");
  const values = readFields(box);
  for (const input of box.querySelectorAll("[data-field]")) {
    if (!input.disabled && !(input.name in values)) values[input.name] = EMPTY_AS_NULL.includes(input.dataset.type) ? null : "";
  }
  return values;
}

async function act(action) {
  // 提交 / 批准 send the step's 处理意见 as the form's field (the server reads the action's words
  // there); 退回 sends no form, so its reason is the field's text
  const field = stepOpinion();
  const body = { form: readFields($("order-fields")), opinion: field && action !== "reject" ? "" : opinionBox().value };
  const exit = $("order-exit")?.value;
  if (exit) body.to = exit;
  const picked = [...($("order-next-handlers")?.selectedOptions || [])].map((o) => Number(o.value)).filter(Boolean);
  if (action === "submit" && picked.length) body.handlers = picked;
  const subcategory = $("order-subcategory-pick")?.value;
  if (subcategory && (action === "save" || action === "submit")) body.subcategory = subcategory;
  try {
    order = await api(`/api/orders/${order.id}/${action}`, { method: "POST", body });
    dropDraft(); // saved, or gone with the action: nothing left to keep
    toast(t(action === "reject" ? "order.done_reject" : "order.done", { status: order.status }), "ok");
    // 暂存 keeps the step's 处理意见 in its form; the generic box's words went with the action
    if (action !== "save" || !field) opinionBox().value = "";
    await render();
  } catch (err) {
    markProblems($("order-fields"), err.details?.problems || {}, { values: err.details?.problem_values });
    const pick = $("order-subcategory-pick");
    if (pick) markField(pick, err.details?.problems?.subcategory);
    if (pick && err.details?.problems?.subcategory) pick.focus(); // the form's head: its first problem
    toast(err.message, "refused");
  }
}

// 工号 and name, as the 受理 line and the handlers name people
const who = (u) => (u ? `${u.name}${paren(u.staff_no)}` : t("order.by_system"));
// paren()'s two halves, for brackets around an element (a failure's words, its reason on hover)
const [OPEN, CLOSE] = paren("\n").split("\n");

// 转派 (the holder), 改派 and 督办 (team leaders, supervisors), 强制归档 (supervisors), 接手 (a
// colleague, when nobody active holds the step), 作废: only what order.manage says the server
// allows. Each action sits in its own group with the inputs it takes (转派 / 改派: 交给; 督办: 紧急程度;
// 作废: 重复于工单号), so which input goes with which button is plain; the groups wrap, never their insides.
function manageControls() {
  const manage = order.manage || [];
  if (!manage.length) return [];
  // what the server would refuse as things stand, and why (转派 where the step's rules name
  // nobody but its holder): shown disabled with the reason on hover, and no 交给 list for it
  const blocked = order.manage_blocked || {};
  // the reason in words: someone who may 改派 is pointed at their own button, not sent to a team leader
  const why = (a) => (blocked[a] === "no_other_operator" && manage.includes("reassign") ? "no_other_operator_reassign" : blocked[a]);
  let target = null;
  let urgency = null;
  let duplicate = null;
  // a disabled button says why beside it too, in a short muted note: a title alone is read by
  // nobody who cannot hover (touch) or focus it (a disabled button takes no keyboard focus)
  const button = (a) => el("button", { type: "button", class: a === "force_archive" || a === "void" ? "btn danger" : "btn", id: `order-${a}`,
    disabled: Boolean(blocked[a]), title: blocked[a] ? t(`order.manage.blocked.${why(a)}`) : null, "data-blocked": blocked[a] || null,
    "aria-describedby": blocked[a] ? `order-${a}-why` : null,
    onclick: () => once(orderButtons(), () => manageAct(a, target, urgency, duplicate)) }, t(`order.manage.${a}`));
  const note = (a) => (blocked[a] ? el("small", { class: "muted blocked-why", id: `order-${a}-why`, "data-blocked-why": blocked[a] }, t(`order.manage.blocked_note.${why(a)}`)) : null);
  // a group: its inputs, its buttons, then the notes of those disabled (a line of their own)
  const group = (name, label, inputs, actions) => el("span", { class: "manage-group", role: "group", "data-group": name, "aria-label": label },
    ...inputs, ...actions.map(button), ...actions.map(note));
  const groups = [];
  const handOver = manage.filter((a) => a === "forward" || a === "reassign");
  if (handOver.length) {
    const parts = [];
    if ((manage.includes("forward") && !blocked.forward) || manage.includes("reassign")) {
      target = el("select", { id: "order-manage-target", "aria-label": t("order.manage.target") }, el("option", { value: "" }, "—"));
      const search = el("input", { id: "order-manage-search", type: "search", size: 12, placeholder: t("order.manage.target_search"), "aria-label": t("order.manage.target_search") });
      let timer = null;
      const load = async () => {
        try {
          // 转派: whom the step's rules allow; 改派 (team leaders and up) is not held to them
          const purpose = manage.includes("reassign") ? "reassign" : "forward";
          const data = await api(`/api/orders/${order.id}/candidates`, { query: { q: search.value, for: purpose } });
          const held = new Set(order.handlers.map((h) => h.id));
          target.replaceChildren(el("option", { value: "" }, "—"),
            ...data.items.filter((p) => !held.has(p.id)).map((p) => el("option", { value: p.id }, `${p.name}${paren(p.staff_no)}`)));
        } catch (err) { toast(err.message, "refused"); }
      };
      search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
      load();
      parts.push(el("label", { for: "order-manage-target" }, t("order.manage.target")), search, target);
    }
    groups.push(group("hand_over", handOver.map((a) => t(`order.manage.${a}`)).join("、"), parts, handOver));
  }
  if (manage.includes("supervise")) {
    // least to most pressing; 高 unless the supervisor says otherwise
    urgency = el("select", { id: "order-manage-urgency" },
      ["normal", "high", "urgent"].map((u) => el("option", { value: u, selected: u === "high" }, t(`order.urgency.${u}`))));
    groups.push(group("supervise", t("order.manage.supervise"), [el("label", { for: "order-manage-urgency" }, t("order.manage.urgency")), urgency], ["supervise"]));
  }
  for (const a of ["take_over", "force_archive"]) if (manage.includes(a)) groups.push(group(a, t(`order.manage.${a}`), [], [a]));
  if (manage.includes("void")) {
    duplicate = el("input", { id: "order-duplicate-of", size: 16, maxlength: 40, placeholder: t("order.manage.duplicate_optional") });
    groups.push(group("void", t("order.manage.void"), [el("label", { for: "order-duplicate-of" }, t("order.manage.duplicate_of")), duplicate], ["void"]));
  }
  return [el("div", { class: "order-manage", id: "order-manage" }, ...groups)];
}

async function manageAct(action, target, urgency, duplicate) {
  const opinion = opinionBox().value.trim();
  const body = { opinion };
  if (action === "forward" || action === "reassign") {
    if (!target?.value) { toast(t("order.manage.pick_target"), "refused"); return; }
    body.to = Number(target.value);
  }
  if ((action === "supervise" || action === "force_archive") && !opinion) { toast(t("order.manage.opinion_needed"), "refused"); return; }
  if (action === "supervise") body.urgency = urgency.value;
  if (action === "reassign" && !opinion) { toast(t("order.manage.reassign_opinion_needed"), "refused"); opinionBox().focus(); return; }
  if (action === "force_archive" && !window.confirm(t("order.manage.confirm_archive", { number: order.number }))) return;
  if (action === "void") {
    if (!opinion) { toast(t("order.manage.void_opinion_needed"), "refused"); return; }
    if (duplicate?.value.trim()) body.duplicate_of = duplicate.value.trim();
    if (!window.confirm(t("order.manage.confirm_void", { number: order.number }))) return;
  }
  try {
    order = await api(`/api/orders/${order.id}/${action}`, { method: "POST", body });
    toast(t("order.manage.done", { action: t(`order.manage.${action}`) }), "ok");
    opinionBox().value = "";
    opinionTaken();
    await render();
  } catch (err) { toast(err.message, "refused"); }
}

// 延期: the step's handler asks for a later deadline (a dialog: the new time and why); the
// request waiting is shown, with 批准延期 / 不批准 for its approvers (the opinion box says why)
function renderExtension() {
  const box = $("order-extension");
  const x = order.extension;
  if (!x || (!x.may_request && !x.pending)) { box.replaceChildren(); return; }
  const parts = [];
  if (x.pending) {
    const p = x.pending;
    parts.push(el("p", { id: "extension-pending" }, t("extension.pending", {
      user: who(p.user), due: fmtTime(p.due_at), was: fmtTime(p.was) }), " ", el("span", { class: "muted" }, p.reason)));
    if (x.may_decide) {
      parts.push(el("button", { type: "button", class: "btn primary", id: "extension-approve", onclick: () => once(orderButtons(), () => decideExtension("approve")) }, t("extension.approve")),
        " ", el("button", { type: "button", class: "btn danger", id: "extension-refuse", onclick: () => once(orderButtons(), () => decideExtension("refuse")) }, t("extension.refuse")));
    }
  }
  if (x.may_request) parts.push(el("button", { type: "button", class: "btn", id: "extension-request", onclick: askExtension }, t("extension.request")));
  box.replaceChildren(...parts);
}

function askExtension() {
  const due = el("input", { type: "datetime-local", id: "extension-due", required: true });
  const reason = el("textarea", { id: "extension-reason", rows: 3, required: true, maxlength: 2000, class: "wide" });
  const form = el("form", { method: "dialog", class: "form-grid" },
    el("h3", {}, t("extension.title")),
    el("p", { class: "muted" }, t("extension.current", { due: fmtTime(order.due_at) })),
    el("label", { for: "extension-due", class: "req" }, t("extension.due")), due,
    el("label", { for: "extension-reason", class: "req" }, t("extension.reason")), reason,
    el("span"), el("div", {},
      el("button", { type: "submit", class: "btn primary", id: "extension-send" }, t("extension.send")), " ",
      el("button", { type: "button", class: "btn", id: "extension-cancel", onclick: () => dialog.close() }, t("extension.cancel"))));
  const dialog = el("dialog", { id: "extension-dialog" }, form);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!due.value || !reason.value.trim()) { toast(t("extension.fill"), "refused"); return; }
    once(form, async () => {
      try {
        order = await api(`/api/orders/${order.id}/extension`, { method: "POST", body: { due_at: due.value, reason: reason.value } });
        toast(t("extension.sent"), "ok");
        dialog.close();
        await render();
      } catch (err) { toast(err.message, "refused"); }
    });
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

async function decideExtension(decision) {
  const opinion = opinionBox().value.trim();
  if (decision === "refuse" && !opinion) { toast(t("extension.refuse_why"), "refused"); return; }
  try {
    order = await api(`/api/orders/${order.id}/extension/${decision}`, { method: "POST", body: { opinion } });
    toast(t(`extension.done_${decision}`), "ok");
    opinionBox().value = "";
    opinionTaken();
    await render();
  } catch (err) { toast(err.message, "refused"); }
}

// 外委: the contractor this step was dispatched to, and the reply a handler records for it
function renderContractor() {
  const box = $("order-contractor");
  const d = order.contractor;
  if (!d) { box.replaceChildren(); return; }
  const c = d.contractor;
  const facts = el("dl", { class: "kv" },
    el("dt", {}, t("contractor.name")), el("dd", {}, `${c.name} ${c.contact_person || ""} ${c.phones.join("、")}`),
    el("dt", {}, t("contractor.dispatched")), el("dd", {}, `${fmtTime(d.dispatched_at)} ${d.dispatched_by || ""}`),
    d.state === "replied" ? [el("dt", {}, t("contractor.reply")), el("dd", { id: "contractor-reply-text" }, `${t(`contractor.result.${d.result}`)}${colon}${d.reply}${paren(`${d.replied_by || ""} ${fmtTime(d.replied_at)}`.trim())}`)] : []);
  const parts = [el("h3", {}, t("contractor.title")), facts];
  if (order.my_step) {
    const result = el("select", { id: "contractor-result" }, ["done", "partial", "failed"].map((r) => el("option", { value: r }, t(`contractor.result.${r}`))));
    const reply = el("textarea", { id: "contractor-reply", rows: 2, class: "wide", "aria-label": t("contractor.reply") });
    const send = el("button", { type: "button", class: "btn", id: "contractor-reply-save", onclick: () => once(send, async () => {
      try {
        order = await api(`/api/orders/${order.id}/contractor-reply`, { method: "POST", body: { reply: reply.value, result: result.value } });
        toast(t("contractor.reply_saved"), "ok");
        await render();
      } catch (err) { toast(err.message, "refused"); }
    }) }, t("contractor.record_reply"));
    parts.push(el("div", { class: "form-grid" }, el("label", { for: "contractor-result" }, t("contractor.result")), result,
      el("label", { for: "contractor-reply" }, t("contractor.reply")), reply, el("span"), send));
  }
  box.replaceChildren(...parts);
}

// 自由流转: this step lets its handler pick the next handler(s); none picked = the workflow's rules
function handlerPicker() {
  const list = el("select", { id: "order-next-handlers", multiple: true, size: 4, "aria-label": t("order.next_handlers") });
  const search = el("input", { id: "order-handler-search", type: "search", size: 14, placeholder: t("order.handler_search"), "aria-label": t("order.handler_search") });
  let timer = null;
  const load = async () => {
    try {
      const data = await api(`/api/orders/${order.id}/candidates`, { query: { q: search.value, for: "next" } });
      const chosen = new Set([...list.selectedOptions].map((o) => o.value));
      list.replaceChildren(...data.items.map((p) => el("option", { value: p.id, selected: chosen.has(String(p.id)) }, `${p.name}${paren(p.staff_no)}`)));
    } catch (err) { toast(err.message, "refused"); }
  };
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  load();
  return el("div", { class: "free-routing" }, el("label", { for: "order-next-handlers" }, t("order.next_handlers"), " "),
    search, list, el("small", { class: "muted" }, t("order.free_routing_hint")));
}

// what was done at a step as the step names it (接收确认's 批准 is 接收确认, its 退回 退单), the
// step after it unless that is the same words (接收确认, not 接收确认 接收确认)
function stepWords(e) {
  const verb = e.action_name || t(`order.verb.${e.action}`);
  const step = ["create", "submit", "approve", "reject"].includes(e.action) && e.node_name && e.node_name !== verb ? ` ${e.node_name}` : "";
  // the named exit it took (回复客户's 重新派工): why the order went where it did
  const exit = e.exit_name ? t("order.via_exit", { exit: e.exit_name }) : "";
  return `${verb}${step}${exit}`;
}

// the status an action changed the order to, worded as a status (状态：接收确认), on the action's line
const toStatus = (status) => el("b", { class: "to-status", "data-status": status }, t("order.status_now", { status }));

// a contact's kind on its timeline line; a call by its direction: the customer's 来电 or a 回呼（呼出）
function kindWords(e) {
  if (e.kind !== "call") return t(`kind.${e.kind}`);
  return t(e.direction === "outbound" ? "order.timeline.call_out" : "order.timeline.call_in");
}

function renderTimeline() {
  const list = $("order-timeline");
  // an action and the status change it caused are one line: the action's, when it is listed for
  // its opinion; else the change's, naming the action (every step alike, 接收确认 as 派工)
  const said = new Set(order.timeline.filter((e) => e.kind === "comment" && e.led_to).map((e) => JSON.stringify([e.id, e.led_to])));
  list.replaceChildren(...order.timeline.filter((e) => e.kind !== "status" || !said.has(JSON.stringify([e.comment_id, e.status]))).map((e) => {
    const time = el("time", { datetime: e.at }, fmtTime(e.at));
    // every step names who took it (工号 too: two handlers may share a name); a timer's is the system's
    if (e.kind === "status") {
      if (e.action) return el("li", { "data-kind": "status", "data-action": e.action }, time, `${stepWords(e)} · ${who(e.user)} `, toStatus(e.status));
      const by = e.user || e.system ? ` · ${who(e.user)}` : "";
      return el("li", { "data-kind": "status" }, time, toStatus(e.status), el("span", { class: "by" }, by));
    }
    if (e.kind === "comment" && e.action === "reject") {
      // 退单 / 退回: who sent it back, from which step, to which (受理), why; the status it took
      // on the same line, never read as a second act of theirs (深圳抢修… 已受理)
      const verb = e.action_name || t("order.verb.reject");
      const words = e.back_to ? t("order.returned_to", { who: who(e.user), step: e.node_name, verb, to: e.back_to })
        : t("order.returned", { who: who(e.user), step: e.node_name, verb });
      return el("li", { "data-kind": "comment", "data-action": e.action }, time, words,
        e.led_to ? [" ", toStatus(e.led_to)] : null, e.text ? el("div", { class: "return-reason" }, e.text) : null);
    }
    if (e.kind === "comment") {
      const to = e.to_users?.length ? ` → ${e.to_users.map(who).join("、")}` : "";
      const urgent = e.urgency ? tag(t(`order.urgency.${e.urgency}`)) : "";
      const repeats = e.duplicate_of ? ` · ${t("order.duplicate_of", { number: e.duplicate_of })}` : "";
      const later = e.due_at ? ` · ${t("extension.to", { due: fmtTime(e.due_at) })}` : "";
      return el("li", { "data-kind": "comment", "data-action": e.action }, time, `${stepWords(e)} · ${who(e.user)}${to}${urgent}${repeats}${later}`,
        e.led_to ? [" ", toStatus(e.led_to)] : null, e.text ? el("div", {}, e.text) : null);
    }
    if (e.internal) {
      // a reminder or overrun alert to staff (on screen, by SMS or email): who was told, how, and
      // on screen whether they read it; not a message the customer was sent
      const state = e.kind === "screen" ? paren(e.read_at ? t("order.alert_read", { at: fmtTime(e.read_at) }) : t("order.alert_unread"))
        : e.state ? paren(t(`sent.${e.state}`)) : "";
      const what = e.alert_kind ? ` ${t(`notice_kind.${e.alert_kind}`)} ·` : "";
      return el("li", { "data-kind": e.kind, "data-internal": "true", "data-alert-kind": e.alert_kind || "", class: "muted" }, time, el("b", {}, t("order.alert")),
        `${what} ${t(`kind.${e.kind}`)} → ${who(e.to_user)}${tag(t(`order.urgency.${e.urgency}`))}${state} ${e.subject || ""}`,
        // a 短信未送达 in the reader's language from the SMS it is about; else the words it was stored with
        e.about ? el("div", { class: "wrap", title: e.about.reason || null }, smsAlertText(e.about)) : e.content ? el("div", { class: "wrap" }, e.content) : null);
    }
    const media = e.media_url;
    // a file that cannot be had says why in its place (media.js)
    const player = media && ["call", "recording", "voicemail", "fax"].includes(e.kind)
      ? mediaElement(e.kind, media, { "data-interaction": e.interaction_id }) : null;
    const pages = e.kind === "fax" && e.pages ? ` ${t("fax.pages", { pages: e.pages })}` : "";
    // a failed SMS, email or fax in words the agent can act on; the gateway's own reason on hover (and in the API)
    const failed = e.state === "failed" && e.error ? [colon, el("span", { class: "error", title: e.error, "data-failure": e.failure || "" }, e.failure ? t(`delivery.failure.${e.failure}`) : e.error)] : [];
    const sent = e.direction === "outbound" && e.state
      ? (e.delivery ? [OPEN, deliveryWords(e.delivery), CLOSE] : [OPEN + t(`sent.${e.state}`) + pages, ...failed, CLOSE]) : [];
    // nothing to send again when its template could not be filled (failure "template")
    const again = RESEND[e.kind] && e.state === "failed" && !e.resent_as && e.failure !== "template" && may("mayFax")
      ? [" ", el("button", { type: "button", class: "btn", "data-resend": e.notification_id, onclick: (ev) => resend(e.kind, e.notification_id, ev.currentTarget) }, t("delivery.resend"))] : [];
    // a call says which way it went (来电, 回呼（呼出）) and, out, who placed it (· 潘红（1001）)
    const placedBy = e.placed_by ? el("span", { class: "by" }, ` · ${who(e.placed_by)}`) : "";
    return el("li", { "data-kind": e.kind, "data-direction": e.direction }, time, el("b", {}, kindWords(e)), placedBy, ...sent, ` ${e.number || ""} ${e.duration ? Math.round(e.duration) + "s" : ""} ${e.subject || ""}`,
      ...again, e.content ? el("div", { class: "wrap" }, e.content) : null, player);
  }));
}

// an SMS the gateway took, by its delivery report: 已提交, 已送达 (when), 发送失败：what the
// gateway's reason code means (无法送达…, as a fax's failure is worded), 已过期 (not delivered in
// time); the code itself and when on hover
function deliveryWords(d) {
  // in the row's own brackets (短信（已送达 13:02:43）): no second pair, the date only when not today
  const at = d.at ? fmtWhen(d.at) : "";
  const words = t(`delivery.sms.${d.state}`, { at, reason: smsReason(d.reason_kind, d.reason) });
  const bad = d.state === "failed" || d.state === "expired";
  const title = [d.reason, d.at ? fmtTime(d.at) : ""].filter(Boolean).join(" · ") || null;
  return el("span", { class: bad ? "error" : null, "data-delivery": d.state, "data-reason": d.reason || null, title }, words);
}

// 重发 of a failed SMS, email or fax (one server function behind these routes): the same text or
// document to the same address, a new row on the timeline beside the failed one (once: the button
// waits for the answer and the timeline drawn again, and the server refuses a second 重发 of the
// same row). Offered to who may send from the order: the three channels have one rule (mayFax).
const RESEND = { fax: "faxes", sms: "sms", email: "emails" };

function resend(kind, id, button) {
  return once(button, async () => {
    try {
      const row = await api(`/api/${RESEND[kind]}/${id}/resend`, { method: "POST", body: {} });
      toast(kind === "fax" ? t("fax.queued", { to: row.recipient, pages: row.pages }) : t("delivery.resent", { to: row.recipient }), "ok");
    } catch (err) {
      toast(err.message, "refused");
    }
    await load();
  });
}

// 传真: written text, one of the category's fax templates, or an uploaded PDF / TIFF, to a fax
// number: the server offers one that takes a fax (the customer's fax, a landline), never the
// caller's mobile; none, and 收件人 starts empty. Built once per order, so a half-written text survives a reload;
// hidden for roles that may not send (the choices answer 403).
async function renderFax() {
  const box = $("order-fax");
  if (!may("mayFax") || box.dataset.order === String(order.id)) return;
  box.dataset.order = order.id;
  const url = `/api/orders/${order.id}/fax`;
  let choices;
  try { choices = await api(url); } catch { box.replaceChildren(); return; }
  const to = el("input", { id: "fax-to", size: 16, required: true, value: choices.to, "aria-label": t("fax.to"), placeholder: t("fax.to") });
  const mode = el("select", { id: "fax-mode", "aria-label": t("fax.content") },
    el("option", { value: "text" }, t("fax.mode_text")),
    choices.templates.length ? el("option", { value: "template" }, t("fax.mode_template")) : null,
    el("option", { value: "file" }, t("fax.mode_file")));
  const full = "display: block; width: 100%; box-sizing: border-box; margin-top: 4px";
  const subject = el("input", { id: "fax-subject", style: full, placeholder: t("fax.subject"), "aria-label": t("fax.subject") });
  const text = el("textarea", { id: "fax-text", rows: 4, style: full, placeholder: t("fax.text"), "aria-label": t("fax.text") });
  const template = el("select", { id: "fax-template", style: full, "aria-label": t("fax.mode_template") },
    // by its 模板名称, what the agent knows it by; the subject this order's fax would carry on hover.
    // A template that cannot be filled (x.error) is listed, marked: sending it says why
    choices.templates.map((x) => el("option", { value: x.id, title: x.subject, "data-error": x.error },
      x.error ? `${x.name} ${t("fax.template_error")}` : x.name)));
  const file = el("input", { id: "fax-file", type: "file", style: full, accept: ".pdf,.tif,.tiff,application/pdf,image/tiff", "aria-label": t("fax.mode_file") });
  const show = () => {
    subject.hidden = text.hidden = mode.value !== "text";
    template.hidden = mode.value !== "template";
    file.hidden = mode.value !== "file";
  };
  mode.addEventListener("change", show);
  show();
  const form = el("form", { id: "fax-form" }, el("h3", {}, t("fax.title")),
    el("div", {}, to, " ", mode), subject, text, template, file,
    el("div", { style: "margin-top: 4px" }, el("button", { class: "btn", type: "submit", id: "fax-send" }, t("fax.send"))));
  // the fields the server's problems name (problems.<field>)
  const inputs = { to, subject, text, template_id: template, file };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let body;
    if (mode.value === "file") {
      // no file picked: sent all the same, so the server names it with the number's problem
      body = new FormData();
      body.append("to", to.value);
      if (file.files[0]) body.append("file", file.files[0]);
    } else if (mode.value === "template") {
      body = { to: to.value, template_id: Number(template.value) };
    } else {
      body = { to: to.value, subject: subject.value, text: text.value };
    }
    await once(form, async () => {
      try {
        const row = await api(url, { method: "POST", body });
        toast(t("fax.queued", { to: row.recipient, pages: row.pages }), "ok");
        text.value = "";
        file.value = "";
        markSendProblems(inputs);
        await load();  // the timeline shows it, pending
      } catch (err) {
        // every problem at once, each beside its input (发短信's way); what was typed or picked stays
        markSendProblems(inputs, err);
        toast(err.message, "refused");
      }
    });
  });
  box.replaceChildren(form);
}

// 满意度回访: the dimensions of this site × category; shown at the visit-back step and after closing.
// One visit-back per order: at the step the panel is the step's form (its 回访满意度 is the
// survey's, never typed beside it; its 回访意见 is the panel's, shown in the form as typed) and,
// for the step's handler, 提交回访 completes the step.
async function renderSurvey() {
  const box = $("order-survey");
  if (order.node.id !== "visit" && order.is_open) { box.replaceChildren(); return; }
  let survey;
  try { survey = await api(`/api/orders/${order.id}/survey`); } catch { return; }
  if (!survey.dimensions.length) { box.replaceChildren(); return; }
  const stepField = survey.step_field ? $(`order-${survey.step_field}`) : null;
  if (stepField) {  // filled from the survey by the server: not a second satisfaction input
    stepField.disabled = true;
    stepField.title = t("survey.step_field");
  }
  // the step's 回访意见: the survey's remark, one text on the order, the survey and its complaint.
  // Recorded with one, it shows it; recorded without, the step's handler may still write it.
  const remarkField = survey.remark_field ? $(`order-${survey.remark_field}`) : null;
  const recorded = survey.results[0];
  const readOnlyRemark = (text) => {
    remarkField.disabled = true;
    remarkField.title = t("survey.remark_field");
    if (text !== undefined) remarkField.value = text;
  };
  if (remarkField && recorded?.remark) readOnlyRemark(recorded.remark);
  const done = survey.results.map((r) => el("li", { "data-survey": r.satisfied ? "satisfied" : "dissatisfied" },
    `${fmtTime(r.at)} ${Object.entries(r.answers).map(([k, v]) => `${k}${colon}${v}`).join(" · ")} ${r.remark || ""}`,
    r.follow_up ? [" → ", el("a", { href: `/orders/${encodeURIComponent(r.follow_up)}` }, r.follow_up)] : null));
  // one visit-back per order: once recorded it is shown, not asked again (the server refuses a second)
  // how the overall 满意 / 不满意 is decided (by 综合评价, else every dimension), said where it is given and read
  const rule = el("p", { class: "muted", id: "survey-rule" }, t(`survey.rule.${survey.overall_rule}`));
  if (survey.results.length || !may("mayVisitBack")) {
    box.replaceChildren(...(survey.results.length ? [el("h3", {}, t("survey.title")), rule, el("ul", { id: "survey-results" }, done)] : []));
    return;
  }
  // the step's handler: the survey completes the step; the step's own 提交 would be refused without it
  const completes = Boolean(survey.step_field && order.my_step);
  if (completes) $("order-submit")?.remove();
  // a 回访意见 saved on the step earlier (暂存) is where the panel's remark starts; what is typed
  // here shows in the form's field as it is typed
  const remark = el("input", { id: "survey-remark", name: "remark", class: "wide", maxlength: "1000", value: remarkField?.value || "" });
  if (remarkField) {
    readOnlyRemark();
    remark.addEventListener("input", () => { remarkField.value = remark.value; });
  }
  const form = el("form", { id: "survey-form", class: "form-grid" },
    survey.dimensions.flatMap((d) => [
      el("label", { for: `survey-${d.name}`, class: "req" }, d.name),
      el("select", { id: `survey-${d.name}`, name: d.name, required: true }, el("option", { value: "" }, "—"),
        d.options.map((o) => el("option", { value: o.label }, o.label))),
    ]),
    el("label", { for: "survey-remark" }, t("survey.remark")), remark,
    el("span"), el("button", { type: "submit", class: "btn primary", id: "survey-submit" }, t(completes ? "survey.submit_step" : "survey.submit")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const answers = {};
    for (const d of survey.dimensions) answers[d.name] = form.elements[d.name].value;
    const body = { answers, remark: form.elements.remark.value };
    if (completes) Object.assign(body, { form: readFields($("order-fields")), opinion: stepOpinion() ? "" : opinionBox().value });
    await once(form, async () => {
      try {
        const saved = await api(`/api/orders/${order.id}/survey`, { method: "POST", body });
        toast(saved.completed ? t("order.done", { status: saved.status }) : t("survey.saved"), "ok");
        if (saved.completed) {
          opinionBox().value = "";
          dropDraft(); // the step is done with what was typed
        }
        await load();  // a dissatisfied answer linked a complaint: the facts show it
      } catch (err) { toast(err.message, "refused"); }
    });
  });
  box.replaceChildren(el("h3", {}, t("survey.title")), rule, el("ul", { id: "survey-results" }, done), form);
}
