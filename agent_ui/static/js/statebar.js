// The top bar: agent state + time in it, pause/ready/下班, the call and how long it has lasted,
// the Asterisk indicator, the inbox banner.
import { api, clock } from "./api.js";
import { clearAllDrafts } from "./drafts.js";
import { paren, queueName, reasonText, t } from "./i18n.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);

// One Asterisk server's health in words: gz：配置错误 (misconfigured: systemname …)
export const serverLine = (s) => t("server.line", { server: s.server || "Asterisk", state: t(`server.${s.state}`) }) + (s.state !== "up" && s.reason ? paren(s.reason) : "");

export class StateBar {
  constructor(socket) {
    this.socket = socket;
    // until the first snapshot the seat's state is not known: 连接中…, with no time in it
    this.state = "connecting";
    this.since = Date.now() / 1000;
    this.clockSkew = 0; // server time − local time, seconds
    this.call = null;
    this.consulting = null; // the bridge's consult in progress: {call_id, target, caller_gone}
    this.pauseOnCall = false; // the site lets an agent ask for a break during a call (snapshot)
    this.acwSeconds = 0; // the after-call work's limit (snapshot); 0: none to count down to
    this.transferNoteLimit = 500; // the longest 转接备注 the bridge takes (snapshot)
    // the customer's words typed about the agent's call so far: the seat page's intake form
    // (seat.js) says them, the transfer dialog's 转接备注 starts from them
    this.customerWords = () => "";
    this.reason = ""; // the state's reason, as the bridge gave it
    this.agentCall = ""; // the call the agent's state names (in 话后处理: the one written up)
    // the call whose after-call work an intake form holds past its limit, in any tab of the agent's
    this.acwHeldCall = "";
    socket.addEventListener("snapshot", (e) => this.snapshot(e.detail));
    socket.addEventListener("agent_state", (e) => this.agentState(e.detail.event));
    socket.addEventListener("ami", (e) => this.ami(e.detail));
    socket.addEventListener("acw_hold", (e) => this.acwHold(e.detail.event));
    socket.addEventListener("seat_forced", (e) => this.seatForced(e.detail.event));
    socket.addEventListener("work", (e) => this.work(e.detail.work));
    socket.addEventListener("connection", (e) => this.connection(e.detail.connected));
    socket.addEventListener("call", (e) => this.callEvent(e.detail.event));
    socket.addEventListener("consult", (e) => this.consultEvent(e.detail.event));
    socket.addEventListener("conference", (e) => this.conferenceLeft(e.detail.event));
    socket.addEventListener("screen_pop", (e) => this.callEvent(e.detail.event));
    this.bind();
    this.setState("connecting", "");
    setInterval(() => this.tick(), 1000);
  }

  bind() {
    const run = (cmd, args) => this.run(cmd, args);
    $("logout-form")?.addEventListener("submit", (e) => { e.preventDefault(); this.signOut(); });
    $("btn-ready")?.addEventListener("click", () => run("ready"));
    $("btn-pause")?.addEventListener("click", () => run("pause", { reason: $("pause-reason").value }));
    $("btn-logout")?.addEventListener("click", () => run("logout"));
    $("btn-answer")?.addEventListener("click", () => run("answer"));
    $("btn-hangup")?.addEventListener("click", () => run("hangup"));
    $("btn-hold")?.addEventListener("click", () => run(this.state === "on_hold" ? "unhold" : "hold"));
    $("btn-wrapup")?.addEventListener("click", () => run("wrapup_done"));
    $("btn-transfer")?.addEventListener("click", () => this.askTransfer("transfer"));
    // attended transfer: consult (the caller waits), then complete or cancel; the bridge drives
    // it and says where it is ("consult" pushes, the snapshot's agent.consult after a reload)
    $("btn-consult")?.addEventListener("click", () => this.askTransfer("consult"));
    $("btn-complete-transfer")?.addEventListener("click", () => run("complete_transfer"));
    $("btn-cancel-transfer")?.addEventListener("click", () => run("cancel_transfer"));
    // 三方通话: the same dialog, for a colleague only (a 工号 typed, or picked from the list)
    $("btn-conference")?.addEventListener("click", () => this.askTransfer("conference"));
  }

  // 转接 / 咨询转接: the target, and what it is (工号 / 队列 / 电话号码). 自动识别, the default,
  // sends no kind and the server decides: an existing 工号 is an agent, a queue name a queue,
  // other digits a phone number; a number that is also a 工号 (an internal line) says 电话号码.
  // 三方通话 (cmd "conference"): a colleague's 工号 only, no kinds. Both list the colleagues
  // signed in with their state, 就绪 first: picking one fills in the 工号. 转接 alone has a
  // 转接备注 for whoever takes the caller next, started from the customer's words typed so far.
  askTransfer(cmd) {
    const dialog = this.transferDialog();
    const conference = cmd === "conference";
    dialog.dataset.cmd = cmd;
    dialog.querySelector("#xfer-title").textContent = t(`cmd.${cmd}`);
    dialog.querySelector("#xfer-prompt").textContent = t(`cmd.${cmd}_prompt`);
    dialog.querySelector("#xfer-target").value = "";
    dialog.querySelector("#xfer-target").inputMode = conference ? "numeric" : "text";
    dialog.querySelector("#xfer-kind").hidden = conference;
    dialog.querySelector('input[name="xfer-kind"][value=""]').checked = true;
    const note = dialog.querySelector("#xfer-note");
    dialog.querySelector("#xfer-note-box").hidden = cmd !== "transfer";
    note.value = cmd === "transfer" ? this.customerWords() : "";
    note.setCustomValidity("");
    dialog.querySelector("#xfer-note-hint").textContent = t("xfer.note_hint", { limit: this.transferNoteLimit });
    dialog.showModal();
    dialog.querySelector("#xfer-target").focus();
    this.listColleagues(dialog);
  }

  // the colleagues, as the server sees them now (a seat's snapshot lists no other seat), again
  // every few seconds while the dialog stays open, so the states shown are live
  async listColleagues(dialog) {
    clearTimeout(this.colleaguesTimer);
    const round = (this.colleaguesRound = (this.colleaguesRound || 0) + 1);
    const list = dialog.querySelector("#xfer-colleagues");
    const note = dialog.querySelector("#xfer-colleagues-note");
    let items;
    try {
      items = (await api("/api/colleagues")).items || [];
    } catch {
      items = null;
    }
    if (!dialog.open || round !== this.colleaguesRound) return; // closed, or opened again since
    const picked = dialog.querySelector("#xfer-target").value.trim();
    const hadFocus = list.contains(document.activeElement) ? document.activeElement.dataset.agent : "";
    list.replaceChildren();
    for (const c of items || []) {
      const state = Object.assign(document.createElement("span"), {
        className: "state",
        textContent: t(`state.${c.state}`) + (c.state === "paused" && c.reason ? `（${reasonText(c.reason)}）` : ""),
      });
      state.dataset.state = c.state;
      const who = Object.assign(document.createElement("span"), { className: "who-name", textContent: c.name ? `${c.name} ${c.agent_id}` : c.agent_id });
      const pick = Object.assign(document.createElement("button"), { type: "button", className: "colleague" });
      pick.dataset.agent = c.agent_id;
      pick.dataset.state = c.state;
      pick.setAttribute("aria-pressed", String(c.agent_id === picked));
      pick.append(who, " ", state);
      const item = document.createElement("li");
      item.append(pick);
      list.append(item);
      if (c.agent_id === hadFocus) pick.focus();
    }
    note.textContent = items === null ? t("xfer.colleagues_failed") : items.length ? "" : t("xfer.colleagues_none");
    note.hidden = !note.textContent;
    this.colleaguesTimer = setTimeout(() => dialog.open && this.listColleagues(dialog), 3000);
  }

  // a colleague picked from the list: the 工号 in the field (a 工号 by kind), then 确定 to send
  pickColleague(dialog, agentId) {
    dialog.querySelector("#xfer-target").value = agentId;
    if (dialog.dataset.cmd !== "conference") dialog.querySelector("#xfer-kind-agent").checked = true;
    for (const b of dialog.querySelectorAll("#xfer-colleagues .colleague")) b.setAttribute("aria-pressed", String(b.dataset.agent === agentId));
    dialog.querySelector("#xfer-ok").focus();
  }

  transferDialog() {
    let dialog = $("xfer-dialog");
    if (dialog) return dialog;
    const el = (tag, props = {}, ...children) => {
      const node = Object.assign(document.createElement(tag), props);
      node.append(...children);
      return node;
    };
    const target = el("input", { id: "xfer-target", type: "text", required: true, autocomplete: "off", maxLength: 64 });
    const kinds = el("fieldset", { id: "xfer-kind" }, el("legend", { textContent: t("xfer.kind") }));
    for (const kind of ["", "agent", "queue", "number"]) {
      const radio = el("input", { type: "radio", name: "xfer-kind", value: kind, id: `xfer-kind-${kind || "auto"}` });
      kinds.append(el("label", {}, radio, " ", t(`xfer.kind_${kind || "auto"}`)));
    }
    kinds.append(el("small", { className: "hint", textContent: t("xfer.kind_auto_hint") }));
    const colleagues = el(
      "section",
      { className: "xfer-colleagues" },
      el("h3", { id: "xfer-colleagues-title", textContent: t("xfer.colleagues") }),
      el("p", { id: "xfer-colleagues-note", className: "hint", hidden: true }),
      el("ul", { id: "xfer-colleagues" }),
    );
    colleagues.querySelector("ul").setAttribute("aria-labelledby", "xfer-colleagues-title");
    colleagues.addEventListener("click", (e) => {
      const pick = e.target.closest("button.colleague");
      if (pick) this.pickColleague(dialog, pick.dataset.agent);
    });
    // 转接备注: what the colleague's pop shows under 转接自 and their form takes (editable, may be
    // emptied); one over the bridge's limit is not sent, the dialog says why and stays open
    const note = el("textarea", { id: "xfer-note", rows: 3 });
    note.setAttribute("aria-describedby", "xfer-note-hint");
    note.addEventListener("input", () => note.setCustomValidity(""));
    const noteBox = el(
      "div",
      { id: "xfer-note-box", className: "xfer-note" },
      el("label", { htmlFor: "xfer-note", textContent: t("xfer.note") }),
      note,
      el("small", { id: "xfer-note-hint", className: "hint" }),
    );
    const cancel = el("button", { type: "button", id: "xfer-cancel", className: "btn", textContent: t("xfer.cancel") });
    const form = el(
      "form",
      { method: "dialog" },
      el("h2", { id: "xfer-title" }),
      el("label", { htmlFor: "xfer-target", id: "xfer-prompt" }),
      target,
      kinds,
      colleagues,
      noteBox,
      el("div", { className: "actions" }, el("button", { type: "submit", id: "xfer-ok", className: "btn ok", textContent: t("xfer.ok") }), " ", cancel),
    );
    dialog = el("dialog", { id: "xfer-dialog", className: "xfer-dialog" }, form);
    dialog.setAttribute("aria-labelledby", "xfer-title");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = target.value.trim();
      if (!value) return;
      const kind = form.querySelector('input[name="xfer-kind"]:checked')?.value || "";
      const cmd = dialog.dataset.cmd;
      const words = cmd === "transfer" ? note.value.trim() : "";
      const length = [...words].length; // characters, as the server counts them (not UTF-16 units)
      if (length > this.transferNoteLimit) {
        note.setCustomValidity(t("error.transfer_note_too_long", { limit: this.transferNoteLimit, length }));
        note.reportValidity();
        return;
      }
      dialog.close();
      if (cmd === "conference") this.run(cmd, { agent: value });
      else this.run(cmd, { target: value, ...(kind ? { kind } : {}), ...(words ? { note: words } : {}) });
    });
    cancel.addEventListener("click", () => dialog.close());
    // closed (确定, 取消, Esc): no more listing; the focus back on the button that opened it
    dialog.addEventListener("close", () => {
      clearTimeout(this.colleaguesTimer);
      $(`btn-${dialog.dataset.cmd}`)?.focus();
    });
    document.body.append(dialog);
    return dialog;
  }

  // 退出 through the API, so that a refusal (on a call: logout.on_call) is told on this page, which
  // keeps the pop and what is typed; the intake drafts go only once signed out, so that whoever
  // signs in next on this browser finds none
  async signOut() {
    // this tab's socket closes with the session (4401 signed_out): not "signed out elsewhere"
    this.socket.signingOut = true;
    try {
      await api("/api/session", { method: "DELETE" });
    } catch (err) {
      this.socket.signingOut = false;
      toast(err.message, "refused");
      return;
    }
    clearAllDrafts();
    window.location.assign("/login");
  }

  setConsulting(consult) {
    this.consulting = consult || null;
    const label = $("consulting");
    if (label) {
      // "agent:1002" → 1002: the target as the agent typed it; a queue by its name (综合服务), not its code
      const [kind, ...rest] = String(consult?.target || "").split(":");
      const target = !consult ? "" : rest.length ? (kind === "queue" ? queueName(rest.join(":")) : rest.join(":")) : kind;
      label.hidden = !consult;
      label.textContent = !consult ? "" : t(consult.caller_gone ? "call.consult_caller_gone" : "call.consulting", { target });
    }
    this.buttons();
  }

  // What the call is besides the agent's own caller, beside the state while it lasts: a colleague's
  // consultation about their caller (咨询来电：来自 1001（王坐席）; ``CallAnswered.consult_from``,
  // the snapshot's ``consulted``), or this agent's 三方通话 with a colleague (``CallTransferred``).
  setNote(note) {
    this.note = note || null;
    let label = $("call-note");
    if (!label) {
      if (!note) return;
      label = Object.assign(document.createElement("span"), { id: "call-note", className: "reason" });
      label.setAttribute("role", "status");
      ($("consulting") || $("agent-state"))?.after(label);
    }
    label.hidden = !note;
    label.dataset.kind = !note ? "" : note.conference ? "conference" : "consulted";
    if (!note) label.textContent = "";
    else if (note.conference) {
      const [kind, ...rest] = String(note.conference).split(":"); // "agent:1005" → 1005
      label.textContent = t("call.conference_with", { target: rest.length ? rest.join(":") : kind });
    } else {
      const from = note.consult_from;
      label.textContent = t("call.consulted_by", { agent: from });
      // the colleague's name beside the 工号, once the server says it (signed in: on the list)
      api("/api/colleagues").then((r) => {
        const name = (r.items || []).find((c) => c.agent_id === from)?.name;
        if (name && this.note === note) label.textContent = t("call.consulted_by", { agent: `${from}${paren(name)}` });
      }).catch(() => {});
    }
  }

  // The colleague brought into this agent's 三方通话 left it (``ConferenceLeft``): the call goes on
  // with the caller alone, so the bar says 三方通话 no more.
  conferenceLeft(ev) {
    if (this.me && ev.agent_id && ev.agent_id !== this.me) return;
    if (this.note?.conference === ev.target) this.setNote(null);
  }

  consultEvent(ev) {
    if (this.me && ev.agent_id && ev.agent_id !== this.me) return;
    this.setConsulting(ev.state === "ended" ? null : { call_id: ev.call_id, target: ev.target, caller_gone: ev.state === "caller_gone" });
  }

  async run(cmd, args = {}) {
    try {
      await this.socket.command(cmd, args);
      toast(t("cmd.done", { cmd: t(`cmd.${cmd}`) }), "ok", 1500);
      return true;
    } catch (err) {
      toast(err.message, "refused");
      const bar = $("statebar");
      if (bar) bar.dataset.lastRefusal = err.errorId;
      return false;
    }
  }

  snapshot(snap) {
    this.lastSnapshot = snap; // page modules loaded later start from it
    this.pauseOnCall = snap.allow_pause_on_call === true;
    this.acwSeconds = Number(snap.acw_seconds) > 0 ? Number(snap.acw_seconds) : 0;
    if (Number(snap.transfer_note_limit) > 0) this.transferNoteLimit = Number(snap.transfer_note_limit);
    this.me = snap.user?.agent_id;
    this.clockSkew = (snap.server_time || Date.now() / 1000) - Date.now() / 1000;
    this.ami(snap.ami);
    const agent = snap.agent || {};
    this.agentCall = agent.call_id || "";
    // the call whose write-up a form (in any tab of the agent's) holds, also while the call still
    // goes on: a tab opened after another took the hold says why at the after-call work's start
    if ("acw_hold_call" in agent) this.acwHeldCall = agent.acw_hold_call || "";
    else if (agent.state === "after_call_work") this.acwHeldCall = agent.acw_held ? this.agentCall : "";
    this.setState(agent.state || "logged_out", agent.reason || "", agent.since || agent.state_since || agent.changed_at);
    this.call = (snap.calls || [])[0] || null;
    this.setConsulting(agent.consult || null); // a reload during a consult offers its buttons again
    // a reload says what the call is besides the agent's caller as the live events did: a
    // colleague's consultation, or the colleague this agent brought into a 三方通话 and still there
    const from = this.call?.consulted?.[this.me];
    const guest = Object.entries(this.call?.invited || {}).find(([, host]) => host === this.me)?.[0];
    this.setNote(from ? { consult_from: from } : guest ? { conference: `agent:${guest}` } : null);
    this.work(snap.work);
    this.buttons();
  }

  agentState(ev) {
    // supervisors' tabs hear every agent's state (for the wallboard); the bar shows only ours
    if (this.me && ev.agent_id && ev.agent_id !== this.me) return;
    this.agentCall = ev.call_id || "";
    this.setState(ev.state, ev.reason || "", ev.at || ev.ts);
    if (ev.state === "ready" || ev.state === "not_ready" || ev.state === "logged_out") this.call = null;
    this.buttons();
  }

  // An intake form (this tab's or another's) holds the after-call work of a call, or the last one let go.
  acwHold(ev) {
    if (this.me && ev.agent_id && ev.agent_id !== this.me) return;
    if (ev.held) this.acwHeldCall = ev.call_id || "";
    else if (this.acwHeldCall === ev.call_id) this.acwHeldCall = "";
    this.showReason();
  }

  // A team leader or supervisor changed this seat from the wallboard (置忙, 强制下班, 结束话后处理):
  // a band under the header says who and why until the agent dismisses it (知道了); it is
  // announced once. Not in the header's one row: at 1366 px its words pushed 电话 under 提醒 (QA).
  seatForced(ev) {
    if (this.me && ev.agent_id && ev.agent_id !== this.me) return;
    const header = $("statebar")?.closest("header");
    if (!header) return;
    let box = $("forced-notice");
    if (!box) {
      box = document.createElement("div");
      box.id = "forced-notice";
      box.className = "forced-notice";
      box.setAttribute("role", "status");
      const text = document.createElement("span");
      text.className = "text";
      const ok = document.createElement("button");
      ok.type = "button";
      ok.className = "link";
      ok.textContent = t("seat_force.notice.dismiss");
      ok.addEventListener("click", () => { box.hidden = true; });
      box.append(text, ok);
      header.after(box);
    }
    const role = ev.by_role ? t(`role.${ev.by_role}`) : "";
    const by = [role, ev.by_name || ev.by].filter(Boolean).join(" ");
    const action = ["pause", "sign_out", "end_acw", "queue_add", "queue_remove"].includes(ev.action) ? ev.action : "pause";
    const pending = ev.pending && ["pause", "sign_out"].includes(action) ? "_pending" : "";
    const words = t(`seat_force.notice.${action}${pending}`, { by, reason: reasonText(ev.reason || ""), queue: queueName(ev.queue || "") });
    box.querySelector(".text").textContent = words;
    box.dataset.action = action;
    box.hidden = false;
  }

  callEvent(ev) {
    if (ev.event === "CallEnded") {
      this.call = null;
      this.setNote(null);
    } else {
      const same = this.call?.call_id === ev.call_id ? this.call : {};
      // the call lasts from its answer: a hold, a transfer or a colleague joining does not restart it
      this.call = { ...same, ...ev, answered_at: same.answered_at || ev.answered_at || 0 };
      // consulted, or (no consult_from: the transfer completed) the caller is this agent's now
      if (ev.event === "CallAnswered") this.setNote(ev.consult_from ? { consult_from: ev.consult_from } : null);
      if (ev.event === "CallTransferred" && ev.kind === "conference") this.setNote({ conference: ev.target });
    }
    this.buttons();
  }

  setState(state, reason, since) {
    this.state = state;
    this.reason = reason;
    this.since = typeof since === "number" && since > 0 ? since : Date.now() / 1000 + this.clockSkew;
    const badge = $("agent-state");
    if (!badge) return;
    badge.dataset.state = state;
    badge.textContent = t(`state.${state}`);
    this.showReason();
    this.tick();
  }

  // The state's reason; in 话后处理 held by a form's unsaved input, why it outlasts its limit instead.
  showReason() {
    const box = $("state-reason");
    if (!box) return;
    const held = this.state === "after_call_work" && this.agentCall !== "" && this.acwHeldCall === this.agentCall;
    // a reason that only repeats the state (话后处理 in 话后处理) is not said twice
    const reason = reasonText(this.reason);
    const text = held ? t("state.acw_held") : reason === t(`state.${this.state}`) ? "" : reason;
    // the bar may cut the reason short (console.css): its whole words are in the tooltip too
    const title = held ? t("state.acw_held_hint") : text;
    // the reason is a live region: rewritten only when it changes, it is announced only then
    if (box.textContent !== text) box.textContent = text;
    box.title = title;
  }

  tick() {
    const now = Date.now() / 1000 + this.clockSkew;
    const timer = $("state-timer");
    if (timer) {
      // 话后处理 with a limit counts down to it (the bridge ends it then and the next call may
      // ring), rounded up so 00:00 is its end; held by an unsaved form it has no end to count to,
      // so it counts up as every state
      const held = this.agentCall !== "" && this.acwHeldCall === this.agentCall;
      const countdown = this.state === "after_call_work" && this.acwSeconds > 0 && !held;
      timer.textContent = this.state === "connecting" ? ""
        : countdown ? clock(Math.max(0, Math.ceil(this.acwSeconds - (now - this.since)))) : clock(now - this.since);
      timer.classList.toggle("countdown", countdown);
      timer.title = countdown ? t("state.acw_left_hint") : "";
    }
    // the call's duration, from the answer (the snapshot's answered_at after a reload or reconnect)
    const call = $("call-timer");
    if (!call) return;
    const answered = this.call?.answered_at && ["talking", "on_hold"].includes(this.state) ? this.call.answered_at : 0;
    call.hidden = !answered;
    if (answered) call.querySelector(".timer").textContent = clock(now - answered);
  }

  buttons() {
    const s = this.state;
    const onCall = ["ringing", "talking", "on_hold"].includes(s);
    const set = (id, enabled) => { const b = $(id); if (b) b.disabled = !enabled; };
    const signedIn = ["ready", "not_ready", "after_call_work"].includes(s) || onCall;
    set("btn-ready", !onCall && s !== "ready");
    // as the server decides (the refusals stay there): a break starts after the call unless the
    // site allows it on a call; 下班 once the call is over (a ringing one goes to another seat).
    // A signed-out seat may 暂停 too: it signs in 未就绪 with that reason, the 95598 start of a
    // shift (回呼 every 待回复工单 first, no caller offered meanwhile, then 就绪).
    const signingIn = s === "logged_out";
    set("btn-pause", signingIn || (signedIn && (!onCall || this.pauseOnCall)));
    set("btn-logout", signedIn && s !== "talking" && s !== "on_hold");
    // greyed out for a call, they say why on hover (as the server's refusal would): a click on a
    // dead button told the agent nothing; signed out, what it does then. 暂停 keeps its key (F3).
    const pause = $("btn-pause");
    if (pause) {
      pause.dataset.key ??= pause.title;
      const why = onCall && !this.pauseOnCall ? t("error.pause.on_call") : signingIn ? t("cmd.pause_sign_in_hint") : "";
      pause.title = why ? `${why}（${pause.dataset.key}）` : pause.dataset.key;
    }
    const logout = $("btn-logout");
    if (logout) logout.title = s === "talking" || s === "on_hold" ? t("error.logout.on_call") : "";
    set("btn-answer", s === "ringing");
    set("btn-hangup", onCall);
    const talking = s === "talking" || s === "on_hold";
    if (!onCall && this.consulting) this.setConsulting(null);
    if (!onCall && this.note) this.setNote(null);
    // A colleague consulted about another agent's caller (咨询来电：来自 1001) talks on the
    // consultation's leg: the caller waits on that agent's hold, theirs to complete, cancel or hold,
    // so none of these is this agent's (the server refuses them: consult_leg), and each says why.
    const consulted = talking && Boolean(this.note?.consult_from);
    // While consulting, the caller is on hold until the consultation is completed or cancelled.
    set("btn-hold", talking && !this.consulting && !consulted);
    // 转接 and 咨询转接 hand over the agent's bridged leg: held, it is bridged to nobody (the
    // server refuses with unhold_first), so they wait for 取回 and say why
    const transferable = s === "talking" && !this.consulting && !consulted;
    set("btn-transfer", transferable);
    set("btn-wrapup", s === "after_call_work");
    set("btn-consult", transferable);
    for (const id of ["btn-transfer", "btn-consult"]) {
      const b = $(id);
      if (b) b.title = consulted ? t("call.consult_leg_hint") : s === "on_hold" ? t("call.unhold_first_hint") : "";
    }
    // a conference moves the caller's leg too: held, the server refuses it (conference_unhold_first)
    set("btn-conference", transferable);
    const conference = $("btn-conference");
    if (conference) conference.title = consulted ? t("call.consult_leg_hint") : s === "on_hold" ? t("call.conference_unhold_first_hint") : "";
    // a consultation's 完成转接 / 取消咨询 and 咨询中：… take their place: dead until it ends (their
    // 请先取回 hint wrong then), they made the 1366 px bar overflow, its parts drawn over each other
    for (const id of ["btn-transfer", "btn-consult", "btn-conference"]) {
      const b = $(id);
      if (b) b.hidden = Boolean(this.consulting);
    }
    // the held caller gone, there is nobody to hand over: 取消咨询 (or 挂断) ends the consult leg
    const offered = { "btn-complete-transfer": this.consulting && !this.consulting.caller_gone, "btn-cancel-transfer": this.consulting };
    for (const [id, shown] of Object.entries(offered)) {
      const b = $(id);
      if (b) { b.hidden = !shown; b.disabled = !shown; }
    }
    const hold = $("btn-hold");
    if (hold) {
      hold.textContent = t(s === "on_hold" ? "cmd.unhold" : "cmd.hold");
      hold.title = consulted ? t("call.consult_leg_hint") : "";
    }
    this.tick();
  }

  // The seat's Asterisk server: 已连接, 未连接, or 配置错误 (its bridge refuses it: another
  // systemname than configured) with what to do on hover, said once as it happens. Who sees every
  // seat (``ami.servers``) finds each server's state and reason on hover too.
  ami(ami) {
    const box = $("ami-status");
    if (!box) return;
    const connected = ami?.connected;
    const state = connected === true ? "up" : connected === false ? (ami?.state === "misconfigured" ? "misconfigured" : "down") : "unknown";
    const was = box.dataset.state;
    box.dataset.connected = connected === true ? "true" : connected === false ? "false" : "unknown";
    box.dataset.state = state;
    box.querySelector("b").textContent = t({ up: "ami.connected", down: "ami.disconnected", misconfigured: "ami.misconfigured" }[state] || "ami.unknown");
    const lines = [];
    if (state === "misconfigured") lines.push(t("ami.misconfigured_hint"));
    if (state !== "unknown" && Array.isArray(ami?.servers) && ami.servers.length) {
      lines.push(t("ami.servers_title"), ...ami.servers.map(serverLine));
    } else if (ami?.why) lines.push(ami.why);
    box.title = lines.length ? lines.join("\n") : "Asterisk";
    if (state === "misconfigured" && was !== "misconfigured") toast(t("ami.misconfigured_hint"), "refused");
  }

  work(work) {
    for (const badge of document.querySelectorAll("[data-count]")) {
      const n = work?.[badge.dataset.count] ?? 0;
      badge.textContent = String(n);
      badge.hidden = !n;
    }
    const reply = $("reply-first");
    if (reply) {
      reply.hidden = !work?.to_reply;
      reply.querySelector("a").textContent = t("work.reply_first", { count: work?.to_reply ?? 0 });
    }
    const banner = $("inbox-banner");
    if (!banner) return;
    const count = work?.inbox ?? 0;
    banner.hidden = !count;
    banner.textContent = t("inbox.banner", { count });
    banner.title = banner.textContent; // the bar may cut it short (console.css)
    banner.dataset.badge = t("inbox.badge", { count }); // what a narrow bar shows instead (待处理 N)
    banner.dataset.unhandled = String(count);
  }

  connection(connected) {
    const box = $("ws-status");
    if (box) box.dataset.connected = String(connected);
    if (!connected) {
      this.ami({ connected: undefined });
      toast(t("ws.offline"), "refused", 2500);
    }
  }
}
