// 流程配置's step editor, beside the YAML: a version's steps in order, each with its name, who acts
// (operators: roles, the handlers of the site a field names, the previous step's operator…),
// time limit in working hours, reminders, the fields' rules and the exits. It edits the version's
// document (the YAML as the server read it) in place, so every key it does not show is saved as
// it was loaded; saving posts the document to the import (POST /api/workflows {document}), one
// way in: the same validation, stored as the next version. Problems are shown at the step and
// field they name. The format is docs/workflows.md.
import { api, el, once } from "./api.js";
import { paren, t } from "./i18n.js";
import { toast } from "./toast.js";

const panel = document.getElementById("wf-step-editor");
const stepsBox = document.getElementById("wfe-steps");
const generalBox = document.getElementById("wfe-problems");
let doc = null; // the document being edited (a copy of the version's)
let base = null; // {key, version, next, choices, fields}
let hooks = {}; // {describe(problem) -> text, saved(made)}

const words = (key, values) => (t(key, values) === key ? "" : t(key, values));
const clone = (v) => JSON.parse(JSON.stringify(v));
const isMap = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// ---- time limits: working hours <-> the definition's durations (30m, 1h, 1h30m; 7d stays) ----
export function hoursOf(limit) {
  const m = /^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*$/.exec(String(limit ?? ""));
  if (!m || (!m[1] && !m[2])) return null;
  return Number(m[1] || 0) + Number(m[2] || 0) / 60;
}
export function durationOf(hours) {
  const minutes = Math.round(Number(hours) * 60);
  const h = Math.floor(minutes / 60), m = minutes % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}` || "0m";
}

export function openEditor(detail, { describe, saved }) {
  hooks = { describe, saved };
  if (!detail.document) {
    toast(t("wfe.not_representable"), "info", 8000);
    return;
  }
  doc = clone(detail.document);
  const fields = isMap(doc.fields) ? doc.fields : {};
  base = { key: detail.key, version: detail.version, choices: detail.choices, fields };
  document.getElementById("wfe-title").textContent = t("wfe.title", { key: detail.key, version: detail.version });
  showProblems([]);
  render();
  panel.hidden = false;
  panel.scrollIntoView({ block: "start" });
}

const nodes = () => (Array.isArray(doc.nodes) ? doc.nodes : (doc.nodes = []));
const fieldNames = (type) => Object.entries(base.fields).filter(([, s]) => !type || (s?.type ?? "text") === type).map(([n]) => n);

function options(values, current, label = (v) => v, blank = null) {
  const list = blank === null ? [] : [el("option", { value: "" }, blank)];
  for (const v of values) list.push(el("option", { value: v, selected: v === current }, label(v)));
  if (current && !values.includes(current)) list.push(el("option", { value: current, selected: true }, current));
  return list;
}

function input(value, onchange, attrs = {}) {
  return el("input", { value: value ?? "", ...attrs, onchange: (e) => onchange(e.target.value) });
}

function select(values, current, onchange, { label, blank, ...attrs } = {}) {
  return el("select", { ...attrs, onchange: (e) => onchange(e.target.value) }, options(values, current, label, blank));
}

function button(text, onclick, attrs = {}) {
  return el("button", { type: "button", class: "link", ...attrs, onclick }, text);
}

// ---- who acts: operators: {mode, batches: [[rule…]…]}; a rule's keys must all hold ----
const roleName = (r) => words(`role.${r}`) || r;

function ruleRow(rule, batch, index, stepIds) {
  const set = (key, value) => {
    if (value === "" || value === false || (Array.isArray(value) && !value.length)) delete rule[key];
    else rule[key] = value;
  };
  const roles = rule.role === undefined ? [] : [].concat(rule.role);
  const roleBoxes = base.choices.roles.map((r) => el("label", { class: "check" },
    el("input", {
      type: "checkbox", value: r, checked: roles.includes(r), "data-role": r,
      onchange: (e) => {
        const now = new Set([].concat(rule.role ?? []));
        if (e.target.checked) now.add(r); else now.delete(r);
        const list = base.choices.roles.filter((x) => now.has(x));
        set("role", list.length === 1 ? list[0] : list);
      },
    }), roleName(r)));
  const known = new Set(["role", "site_field", "previous", "creator", "creator_manager"]);
  const others = Object.entries(rule).filter(([k]) => !known.has(k));
  return el("div", { class: "wfe-rule", "data-rule": index },
    el("span", { class: "wfe-roles" }, t("wfe.rule_roles"), " ", roleBoxes),
    el("label", {}, t("wfe.rule_site_field"), " ",
      select(fieldNames("site"), rule.site_field ?? "", (v) => set("site_field", v), { blank: "—", name: "site_field" })),
    el("label", {}, t("wfe.rule_previous"), " ",
      select(stepIds, rule.previous ?? "", (v) => set("previous", v), { blank: "—", name: "previous", label: stepLabel })),
    el("label", { class: "check" }, el("input", { type: "checkbox", checked: rule.creator === true, onchange: (e) => set("creator", e.target.checked) }), t("wfe.rule_creator")),
    el("label", { class: "check" }, el("input", { type: "checkbox", checked: rule.creator_manager === true, onchange: (e) => set("creator_manager", e.target.checked) }), t("wfe.rule_creator_manager")),
    others.length ? el("code", { class: "muted", title: t("wfe.kept") }, others.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ")) : null,
    " ", button(t("wfe.remove"), () => { batch.splice(index, 1); render(); }));
}

function operatorsBox(node, stepIds) {
  if (node.type === "create") return el("p", { class: "muted" }, t("wfe.creator_holds"));
  if (node.operators !== undefined && !isMap(node.operators)) {
    return el("p", { class: "muted" }, t("wfe.kept"), " ", el("code", {}, JSON.stringify(node.operators)));
  }
  const ops = node.operators ?? (node.operators = { batches: [[]] });
  if (!Array.isArray(ops.batches)) ops.batches = [[]];
  const batches = ops.batches.map((batch, b) => {
    if (!Array.isArray(batch)) return el("code", {}, JSON.stringify(batch));
    return el("div", { class: "wfe-batch", "data-batch": b },
      el("strong", {}, b === 0 ? t("wfe.batch_first") : t("wfe.batch_next", { n: b + 1 })), " ",
      batch.map((rule, i) => (isMap(rule) ? ruleRow(rule, batch, i, stepIds) : el("code", {}, JSON.stringify(rule)))),
      button(t("wfe.add_rule"), () => { batch.push({}); render(); }, { "data-add": "rule" }), " ",
      ops.batches.length > 1 ? button(t("wfe.remove_batch"), () => { ops.batches.splice(b, 1); render(); }) : null);
  });
  return el("div", { class: "wfe-operators" },
    el("label", {}, t("wfe.mode"), " ", select(base.choices.modes, ops.mode ?? "any", (v) => { if (v === "any") delete ops.mode; else ops.mode = v; },
      { label: (m) => words(`wf.mode_${m}`) || words(`wfe.mode_${m}`) || m, name: "mode" })),
    batches,
    button(t("wfe.add_batch"), () => { ops.batches.push([{}]); render(); }));
}

// ---- time limit and reminders: sla ----
function slaBox(node) {
  const sla = isMap(node.sla) ? node.sla : null;
  const ensure = () => (isMap(node.sla) ? node.sla : (node.sla = {}));
  const tidy = () => { if (isMap(node.sla) && !Object.keys(node.sla).length) delete node.sla; };
  const hours = hoursOf(sla?.limit);
  const limitInput = el("input", {
    type: "number", min: "0", step: "0.25", name: "limit_hours", class: "short",
    value: hours ?? "", placeholder: sla?.limit && hours === null ? String(sla.limit) : "",
    onchange: (e) => {
      const v = e.target.value.trim();
      if (v === "" || Number(v) <= 0) { if (isMap(node.sla)) delete node.sla.limit; tidy(); return; }
      ensure().limit = durationOf(v);
    },
  });
  const reminders = Array.isArray(sla?.reminders) ? sla.reminders : [];
  const rows = reminders.map((rem, i) => reminderRow(rem, reminders, i));
  return el("div", { class: "wfe-sla" },
    el("label", {}, t("wfe.limit"), " ", limitInput, " ", t("wfe.working_hours")),
    sla?.limit && hours === null ? el("span", { class: "muted" }, ` ${t("wfe.limit_kept", { limit: sla.limit })}`) : null,
    sla?.limit_by ? el("span", { class: "muted" }, ` ${t("wfe.limit_by_kept", { field: sla.limit_by.field ?? "" })}`) : null,
    " ", el("label", {}, t("wfe.calendar"), " ", select(base.choices.calendars, sla?.calendar ?? "",
      (v) => { if (v) ensure().calendar = v; else if (isMap(node.sla)) { delete node.sla.calendar; tidy(); } },
      { blank: t("wfe.calendar_inherit"), label: (c) => words(`wf.calendar_${c}`) || c, name: "calendar" })),
    el("table", { class: "grid wfe-reminders" },
      el("thead", {}, el("tr", {}, el("th", {}, t("wfe.rem_when")), el("th", {}, t("wfe.rem_to")),
        el("th", {}, t("wfe.rem_channels")), el("th", {}, t("wfe.rem_urgency")), el("th", {}))),
      el("tbody", {}, rows)),
    button(t("wfe.add_reminder"), () => {
      const s = ensure();
      (s.reminders = Array.isArray(s.reminders) ? s.reminders : []).push({ before: "15m", notify: { current_handlers: true }, channels: ["screen"] });
      render();
    }));
}

function reminderRow(rem, list, i) {
  if (!isMap(rem)) return el("tr", {}, el("td", { colspan: 5 }, el("code", {}, JSON.stringify(rem))));
  const when = "after" in rem && !("before" in rem) ? "after" : "before";
  const to = rem.notify ?? rem.to;
  const toKey = to === undefined || (isMap(to) && to.current_handlers === true && Object.keys(to).length === 1) ? "current_handlers"
    : isMap(to) && Object.keys(to).length === 1 && typeof to.role === "string" ? `role:${to.role}` : "kept";
  const toChoices = ["current_handlers", ...base.choices.roles.map((r) => `role:${r}`), ...(toKey === "kept" ? ["kept"] : [])];
  const channels = Array.isArray(rem.channels) ? rem.channels : ["screen"];
  return el("tr", { "data-reminder": i },
    el("td", {}, select(["before", "after"], when, (v) => {
      const amount = rem.before ?? rem.after; delete rem.before; delete rem.after; rem[v] = amount;
    }, { label: (w) => t(`wfe.rem_${w}`), name: "rem_when" }), " ",
    input(rem[when], (v) => { rem[when] = v.trim(); }, { class: "short", name: "rem_offset", placeholder: "15m" })),
    el("td", {}, select(toChoices, toKey, (v) => {
      const rule = v === "current_handlers" ? { current_handlers: true } : { role: v.slice(5) };
      delete rem.to; rem.notify = rule;
    }, { label: (c) => (c === "current_handlers" ? t("wfe.rem_current") : c === "kept" ? `${t("wfe.kept")} ${JSON.stringify(to)}` : roleName(c.slice(5))), name: "rem_to" })),
    el("td", {}, base.choices.channels.map((c) => el("label", { class: "check" }, el("input", {
      type: "checkbox", checked: channels.includes(c),
      onchange: (e) => {
        const now = new Set(Array.isArray(rem.channels) ? rem.channels : ["screen"]);
        if (e.target.checked) now.add(c); else now.delete(c);
        rem.channels = base.choices.channels.filter((x) => now.has(x));
      },
    }), words(`wfe.channel_${c}`) || c))),
    el("td", {}, select(base.choices.urgencies, rem.urgency ?? "normal", (v) => { rem.urgency = v; },
      { label: (u) => words(`wfe.urgency_${u}`) || u, name: "rem_urgency" })),
    el("td", {}, button(t("wfe.remove"), () => { list.splice(i, 1); render(); })));
}

// ---- the fields' rules at the step: visible / editable / required; unlisted = hidden ----
function fieldsBox(node) {
  const perms = isMap(node.fields) ? node.fields : null;
  const names = [...fieldNames(), ...Object.keys(perms ?? {}).filter((n) => !(n in base.fields))];
  if (!names.length) return null;
  const rows = names.map((name) => {
    const value = perms?.[name];
    const plain = value === undefined || typeof value === "string";
    const cell = plain
      ? select(base.choices.permissions, value ?? "hidden", (v) => {
        const p = isMap(node.fields) ? node.fields : (node.fields = {});
        if (v === "hidden" && value !== "hidden") delete p[name]; else p[name] = v;
      }, { label: (p) => words(`wfe.perm_${p}`) || p, name: "perm", "data-field": name })
      : el("code", { title: t("wfe.kept") }, JSON.stringify(value));
    return el("tr", { "data-field": name }, el("td", {}, name), el("td", {}, cell), el("td", { class: "wfe-field-problem error" }));
  });
  return el("table", { class: "grid wfe-fields" },
    el("thead", {}, el("tr", {}, el("th", {}, t("wfe.field")), el("th", {}, t("wfe.permission")), el("th", {}))),
    el("tbody", {}, rows));
}

// ---- exits: to, kind (reject: 退回), name, when (a condition, written as in the YAML's JSON) ----
function exitsBox(node, stepIds) {
  if (node.exits !== undefined && !Array.isArray(node.exits)) return el("code", {}, JSON.stringify(node.exits));
  const exits = node.exits ?? [];
  const rows = exits.map((x, i) => {
    if (!isMap(x)) return el("tr", {}, el("td", { colspan: 5 }, el("code", {}, JSON.stringify(x))));
    return el("tr", { "data-exit": i },
      el("td", {}, select(stepIds, x.to ?? "", (v) => { x.to = v; }, { label: stepLabel, blank: "—", name: "exit_to" })),
      el("td", {}, select(["", "reject"], x.kind ?? "", (v) => { if (v) x.kind = v; else delete x.kind; },
        { label: (k) => (k ? t("wf.exit_reject") : t("wfe.exit_normal")), name: "exit_kind" })),
      el("td", {}, input(x.name, (v) => { if (v.trim()) x.name = v.trim(); else delete x.name; }, { class: "short", name: "exit_name" })),
      el("td", {}, el("input", {
        value: x.when === undefined ? "" : JSON.stringify(x.when), name: "exit_when",
        placeholder: '{"field": "…", "eq": "…"}', spellcheck: "false",
        onchange: (e) => {
          // a condition that is not JSON is marked and not taken: the exit keeps its last one
          const v = e.target.value.trim();
          e.target.removeAttribute("aria-invalid");
          if (!v) { delete x.when; return; }
          try { x.when = JSON.parse(v); } catch {
            e.target.setAttribute("aria-invalid", "true");
            toast(t("wfe.bad_condition"), "refused");
          }
        },
      })),
      el("td", {}, button(t("wfe.remove"), () => { exits.splice(i, 1); render(); })));
  });
  return el("div", {},
    el("table", { class: "grid wfe-exits" },
      el("thead", {}, el("tr", {}, el("th", {}, t("wfe.exit_to")), el("th", {}, t("wfe.exit_kind")),
        el("th", {}, t("wfe.exit_name")), el("th", {}, t("wfe.exit_when")), el("th", {}))),
      el("tbody", {}, rows)),
    node.type === "archive" ? null : button(t("wfe.add_exit"), () => { (node.exits = Array.isArray(node.exits) ? node.exits : []).push({ to: "" }); render(); }));
}

let labels = {};
const stepLabel = (id) => (labels[id] && labels[id] !== id ? `${labels[id]}${paren(id)}` : id);

function rename(from, to) {
  for (const n of nodes()) {
    for (const x of Array.isArray(n.exits) ? n.exits : []) if (isMap(x) && x.to === from) x.to = to;
    for (const batch of Array.isArray(n.operators?.batches) ? n.operators.batches : []) {
      for (const rule of Array.isArray(batch) ? batch : []) if (isMap(rule) && rule.previous === from) rule.previous = to;
    }
  }
}

function stepCard(node, i, list) {
  const stepIds = list.filter(isMap).map((n) => String(n.id ?? ""));
  const move = (by) => { const [n] = list.splice(i, 1); list.splice(i + by, 0, n); render(); };
  return el("fieldset", { class: "wfe-step", "data-node": node.id ?? "", "data-index": i },
    el("legend", {}, `${i + 1}. ${node.name ?? node.id ?? ""}`),
    el("div", { class: "wfe-row" },
      el("label", {}, t("wfe.step_id"), " ", input(node.id, (v) => {
        const old = node.id; node.id = v.trim(); if (old) rename(old, node.id); render();
      }, { class: "short", name: "id", required: true })),
      el("label", {}, t("wfe.step_name"), " ", input(node.name, (v) => { if (v.trim()) node.name = v.trim(); else delete node.name; labels[node.id] = node.name; }, { name: "name" })),
      el("label", {}, t("wf.type"), " ", select(base.choices.node_types, node.type ?? "", (v) => { node.type = v; render(); },
        { label: (x) => words(`wf.type_${x}`) || x, name: "type" })),
      el("label", {}, t("wf.step_status"), " ", input(node.status, (v) => { if (v.trim()) node.status = v.trim(); else delete node.status; }, { class: "short", name: "status" })),
      " ", button("↑", () => move(-1), { disabled: i === 0, title: t("wfe.up"), "aria-label": t("wfe.up") }),
      button("↓", () => move(1), { disabled: i === list.length - 1, title: t("wfe.down"), "aria-label": t("wfe.down") }), " ",
      button(t("wfe.remove_step"), () => { if (window.confirm(t("wfe.confirm_remove", { step: node.name ?? node.id }))) { list.splice(i, 1); render(); } })),
    el("h4", {}, t("wfe.operators")), operatorsBox(node, stepIds),
    el("h4", {}, t("wfe.time")), slaBox(node),
    el("h4", {}, t("wf.fields")), fieldsBox(node),
    el("h4", {}, t("wf.exits")), exitsBox(node, stepIds),
    el("ul", { class: "wfe-step-problems error", role: "alert" }));
}

function render() {
  const list = nodes();
  labels = Object.fromEntries(list.filter(isMap).map((n) => [n.id, n.name ?? n.id]));
  stepsBox.replaceChildren(...list.map((n, i) => (isMap(n) ? stepCard(n, i, list) : el("code", {}, JSON.stringify(n)))));
}

function addStep() {
  const list = nodes();
  let n = list.length + 1;
  while (list.some((x) => isMap(x) && x.id === `step${n}`)) n += 1;
  // before the archive step, where a new step usually goes
  const at = list.findIndex((x) => isMap(x) && x.type === "archive");
  const step = { id: `step${n}`, name: t("wfe.new_step"), type: "realize", operators: { batches: [[{ role: "handler" }]] }, exits: [] };
  list.splice(at < 0 ? list.length : at, 0, step);
  render();
  stepsBox.querySelector(`[data-node="step${n}"] input[name=name]`)?.focus();
}

// every problem at the step it names (and the field row it names); the rest above the steps
function showProblems(problems) {
  const general = [];
  stepsBox.querySelectorAll(".wfe-step-problems").forEach((u) => u.replaceChildren());
  stepsBox.querySelectorAll(".wfe-field-problem").forEach((c) => c.replaceChildren());
  stepsBox.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
  for (const p of problems) {
    const card = p.node ? [...stepsBox.querySelectorAll(".wfe-step")].find((c) => c.dataset.node === String(p.node)) : null;
    if (!card) { general.push(p); continue; }
    card.querySelector(".wfe-step-problems").append(el("li", { title: p.message }, hooks.describe(p)));
    const row = p.field ? [...card.querySelectorAll(".wfe-fields tr[data-field]")].find((r) => r.dataset.field === String(p.field)) : null;
    if (row) {
      row.querySelector(".wfe-field-problem").textContent = hooks.describe(p);
      row.querySelector("select")?.setAttribute("aria-invalid", "true");
    }
  }
  generalBox.querySelector("ul").replaceChildren(...general.map((p) => el("li", { title: p.message }, hooks.describe(p))));
  generalBox.hidden = general.length === 0;
  const first = stepsBox.querySelector(".wfe-step-problems li");
  if (first) first.closest(".wfe-step").scrollIntoView({ block: "center" });
}

document.getElementById("wfe-add-step").addEventListener("click", addStep);
document.getElementById("wfe-close").addEventListener("click", () => { panel.hidden = true; doc = null; });
document.getElementById("wfe-save").addEventListener("click", async (e) => {
  if (!doc) return;
  // a field being typed in commits its change first
  document.activeElement?.blur?.();
  await once(e.currentTarget, async () => {
    try {
      const made = await api("/api/workflows", { method: "POST", body: { document: doc } });
      showProblems([]);
      toast(t("wf.imported", made), "ok");
      await hooks.saved(made);
    } catch (err) {
      const problems = Array.isArray(err.details?.problems) ? err.details.problems : [];
      showProblems(problems.length ? problems : [{ id: "", message: err.message }]);
      toast(err.message, "refused");
    }
  });
});
