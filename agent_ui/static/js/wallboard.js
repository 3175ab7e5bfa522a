// The supervisors' wallboard: every seat (state, time in it, caller, queue) and every queue
// (waiting, longest wait, ready, and 待回拨: the callers who pressed 9 waiting to be called back,
// the server's ``today.callbacks``), live from the socket, with its figures for 今日 (呼入, 接通, 放弃,
// 服务水平, 放弃率, ASA, AHT, and the seats' occupancy: the server's ``today``, as the 今天 reports
// count them, sent with the board and again as ``board_today``), a total row below; listen / whisper / barge ring the supervisor's own seat, which then joins the call.
// Each seat on a call shows how long the call has lasted, from its answer: a hold or a transfer
// restarts the seat's state timer, not the call's, so a long call stands out.
// A seat someone listens to says so, and by whom (the agent's own screen never does); the
// supervisor's own session there switches mode (ChanSpy's DTMF 4 / 5 / 6, sent by the bridge)
// or ends, which hangs up only the supervisor's spy channel.
// A team leader (their own team's seats) or a supervisor (every seat) also sets a seat 未就绪 with the
// reason picked above the map (置忙), signs it out (强制下班: a seat on a call keeps its caller and
// signs out when the call ends) or ends its 话后处理 (结束话后处理, even with a form unsaved in a tab);
// the agent's state bar says who did it. No 置闲: only the agent at the seat makes it ready.
// 加入队列 / 移出队列 (调整技能队列) put the seat in the queue picked above the map, or take it out
// (never its last one: that is 强制下班), at once.
import { clock, el, once } from "./api.js";
import { colon, queueName, reasonText, t } from "./i18n.js";
import { serverLine } from "./statebar.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
const agents = new Map(); // agent_id → {agent_id, name, state, reason, since, call_id, skills}
const queues = new Map(); // queue → counters, its members, and asOf: the server time they are from
const calls = new Map(); // call_id → {caller, queue, agent_id, answered_at}
const spies = new Map(); // spy_id → {supervisor, supervisor_name, agent_id, call_id, mode, started_at}
const MODES = ["listen", "whisper", "barge"];
let me = ""; // this supervisor's 工号 (the state bar has it from the snapshot)
let staffed = new Set(); // the queues users have skills for: shown even while empty
let own = new Set(); // the hotline's queues (its routing's and the staffed): the 合计 is theirs
const SL_TARGET = 0.8; // below 80 % the level shows in red
let skew = 0; // server time − local time, seconds
// the figures for 今日 (board_today.py): {period, start, tz, queues: {queue: row}, total, occupancy};
// null when the server could not work them out (the cells say —)
let today = null;
const forced = new Map(); // agent_id → a forced change waiting for the seat's call to end (board_forced)
// the states a forced change waits through (the call and its 话后处理): the server's list, sent
// with every board (supervision.FORCED_WAITS_IN); until the first board nothing is forced here
let forcedWaitsIn = new Set();
let forceScope = new Set(); // the 工号 whose seats this viewer may force; "*": every seat
// 监听 / 耳语 / 强插 are the supervisors' (calls.supervise): a team leader's board has none
let maySpy = false;
let expected = []; // the agents this viewer leads ({agent_id, name}): those not signed in are 未签入
const FORCE = [["force_pause", "seat_force.pause", "btn"], ["force_acw_end", "seat_force.end_acw", "btn"], ["force_sign_out", "seat_force.sign_out", "btn warn"],
  // 调整技能队列: the queue picked above the seat map (#wb-queue-pick), live in Asterisk
  ["seat_queue_add", "seat_queue.add", "btn"], ["seat_queue_remove", "seat_queue.remove", "btn"]];

const now = () => Date.now() / 1000 + skew;

export function start({ socket, bar }) {
  const scope = $("wallboard")?.dataset.forceScope || "";
  forceScope = new Set(scope === "*" ? ["*"] : scope.split(/\s+/).filter(Boolean));
  maySpy = $("wallboard")?.dataset.maySpy === "true";
  try { expected = JSON.parse($("wallboard")?.dataset.expected || "[]"); } catch { expected = []; }
  const subscribe = () => socket.command("wallboard").catch((err) => toast(err.message, "refused"));
  socket.addEventListener("snapshot", subscribe); // every (re)connect starts from the whole present
  if (socket.connected) subscribe();
  socket.addEventListener("board", (e) => board(e.detail));
  // each Asterisk server's health: with the board, then with every change of any server's link
  socket.addEventListener("ami", (e) => { if (Array.isArray(e.detail.servers)) renderServers(e.detail.servers); });
  socket.addEventListener("agent_state", (e) => agentState(e.detail.event));
  socket.addEventListener("board_agent", (e) => agentNamed(e.detail.event));
  socket.addEventListener("board_call", (e) => callEvent(e.detail.event));
  socket.addEventListener("queue", (e) => queueEvent(e.detail.event));
  socket.addEventListener("board_member", (e) => memberEvent(e.detail.event));
  socket.addEventListener("board_spy", (e) => spyEvent(e.detail.event));
  socket.addEventListener("board_today", (e) => { today = e.detail.today || null; renderQueues(); });
  socket.addEventListener("board_forced", (e) => { forced.set(e.detail.event.agent_id, e.detail.event); renderSeats(); });
  $("wb-seats").addEventListener("click", (e) => {
    me = bar?.me || me;
    const stop = e.target.closest("[data-spy-stop]");
    if (stop) return command(stop, () => spyCommand(socket, "spy_stop", { spy: stop.dataset.spyStop }, t("wb.spy_stopped", { agent: stop.dataset.agent })));
    const force = e.target.closest("[data-force]");
    if (force) return command(force, () => forceSeat(socket, force));
    // aria-disabled rather than disabled keeps a button focusable, so its click is refused here
    const off = e.target.closest("[aria-disabled=true]");
    if (off) return off.dataset.spy ? toast(t("error.agent_not_on_call"), "refused") : undefined;
    const change = e.target.closest("[data-spy-mode]");
    if (change) return command(change, () => spyCommand(socket, "spy_mode", { spy: change.dataset.spyId, mode: change.dataset.spyMode }));
    const button = e.target.closest("[data-spy]");
    if (button) command(button, () => spy(socket, button.dataset.agent, button.dataset.spy));
  });
  // only the clocks tick: re-drawing the tiles every second would take the keyboard focus away
  setInterval(() => { tickClocks(); renderQueues(); }, 1000);
}

function board(msg) {
  skew = (msg.server_time || Date.now() / 1000) - Date.now() / 1000;
  me = window.hotline?.bar?.me || me;
  agents.clear(); queues.clear(); calls.clear(); spies.clear(); forced.clear();
  staffed = new Set(msg.staffed_queues || []);
  own = new Set([...(msg.own_queues || []), ...staffed]);
  today = msg.today || null;
  forcedWaitsIn = new Set(msg.forced_waits_in || []);
  queuePicker();
  for (const a of msg.agents || []) agents.set(a.agent_id, a);
  for (const c of msg.calls || []) calls.set(c.call_id, c);
  for (const s of msg.spies || []) spies.set(s.spy_id, s);
  // a forced change made before this board was opened (or reconnected) and still waiting
  for (const f of msg.forced || []) forced.set(f.agent_id, f);
  for (const q of msg.queues || []) queues.set(q.queue, { ...q, members: q.members || [], asOf: now() });
  for (const q of queues.values()) q.agents_ready = readyIn(q);
  renderServers(msg.servers || []);
  renderSeats(); renderQueues();
}

// The servers strip: 电话服务器 gz 正常 · sz 配置错误 (misconfigured: systemname …), hidden while
// there is no list (one bridge in this process: the header's indicator says it)
function renderServers(servers) {
  const strip = $("wb-servers");
  if (!strip) return;
  strip.hidden = !servers.length;
  strip.replaceChildren(...(servers.length ? [el("b", {}, t("wb.servers"))] : []), ...servers.map((s) => el("span",
    { class: "server", "data-server": s.server, "data-state": s.state, title: serverLine(s) },
    el("b", {}, s.server || "Asterisk"), " ", el("span", { class: "server-state" }, t(`server.${s.state}`)),
    s.state !== "up" && s.reason ? el("small", { class: "server-reason" }, s.reason) : null)));
}

// A queue's agents ready: its members not paused whose agent is ready, as the server counts them.
const readyIn = (q) => q.members.filter((m) => !m.paused && agents.get(m.agent_id)?.state === "ready").length;

function queueEvent(ev) {
  const q = queues.get(ev.queue);
  // each queue's longest wait grows from when its own counters were taken, whatever other queues do
  queues.set(ev.queue, { ...q, ...ev, members: q?.members || [], asOf: ev.ts || now() });
  renderQueues();
}

// a seat joined or left a queue after the board was sent: the ready count follows its members
function memberEvent(ev) {
  const q = queues.get(ev.queue) || { queue: ev.queue, waiting: 0, longest_wait: 0, asOf: now() };
  const members = (q.members || []).filter((m) => m.interface !== ev.interface);
  if (!ev.removed) {
    members.push({ interface: ev.interface, agent_id: ev.agent_id, penalty: ev.penalty, paused: agents.get(ev.agent_id)?.state !== "ready" });
  }
  const next = { ...q, members, agents_logged_in: members.length };
  queues.set(ev.queue, { ...next, agents_ready: readyIn(next) });
  renderQueues();
}

function agentState(ev) {
  // the forced change waited for the call: once the seat is off it (or out), it has happened
  if (forced.has(ev.agent_id) && !forcedWaitsIn.has(ev.state)) forced.delete(ev.agent_id);
  const a = agents.get(ev.agent_id) || { agent_id: ev.agent_id, skills: {} };
  agents.set(ev.agent_id, { ...a, state: ev.state, reason: ev.reason || "", since: ev.at || now(), call_id: ev.call_id || "" });
  // Ready means unpaused in every queue (a pause makes the seat 未就绪): the seat's memberships
  // follow its state, and every queue it serves counts its ready agents again.
  let changed = false;
  for (const q of queues.values()) {
    if (!q.members.some((m) => m.agent_id === ev.agent_id)) continue;
    q.members = q.members.map((m) => (m.agent_id === ev.agent_id ? { ...m, paused: ev.state !== "ready" } : m));
    q.agents_ready = readyIn(q);
    changed = true;
  }
  renderSeats();
  if (changed) renderQueues();
}

// a seat that signed in after the board came: the gateway names it, as the board names the others
function agentNamed(ev) {
  const a = agents.get(ev.agent_id) || { agent_id: ev.agent_id, skills: {} };
  agents.set(ev.agent_id, { ...a, name: ev.name });
  renderSeats();
}

function callEvent(ev) {
  if (ev.event === "CallEnded") calls.delete(ev.call_id);
  else {
    const known = calls.get(ev.call_id) || {};
    // the call lasts from its first answer: a transfer target's or a colleague's answer is later
    calls.set(ev.call_id, { ...known, ...ev, answered_at: known.answered_at || ev.answered_at || 0 });
  }
  // every call's start comes (which way it goes): a tile shows it only once the call rings a seat
  if (ev.event === "CallStarted" && ![...agents.values()].some((a) => a.call_id === ev.call_id)) return;
  renderSeats();
}

function spyEvent(ev) {
  if (ev.ended) spies.delete(ev.spy_id);
  else spies.set(ev.spy_id, ev);
  renderSeats();
}

// Who listens to the seat: a line each, and for this supervisor's own session its mode
// switch and 结束监听 in place of the buttons that would start a second one.
function spyLines(a) {
  const on = [...spies.values()].filter((s) => s.agent_id === a.agent_id);
  const mine = on.find((s) => s.supervisor === me);
  const lines = on.filter((s) => s !== mine).map((s) => el("div", { class: "spied", "data-spied": s.mode, "data-supervisor": s.supervisor },
    t(`wb.spied.${s.mode}`, { who: s.supervisor_name ? `${s.supervisor_name} ${s.supervisor}` : s.supervisor })));
  if (mine) {
    lines.push(el("div", { class: "spied mine", "data-spied": mine.mode, "data-supervisor": mine.supervisor }, t(`wb.my_spy.${mine.mode}`)));
  }
  return { lines, mine };
}

// Unavailable buttons are aria-disabled, not disabled: Chromium drops the focus of a button that
// becomes disabled to <body>, so a keyboard supervisor on a seat would lose their place each time
// its call ends or their own mode switch lands (QA R2-F3).
function spyButtons(a, onCall, mine) {
  if (!maySpy) return el("div", { class: "spy", hidden: true });
  if (!mine) {
    return el("div", { class: "spy" }, MODES.map((mode) => el("button", {
      type: "button", class: "btn", "data-spy": mode, "data-agent": a.agent_id,
      "aria-disabled": onCall ? null : "true", title: onCall ? null : t("error.agent_not_on_call"),
    }, t(`cmd.${mode}`))));
  }
  return el("div", { class: "spy" }, ...MODES.map((mode) => el("button", {
    type: "button", class: "btn", "data-spy-mode": mode, "data-spy-id": mine.spy_id, "aria-pressed": String(mode === mine.mode),
    "aria-disabled": mode === mine.mode ? "true" : null, title: t("wb.spy_switch", { mode: t(`cmd.${mode}`) }),
  }, t(`cmd.${mode}`))), el("button", {
    type: "button", class: "btn danger", "data-spy-stop": mine.spy_id, "data-agent": a.agent_id,
  }, t("cmd.spy_stop")));
}

function callOf(a) {
  if (a.call_id && calls.has(a.call_id)) return calls.get(a.call_id);
  for (const c of calls.values()) if (c.agent_id === a.agent_id) return c;
  return null;
}

// Each seat keeps its tile, updated in place: a supervisor tabbing to a seat's 监听 (or a screen
// reader on it) keeps the focus there while the floor changes around it (QA F8).
function renderSeats() {
  const list = [...agents.values()].filter((a) => a.state && a.state !== "logged_out")
    .sort((x, y) => String(x.agent_id).localeCompare(String(y.agent_id)));
  $("wb-empty").hidden = list.length > 0;
  const counts = {};
  for (const a of list) counts[a.state] = (counts[a.state] || 0) + 1;
  // 未签入: the expected agents with no seat signed in, apart, so a supervisor sees who is missing
  const absent = expected.filter((x) => !list.some((a) => String(a.agent_id) === String(x.agent_id)));
  const parts = Object.entries(counts).map(([s, n]) => `${t(`state.${s}`)} ${n}`);
  if (absent.length) parts.push(`${t("wb.absent")} ${absent.length}`);
  $("wb-summary").textContent = parts.join(" · ");
  $("wb-absent").hidden = absent.length === 0;
  $("wb-absent-count").textContent = String(absent.length);
  $("wb-absent-list").replaceChildren(...absent.map((x) => el("li", { "data-agent": x.agent_id },
    x.name ? `${x.name} ${x.agent_id}` : x.agent_id)));
  const box = $("wb-seats");
  const shown = new Set(list.map((a) => String(a.agent_id)));
  for (const tile of [...box.children]) if (!shown.has(tile.dataset.agent)) tile.remove();
  const kept = new Map([...box.children].map((tile) => [tile.dataset.agent, tile]));
  let next = box.firstElementChild;
  for (const a of list) {
    const tile = kept.get(String(a.agent_id));
    if (!tile) { box.insertBefore(seatTile(a), next); continue; }
    patch(tile, seatTile(a));
    // moving a node drops the focus in it: only a tile out of place moves (none, once sorted)
    if (tile !== next) box.insertBefore(tile, next);
    next = tile.nextElementSibling;
  }
}

const who = (a) => (a.name ? `${a.name} ${a.agent_id}` : String(a.agent_id));

// A tile has the same slots whatever the seat does (hidden when empty), so that updating it in
// place keeps each button the same element.
function seatTile(a) {
  const call = ["ringing", "talking", "on_hold"].includes(a.state) ? callOf(a) : null;
  const onCall = a.state === "talking" || a.state === "on_hold";
  const answered = onCall && call?.answered_at ? call.answered_at : 0;
  const spied = spyLines(a);
  return el("div", { class: "seat", role: "listitem", "data-agent": a.agent_id, "data-state": a.state },
    // the name is cut with … on a narrow tile (console.css): its title holds it whole
    el("div", { class: "top" }, el("b", { title: who(a) }, who(a)),
      el("span", { class: "state", "data-state": a.state }, t(`state.${a.state}`)),
      el("span", { class: "timer", "data-since": a.since || now() }, clock(now() - (a.since || now())))),
    el("small", { class: "muted", hidden: !a.reason }, a.reason ? reasonText(a.reason) : ""),
    el("div", { class: "call", hidden: !call, "data-direction": call?.direction || null }, call ? callText(call) : ""),
    el("div", { class: "call-duration", hidden: !answered, title: t("wb.call_duration_hint") }, answered ? [`${t("call.duration")} `,
      el("span", { class: "call-timer", "data-since": answered }, clock(now() - answered))] : null),
    el("div", { class: "spied-lines", hidden: !spied.lines.length }, ...spied.lines),
    spyButtons(a, onCall, spied.mine),
    el("div", { class: "forced", hidden: !forced.has(a.agent_id) }, forcedText(forced.get(a.agent_id))),
    forceButtons(a));
}

// 质量监控员 X：通话结束后签出 — a forced change this seat's call holds back, as every board hears it
function forcedText(ev) {
  if (!ev) return "";
  const by = [ev.by_role ? t(`role.${ev.by_role}`) : "", ev.by_name || ev.by].filter(Boolean).join(" ");
  return t(`seat_force.pending.${ev.action === "sign_out" ? "sign_out" : "pause"}`, { by, reason: reasonText(ev.reason || "") });
}

const mayForce = (a) => String(a.agent_id) !== String(me) && (forceScope.has("*") || forceScope.has(String(a.agent_id)));

// the hotline's queues in the 调整技能队列 picker, the one picked kept across boards
function queuePicker() {
  const pick = $("wb-queue-pick");
  if (!pick) return;
  const kept = pick.value;
  pick.replaceChildren(...[...staffed].sort().map((q) => el("option", { value: q }, queueName(q))));
  if (staffed.has(kept)) pick.value = kept;
}

// 置忙 / 结束话后处理 / 强制下班, on the seats this viewer may force (hidden on the others, so a tile
// keeps its shape); 结束话后处理 only in 话后处理, aria-disabled otherwise to keep the focus
function forceButtons(a) {
  const acw = a.state === "after_call_work";
  return el("div", { class: "force", hidden: !mayForce(a) }, FORCE.map(([cmd, label, cls]) => {
    const off = cmd === "force_acw_end" && !acw;
    return el("button", {
      type: "button", class: cls, "data-force": cmd, "data-agent": a.agent_id, "data-name": a.name || "",
      "aria-disabled": off ? "true" : null,
      title: off ? t("seat_force.not_in_acw_hint") : t(`${label}_hint`),
    }, t(label));
  }));
}

// an outbound call (回呼, a campaign's) names the customer dialled; any other, who is calling
function callText(call) {
  const outbound = call.direction === "outbound";
  const who = (outbound ? call.dnis || call.caller : call.caller) || "—";
  return `${t(outbound ? "wb.outbound" : "wb.caller")}${colon}${who}${call.queue ? ` · ${queueName(call.queue)}` : ""}`;
}

// ``node`` made to look like ``next`` while staying the same element wherever the two agree in
// shape (same tags in the same places); where they do not, that part is replaced.
function patch(node, next) {
  if (node.nodeType !== next.nodeType || node.nodeName !== next.nodeName) { node.replaceWith(next); return; }
  if (node.nodeType !== Node.ELEMENT_NODE) {
    if (node.nodeValue !== next.nodeValue) node.nodeValue = next.nodeValue;
    return;
  }
  // the board draws no button disabled (aria-disabled, see spyButtons): a disabled one is a command
  // in flight (command()), and a seat's update while it waits must not make it clickable again
  for (const { name } of [...node.attributes]) if (!next.hasAttribute(name) && name !== "disabled") node.removeAttribute(name);
  for (const { name, value } of [...next.attributes]) if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  const olds = [...node.childNodes];
  const news = [...next.childNodes];
  news.forEach((child, i) => (i < olds.length ? patch(olds[i], child) : node.append(child)));
  for (const extra of olds.slice(news.length)) extra.remove();
}

function tickClocks() {
  for (const timer of document.querySelectorAll("#wb-seats [data-since]")) timer.textContent = clock(now() - Number(timer.dataset.since));
}

const percent = (v, digits = 1) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(digits)}%`);
const NONE_YET = { offered: 0, answered: 0, abandoned: 0 }; // a queue without a call today
const secs = (v) => (v === null || v === undefined ? "—" : t("unit.seconds", { n: Number(v).toFixed(1) })); // 17.0 秒

// a row's figures for 今日: 呼入, 接通, 放弃, 服务水平 (red below the target), 放弃率, ASA, AHT
function todayCells(f) {
  const level = f ? f.service_level : null;
  return [String(f?.offered ?? "—"), String(f?.answered ?? "—"), String(f?.abandoned ?? "—")].map((text) => el("td", {}, text))
    .concat(el("td", { class: level !== null && level !== undefined && level < SL_TARGET ? "sl-bad" : "" }, percent(level, 0)),
      el("td", {}, percent(f?.abandon_rate)), el("td", {}, secs(f?.asa)), el("td", {}, secs(f?.aht)));
}

// 今日（2026-11-27 00:00 起）: the period's start in the site's time zone
function periodText() {
  if (!today) return t("wb.period.today", { start: "—" });
  const start = new Intl.DateTimeFormat("sv-SE", { timeZone: today.tz || undefined, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(today.start * 1000));
  return t(`wb.period.${today.period || "today"}`, { start });
}

function renderQueues() {
  const body = document.querySelector("#wb-queues tbody");
  if (!body) return;
  const figures = today?.queues || {};
  // Asterisk may hold other queues (another line's, a test's): those show only while in use
  const callbacks = today?.callbacks || {}; // 待回拨 now, per queue (none: left out)
  const shown = [...queues.values()].filter((q) => staffed.has(q.queue) || q.waiting || q.agents_logged_in || figures[q.queue]?.offered || callbacks[q.queue]);
  for (const name of new Set([...Object.keys(figures), ...Object.keys(callbacks)])) {
    if (!queues.has(name) && (staffed.has(name) || figures[name]?.offered || callbacks[name])) shown.push({ queue: name, members: [] });
  }
  // the server could not say (no figures): — rather than a 0 nobody counted
  const waitingBack = (n) => el("td", { "data-callbacks": "" }, today ? String(n || 0) : "—");
  const longestOf = (q) => (q.waiting ? (q.longest_wait || 0) + Math.max(0, now() - (q.asOf || now())) : 0);
  const row = (q) => el("tr", { class: q.waiting ? "overdue" : "", "data-queue": q.queue },
    el("td", { title: q.queue }, queueName(q.queue)), el("td", {}, String(q.waiting || 0)), el("td", {}, clock(longestOf(q))),
    el("td", {}, String(q.agents_ready ?? 0)), ...todayCells(figures[q.queue] || (today ? NONE_YET : null)));
  shown.sort((x, y) => x.queue.localeCompare(y.queue));
  // the hotline's queues above the 合计; another queue on the same Asterisk (another line's, a
  // test's) only below it, as 其他队列: its calls are not the centre's and count in no total
  const hotline = shown.filter((q) => own.has(q.queue));
  const others = shown.filter((q) => !own.has(q.queue));
  body.replaceChildren(...hotline.map(row));
  // the total: every call once (a seat in two queues is one ready agent)
  const waiting = hotline.reduce((n, q) => n + (q.waiting || 0), 0);
  const longestAll = Math.max(0, ...hotline.map(longestOf));
  const ready = new Set(hotline.flatMap((q) => (q.members || []).filter((m) => !m.paused && agents.get(m.agent_id)?.state === "ready").map((m) => m.agent_id)));
  const foot = document.querySelector("#wb-queues tfoot");
  const otherBlock = others.length
    ? [el("tr", { class: "other-queues", "data-other-queues": "" }, el("th", { scope: "rowgroup", colspan: "11" }, t("wb.other_queues"))), ...others.map(row)]
    : [];
  foot?.replaceChildren(el("tr", { class: "total", "data-total": "" }, el("th", { scope: "row" }, t("wb.total")),
    el("td", {}, String(waiting)), el("td", {}, clock(longestAll)), el("td", {}, String(ready.size)), ...todayCells(today ? today.total : null)),
  ...otherBlock);
  // 待回拨 beside the queue table, a row per hotline queue (callbacks are the hotline's), and their total
  const back = $("wb-callbacks");
  if (back) {
    back.querySelector("tbody").replaceChildren(...hotline.map((q) => el("tr", { "data-queue": q.queue, class: callbacks[q.queue] ? "overdue" : "" },
      el("td", { title: q.queue }, queueName(q.queue)), waitingBack(callbacks[q.queue]))));
    back.querySelector("tfoot").replaceChildren(el("tr", { class: "total", "data-total": "" }, el("th", { scope: "row" }, t("wb.total")),
      waitingBack(today?.callbacks_total)));
  }
  const label = $("wb-period-label");
  if (label) label.textContent = periodText();
  const occupancy = $("wb-occupancy");
  if (occupancy) occupancy.textContent = percent(today?.occupancy);
}

// A tile's button sends its command once at a time (api.js once(), as the rest of the console): a
// double-click on 置忙 sent two, two toasts and two 强制置忙 audit rows, and the second 加入队列 was
// refused. The button is disabled from before its confirm until the answer; disabling it drops its
// focus to <body> (see spyButtons), so a keyboard supervisor gets it back after.
async function command(button, work) {
  const focused = document.activeElement === button;
  await once(button, work);
  if (focused && button.isConnected && document.activeElement === document.body) button.focus();
}

async function spy(socket, agent, mode) {
  try {
    await socket.command("spy", { agent, mode });
    toast(t("wb.spy_ringing", { mode: t(`cmd.${mode}`), agent }), "ok", 5000);
  } catch (err) { toast(err.message, "refused"); }
}

async function forceSeat(socket, button) {
  const cmd = button.dataset.force;
  const agent = button.dataset.agent;
  const who = button.dataset.name ? `${button.dataset.name} ${agent}` : agent;
  if (button.getAttribute("aria-disabled") === "true") return toast(t("seat_force.not_in_acw_hint"), "refused");
  if (cmd === "force_sign_out" && !window.confirm(t("seat_force.confirm_sign_out", { who }))) return;
  const args = { agent };
  if (cmd === "force_pause") args.reason = $("wb-force-reason")?.value || "";
  if (cmd.startsWith("seat_queue_")) {
    args.queue = $("wb-queue-pick")?.value || "";
    // the queue comes from the picker above the map, not from the tile: say which, before it goes
    if (cmd === "seat_queue_remove" && !window.confirm(t("seat_queue.confirm_remove", { who, queue: queueName(args.queue) }))) return;
    try {
      await socket.command(cmd, args);
      toast(t(`seat_queue.done.${cmd === "seat_queue_add" ? "add" : "remove"}`, { who, queue: queueName(args.queue) }), "ok", 5000);
    } catch (err) { toast(err.message, "refused"); }
    return;
  }
  try {
    const result = await socket.command(cmd, args);
    const action = { force_pause: "pause", force_sign_out: "sign_out", force_acw_end: "end_acw" }[cmd];
    const pending = result?.pending && action !== "end_acw" ? "_pending" : "";
    toast(t(`seat_force.done.${action}${pending}`, { who, reason: reasonText(result?.reason || args.reason || "") }), "ok", 5000);
  } catch (err) { toast(err.message, "refused"); }
}

async function spyCommand(socket, cmd, args, done) {
  try {
    await socket.command(cmd, args);
    if (done) toast(done, "ok", 4000);
  } catch (err) { toast(err.message, "refused"); }
}
