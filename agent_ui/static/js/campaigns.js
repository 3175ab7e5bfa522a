// Campaigns page: list with progress, create, start / pause / finish (only what the campaign's
// status allows), its settings (windows, retries, pacing) edited until it is finished, list
// import with the validation report before commit, contacts with their outcome and
// disposition, and the do-not-call list (免打扰名单). A refused action says why in the page's
// toast, in the server's words (呼叫时段格式应为 HH:MM-HH:MM), as every console page does: never
// a browser alert(), which blocked the page and showed only the error's generic text.
import { api, el, emptyRow, fmtTime, once, ApiError } from "./api.js";
import { colon, comma, paren, queueName, t } from "./i18n.js";
import { toast } from "./toast.js";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
const RETRY_OUTCOMES = ["busy", "no_answer", "failed", "abandoned"];
let current = null;

// a line of counts (待拨 3 · 已接通 1); none yet says so (无), never an empty label
const countsLine = (entries, word) => entries.map(([k, v]) => `${word(k)} ${v}`).join(" · ") || t("camp.none");
const counts = (p) => countsLine(Object.entries(p || {}), (k) => t(`camp.state.${k}`));
const outcomeText = (code) => (code ? t(`camp.outcome.${code}`) : "");
// every call placed (the contacts' line counts each contact once, by its last outcome): a late
// answer, a customer an agent took only after 2 s, is answered for the customer and shows only here
const ATTEMPT_OUTCOMES = ["answered", "no_answer", "busy", "failed", "abandoned", "agent_missed", "interrupted"];
function attemptsLine(a) {
  const parts = [String(a.attempts)];
  for (const outcome of ATTEMPT_OUTCOMES.filter((o) => a[o])) {
    parts.push(`${outcomeText(outcome)} ${a[outcome]}`);
    if (outcome === "answered" && a.late) parts.push(`${t("camp.late_answers")} ${a.late}`);
  }
  return el("p", { id: "camp-attempts", title: t("camp.late_answers_hint") }, `${t("camp.calls_placed")}${colon}${parts.join(" · ")}`);
}
// a running campaign outside its calling hours dials nobody: say so, and when it calls next
const idleText = (c) => (c.status === "running" && c.calling && !c.calling.open
  ? t("camp.idle_until", { day: t(`site.day.${c.calling.weekday}`), at: c.calling.local }) : "");
const statusText = (c) => [t(`camp.status.${c.status}`), idleText(c)].filter(Boolean).join(" · ");

async function load() {
  const { campaigns, queues, dialer } = await api("/api/campaigns");
  // the dialer not running (its start failed and is retried, or no process runs it): nothing dials
  const down = document.getElementById("camp-dialer-down");
  if (down) {
    down.hidden = !(dialer && !dialer.running);
    down.title = dialer?.error || "";
  }
  // 队列（技能）: one of the hotline's queues (the wallboard's), by its name; the choice kept
  const pick = document.querySelector("#camp-new select[name=queue]");
  if (pick && pick.options.length !== queues.length) {
    pick.replaceChildren(...queues.map((q) => el("option", { value: q }, queueName(q))));
  }
  const body = document.querySelector("#camp-list tbody");
  if (!campaigns.length) {
    body.replaceChildren(emptyRow(document.getElementById("camp-list"), t("camp.list_empty")));
    return;
  }
  body.replaceChildren(...campaigns.map((c) => el("tr", {},
    el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); show(c.id); } }, c.name)),
    el("td", {}, t(`camp.kind.${c.kind}`)), el("td", {}, t(`camp.mode.${c.mode}`)), el("td", { title: c.queue }, queueName(c.queue)),
    el("td", {}, statusText(c)), el("td", {}, counts(c.progress.states)),
    // only the status changes the campaign's status allows (a finished one offers none)
    el("td", {}, ...c.actions.map((a) => el("button", { class: "link", onclick: (e) => once(e.currentTarget, () => act(c, a)) }, t(`camp.${a}`)))),
  )));
}

async function act(c, action) {
  // 结束 cannot be undone (nobody on the list is called again, nothing can be imported or
  // changed), and it sits beside 开始: asked first, naming the campaign
  if (action === "finish" && !confirm(t("camp.confirm_finish", { name: c.name }))) return;
  try { await api(`/api/campaigns/${c.id}/${action}`, { method: "POST" }); } catch (err) { toast(err.message, "refused"); }
  await load();
  if (current === c.id) await show(c.id);
}

function settingsText(c) {
  const retry = RETRY_OUTCOMES.map((o) => `${outcomeText(o)} ${c.retry_effective[o]}`).join(" · ");
  return [
    `${t("camp.windows")}${colon}${c.windows.length ? c.windows.join(comma) : t("camp.windows_calendar")}${c.every_day ? paren(t("camp.every_day")) : ""}`,
    `${t("camp.max_attempts")}${colon}${c.max_attempts}`,
    `${t("camp.retry")}${colon}${retry}`,
    `${t("camp.max_in_flight")}${colon}${c.max_in_flight}`,
    `${t("camp.calls_per_second")}${colon}${c.calls_per_second}`,
    `${t("camp.ring_seconds")}${colon}${c.ring_seconds}`,
    ...(c.mode === "preview" ? [`${t("camp.offer_minutes")}${colon}${c.offer_minutes}`] : []),
  ].join(" · ");
}

function fillEdit(c) {
  const form = document.getElementById("camp-edit");
  if (!form) return;
  form.hidden = !c.editable;
  form.windows.value = c.windows.join(",");
  form.every_day.checked = c.every_day;
  for (const k of ["max_attempts", "max_in_flight", "calls_per_second", "ring_seconds", "offer_minutes", "script"]) form[k].value = c[k];
  for (const o of RETRY_OUTCOMES) form[`retry_${o}`].value = c.retry_effective[o];
}

async function show(id) {
  if (current !== id) uncheck();  // a report is about one campaign's list
  current = id;
  const c = await api(`/api/campaigns/${id}`);
  const labels = c.disposition_labels || {};
  const dispositionText = (code) => labels[code] ?? code;
  document.getElementById("camp-detail").hidden = false;
  document.getElementById("camp-detail-title").textContent = c.name;
  document.getElementById("camp-settings").textContent = settingsText(c);
  document.getElementById("camp-finished").hidden = c.editable;
  fillEdit(c);
  const importForm = document.getElementById("camp-import");
  if (importForm) {
    importForm.hidden = !c.editable;
    if (!c.editable) document.getElementById("camp-report").replaceChildren();
  }
  document.getElementById("camp-counts").replaceChildren(
    el("p", {}, `${t("camp.status")}${colon}${statusText(c)}`),
    el("p", {}, `${t("camp.states")}${colon}${counts(c.progress.states)}`),
    el("p", {}, `${t("camp.outcomes")}${colon}${countsLine(Object.entries(c.progress.outcomes), outcomeText)}`),
    attemptsLine(c.progress.attempts),
    el("p", {}, `${t("camp.dispositions")}${colon}${countsLine(Object.entries(c.progress.dispositions), dispositionText)}`),
  );
  const contacts = document.getElementById("camp-contacts");
  contacts.querySelector("tbody").replaceChildren(...(c.contacts.length ? c.contacts.map((x) => el("tr", {},
    el("td", {}, x.number), el("td", {}, x.name), el("td", {}, t(`camp.state.${x.state}`)), el("td", {}, String(x.attempts)),
    el("td", {}, outcomeText(x.last_outcome)), el("td", {}, x.disposition ? dispositionText(x.disposition) : ""))) : [emptyRow(contacts, t("camp.contacts_empty"))]));
}

async function saveSettings(form) {
  const retry = {};
  for (const o of RETRY_OUTCOMES) retry[o] = Number(form[`retry_${o}`].value);
  const saved = await api(`/api/campaigns/${current}`, { method: "PATCH", body: {
    windows: form.windows.value.split(",").map((w) => w.trim()).filter(Boolean),
    every_day: form.every_day.checked,
    max_attempts: Number(form.max_attempts.value), retry_minutes: retry,
    max_in_flight: Number(form.max_in_flight.value), calls_per_second: Number(form.calls_per_second.value),
    ring_seconds: Number(form.ring_seconds.value), offer_minutes: Number(form.offer_minutes.value),
    script: form.script.value,
  } });
  toast(saved.rescheduled || saved.finished ? t("camp.saved_rescheduled", saved) : t("camp.saved"), "ok");
  await show(current);
}

// the report on screen is about this token (file + mapping); 确认导入 sends it, and the server
// adds nothing if the file or mapping sent is not the one checked
let checked = "";

// another file or column mapping: the report shown is not about it, so 检查 again first
function uncheck() {
  checked = "";
  const commit = document.getElementById("camp-commit");
  if (commit) commit.disabled = true;
  document.getElementById("camp-report")?.replaceChildren();
}

async function upload(commit) {
  const form = document.getElementById("camp-import");
  const data = new FormData();
  data.append("file", form.file.files[0]);
  const mapping = {};
  for (const f of ["number", "name", "account_no"]) if (form[f].value) mapping[f] = form[f].value;
  data.append("mapping", JSON.stringify(mapping));
  data.append("commit", commit ? "1" : "0");
  if (commit) data.append("checked", checked);
  const resp = await fetch(`/api/campaigns/${current}/import`, { method: "POST", body: data, headers: { "X-CSRF-Token": csrf(), Accept: "application/json" }, credentials: "same-origin" });
  const body = await resp.json();
  if (!resp.ok) {
    if (commit) uncheck();
    throw new ApiError(resp.status, body);
  }
  document.getElementById("camp-report").replaceChildren(
    el("p", {}, t("camp.report", { total: body.total, accepted: body.accepted, rejected: body.rejected })),
    el("ul", {}, ...body.rejected_rows.map((r) => el("li", {}, `${t("camp.line", { line: r.line })}${colon}${r.text}`))),
  );
  checked = commit ? "" : body.checked;
  document.getElementById("camp-commit").disabled = commit || body.accepted === 0;
  if (commit) await show(current);
}

// -- the do-not-call list ------------------------------------------------------------------
async function loadDnc() {
  const box = document.querySelector("#camp-dnc tbody");
  if (!box) return;
  const { entries } = await api("/api/campaigns-dnc", { query: { q: document.getElementById("camp-dnc-q").value } });
  box.replaceChildren(...(entries.length
    ? entries.map((e) => el("tr", {},
        // a reason of up to 255 characters wraps in its cell (dnc-reason): on one line it pushed
        // 加入时间 and 移除 off the screen
        el("td", {}, e.number), el("td", { class: "dnc-reason" }, e.reason), el("td", {}, fmtTime(e.created_at)),
        el("td", {}, el("button", { type: "button", class: "link", onclick: (ev) => once(ev.currentTarget, () => removeDnc(e.number)) }, t("camp.dnc.remove")))))
    : [el("tr", {}, el("td", { colspan: "4", class: "muted" }, t("camp.dnc.empty")))]));
}

async function removeDnc(number) {
  if (!confirm(t("camp.dnc.confirm_remove", { number }))) return;
  try {
    const { restored } = await api(`/api/campaigns-dnc/${encodeURIComponent(number)}`, { method: "DELETE" });
    toast(t("camp.dnc.removed", { number, restored }), "ok");
  } catch (err) { toast(err.message, "refused"); }
  await loadDnc();
  if (current) await show(current);
}

export function start() {
  load().catch((err) => toast(err.message, "refused"));
  loadDnc().catch((err) => toast(err.message, "refused"));
  // a second press of 新建 would create the campaign twice
  document.getElementById("camp-new")?.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    once(f, async () => {
      try {
        await api("/api/campaigns", { method: "POST", body: {
          name: f.name.value, kind: f.kind.value, mode: f.mode.value, queue: f.queue.value,
          windows: f.windows.value.split(",").map((w) => w.trim()).filter(Boolean),
          every_day: f.every_day.checked,
          max_attempts: Number(f.max_attempts.value), max_in_flight: Number(f.max_in_flight.value),
          calls_per_second: Number(f.calls_per_second.value), ring_seconds: Number(f.ring_seconds.value),
          offer_minutes: Number(f.offer_minutes.value),
          script: f.script.value,
        } });
        f.reset();
        await load();
      } catch (err) { toast(err.message, "refused"); }
    });
  });
  document.getElementById("camp-edit")?.addEventListener("submit", (e) => {
    e.preventDefault();
    once(e.target, () => saveSettings(e.target)).catch((err) => toast(err.message, "refused"));
  });
  document.getElementById("camp-import")?.addEventListener("submit", (e) => { e.preventDefault(); once(e.target, () => upload(false)).catch((err) => toast(err.message, "refused")); });
  document.getElementById("camp-import")?.addEventListener("input", uncheck);
  document.getElementById("camp-import")?.addEventListener("change", uncheck);
  // the report checked is added once; whatever the answer, the next 确认导入 follows a new 检查
  // (a failed send, which changed nothing, may go again)
  const commit = document.getElementById("camp-commit");
  commit?.addEventListener("click", () => once(commit, () => upload(true))
    .catch((err) => toast(err.message, "refused")).finally(() => { commit.disabled = !checked; }));
  document.getElementById("camp-dnc-add")?.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    once(f, async () => {
      try {
        const put = await api("/api/campaigns-dnc", { method: "POST", body: { number: f.number.value, reason: f.reason.value } });
        f.reset();
        // a number listed already (any spelling) keeps its entry: say so, and whether its reason changed
        if (put.already_listed) toast(t(put.reason_updated ? "camp.dnc.already_listed_reason" : "camp.dnc.already_listed", { number: put.number }), "ok");
        else toast(t("camp.dnc.added_ok"), "ok");
        await loadDnc();
        if (current) await show(current);
      } catch (err) { toast(err.message, "refused"); }
    });
  });
  let searching = null;
  document.getElementById("camp-dnc-q")?.addEventListener("input", () => {
    clearTimeout(searching);
    searching = setTimeout(() => loadDnc().catch((err) => toast(err.message, "refused")), 250);
  });
}

start();
