// 流程配置's step editor, beside the YAML: a version's steps in order, each with its name, who acts
// (operators: roles, the handlers of the site a field names, the previous step's operator…),
// time limit in hours of the calendar in force (工作小时 on business hours, 小时（全天候） on 24x7),
// reminders, the fields' rules (a field required while a condition holds, built like an exit's
// condition and said in words) and the exits. It edits the version's
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

// ---- time limits: hours <-> the definition's durations (30m, 1h, 1h30m; 7d stays) ----
// A limit counts on the calendar in force: the step's own, else the workflow's (business when it
// names none). On business hours an hour is a working hour and a day a working day (the site's);
// on 24x7 every hour counts and a day is 24 hours. Wherever a limit is shown it is labelled so.
const CALENDARS = ["business", "24x7"];
export const calendarInForce = (step, workflow) =>
  (CALENDARS.includes(step) ? step : CALENDARS.includes(workflow) ? workflow : "business");
const DURATION = /^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$/;
const decimal = (n) => String(Math.round(n * 100) / 100);

// a limit as written (1h30m, 7d) in words on its calendar: 1.5 工作小时, 7 个工作日, 2 小时（全天候）;
// one the definition cannot read, as written (the import names it)
export function limitWords(limit, calendar) {
  const m = DURATION.exec(String(limit ?? ""));
  if (!m || !(m[1] || m[2] || m[3])) return String(limit ?? "");
  const [days, hours, minutes] = m.slice(1).map((g) => Number(g || 0));
  const timed = hours + minutes / 60;
  if (calendar === "24x7") {
    return timed ? t("wf.limit_hours_24x7", { n: decimal(days * 24 + timed) }) : t("wf.limit_days_24x7", { n: days });
  }
  const parts = days ? [t("wf.limit_days_business", { n: days })] : [];
  if (timed || !days) parts.push(t("wf.limit_hours_business", { n: decimal(timed) }));
  return parts.join(" ");
}

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
  base = { key: detail.key, version: detail.version, choices: detail.choices, fields, templates: detail.templates ?? [], calendar: doc.calendar };
  // the workflow by its name, as the list shows it (the key is for files and URLs)
  document.getElementById("wfe-title").textContent = t("wfe.title", { name: detail.name, version: detail.version });
  showProblems([]);
  render();
  panel.hidden = false;
  panel.scrollIntoView({ block: "start" });
}

const nodes = () => (Array.isArray(doc.nodes) ? doc.nodes : (doc.nodes = []));
const fieldNames = (type) => Object.entries(base.fields).filter(([, s]) => !type || (s?.type ?? "text") === type).map(([n]) => n);
// a field as the form shows it: its label, else its name (what the document and the lists hold)
const fieldLabel = (name) => (isMap(base.fields[name]) && base.fields[name].label) || name;

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
  const limitProblem = el("span", { class: "wfe-limit-problem error" });
  const limitInput = el("input", {
    type: "number", min: "0", step: "0.25", name: "limit_hours", class: "short",
    value: hours ?? "", placeholder: sla?.limit && hours === null ? String(sla.limit) : "",
    onchange: (e) => {
      // 0 or less is no limit the engine can count: said here, and the save refuses it (empty is none)
      if (!limitTyped(e.target, limitProblem)) return;
      const v = e.target.value.trim();
      if (v === "") { if (isMap(node.sla)) delete node.sla.limit; tidy(); return; }
      ensure().limit = durationOf(v);
    },
  });
  const reminders = Array.isArray(sla?.reminders) ? sla.reminders : [];
  const rows = reminders.map((rem, i) => reminderRow(rem, reminders, i));
  // the hours typed are of the calendar in force, and said so: they follow a change of it
  const unit = el("span", { class: "wfe-limit-unit" });
  const kept = el("span", { class: "muted" });
  const label = () => {
    const calendar = calendarInForce(isMap(node.sla) ? node.sla.calendar : undefined, base.calendar);
    unit.textContent = t(`wfe.hours_${calendar}`);
    kept.textContent = sla?.limit && hours === null ? ` ${t("wfe.limit_kept", { limit: limitWords(sla.limit, calendar) })}` : "";
  };
  label();
  return el("div", { class: "wfe-sla" },
    el("label", {}, t("wfe.limit"), " ", limitInput, " ", unit),
    limitProblem,
    kept,
    sla?.limit_by ? el("span", { class: "muted" }, ` ${t("wfe.limit_by_kept", { field: fieldLabel(sla.limit_by.field ?? "") })}`) : null,
    " ", el("label", {}, t("wfe.calendar"), " ", select(base.choices.calendars, sla?.calendar ?? "",
      (v) => { if (v) ensure().calendar = v; else if (isMap(node.sla)) { delete node.sla.calendar; tidy(); } label(); },
      { blank: `${t("wfe.calendar_inherit")}${paren(t(`wf.calendar_${calendarInForce(undefined, base.calendar)}`))}`,
        label: (c) => words(`wf.calendar_${c}`) || c, name: "calendar" })),
    el("table", { class: "grid wfe-reminders" },
      el("thead", {}, el("tr", {}, el("th", {}, t("wfe.rem_when")), el("th", {}, t("wfe.rem_to")),
        el("th", {}, t("wfe.rem_channels")), el("th", {}, t("wfe.rem_template")), el("th", {}, t("wfe.rem_urgency")), el("th", {}))),
      el("tbody", {}, rows)),
    button(t("wfe.add_reminder"), () => {
      const s = ensure();
      (s.reminders = Array.isArray(s.reminders) ? s.reminders : []).push({ before: "15m", notify: { current_handlers: true }, channels: ["screen"] });
      render();
    }));
}

// a time limit's hours as typed: empty (no limit) or more than 0; anything else marked at the
// input, in words, and false
function limitTyped(input, problem) {
  const v = input.value.trim();
  const ok = v === "" || Number(v) > 0;
  problem.textContent = ok ? "" : t("wfe.limit_not_positive");
  if (ok) input.removeAttribute("aria-invalid");
  else input.setAttribute("aria-invalid", "true");
  return ok;
}

function reminderRow(rem, list, i) {
  if (!isMap(rem)) return el("tr", {}, el("td", { colspan: 6 }, el("code", {}, JSON.stringify(rem))));
  const when = "after" in rem && !("before" in rem) ? "after" : "before";
  const to = rem.notify ?? rem.to;
  const toKey = to === undefined || (isMap(to) && to.current_handlers === true && Object.keys(to).length === 1) ? "current_handlers"
    : isMap(to) && Object.keys(to).length === 1 && typeof to.role === "string" ? `role:${to.role}` : "kept";
  const toChoices = ["current_handlers", ...base.choices.roles.map((r) => `role:${r}`), ...(toKey === "kept" ? ["kept"] : [])];
  const channels = Array.isArray(rem.channels) ? rem.channels : ["screen"];
  const templatesCell = el("td", { class: "wfe-rem-templates" });
  const drawTemplates = () => templatesCell.replaceChildren(...reminderTemplates(rem));
  drawTemplates();
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
        // a channel no longer used takes its template with it (the import refuses one left behind)
        if (!e.target.checked && isMap(rem.templates)) {
          delete rem.templates[c];
          if (!Object.keys(rem.templates).length) delete rem.templates;
        }
        drawTemplates();
      },
    }), words(`wfe.channel_${c}`) || c))),
    templatesCell,
    el("td", {}, select(base.choices.urgencies, rem.urgency ?? "normal", (v) => { rem.urgency = v; },
      { label: (u) => words(`wfe.urgency_${u}`) || u, name: "rem_urgency" })),
    el("td", {}, button(t("wfe.remove"), () => { list.splice(i, 1); render(); })));
}

// a reminder's message template per channel it goes by (templates: {sms: {category, node}}, the
// template's identity in every installation; a version stored before may name it by id, {sms: 12}):
// the SMS / e-mail templates to the handler of the workflow's categories (GET …/{version}
// templates), by name; none: the engine's own words (即将超期…). Picking one writes its category
// and step. A template no longer offered (停用, gone, not made in this installation) stays shown
// as picked, marked, until the admin picks another: the save names it.
const KEPT = "kept";
function pickedTemplate(offered, current) {
  const same = (tpl) => (isMap(current) ? tpl.category === current.category && tpl.node === current.node : tpl.id === current);
  // by category and step the enabled one is meant (one at a time), else the latest 停用 one
  return offered.find((tpl) => same(tpl) && tpl.enabled) ?? offered.filter(same).at(-1);
}

function reminderTemplates(rem) {
  const channels = Array.isArray(rem.channels) ? rem.channels : ["screen"];
  const picked = isMap(rem.templates) ? rem.templates : {};
  const cells = base.choices.template_channels.filter((c) => channels.includes(c)).map((c) => {
    const offered = base.templates.filter((tpl) => tpl.channel === c);
    const current = picked[c];
    const known = current === undefined ? undefined : pickedTemplate(offered, current);
    const choices = [el("option", { value: "" }, t("wfe.rem_template_default"))];
    for (const tpl of offered) {
      if (!tpl.enabled && tpl !== known) continue;
      choices.push(el("option", { value: String(tpl.id), selected: tpl === known },
        tpl.enabled ? tpl.name : `${tpl.name}${t("wfe.rem_template_disabled")}`));
    }
    if (current !== undefined && !known) {
      const named = isMap(current) ? `${current.category}/${current.node}` : `#${current}`;
      choices.push(el("option", { value: KEPT, selected: true }, t("wfe.rem_template_missing", { id: named })));
    }
    return el("label", { class: "wfe-rem-template" }, `${words(`wfe.channel_${c}`) || c}${t("wf.problem_colon")}`,
      el("select", {
        name: `rem_template_${c}`, "data-channel": c,
        onchange: (e) => {
          const chosen = e.target.value;
          if (chosen === KEPT) return;  // the one the version names, as it was
          const now = isMap(rem.templates) ? rem.templates : (rem.templates = {});
          const tpl = offered.find((x) => String(x.id) === chosen);
          if (tpl) now[c] = { category: tpl.category, node: tpl.node }; else delete now[c];
          if (!Object.keys(now).length) delete rem.templates;
        },
      }, choices));
  });
  return [...(cells.length ? cells : [el("span", { class: "muted" }, t("wfe.rem_template_screen"))]),
    el("div", { class: "wfe-rem-problem error" })];
}

// ---- the fields' rules at the step: visible / editable / required, or required while a
// condition on the form holds ({required_when: <condition>}: 故障范围 while 大面积停电 is ticked);
// unlisted = hidden. The condition is said in words and built as an exit's (below) from the
// form's other fields; a rule with other keys is kept as it was, shown as written. ----
const CONDITIONAL = "required_when";
const isConditional = (value) => isMap(value) && Object.keys(value).every((k) => k === CONDITIONAL);

function fieldsBox(node) {
  const perms = isMap(node.fields) ? node.fields : null;
  const names = [...fieldNames(), ...Object.keys(perms ?? {}).filter((n) => !(n in base.fields))];
  if (!names.length) return null;
  const rows = names.map((name) => el("tr", { "data-field": name },
    el("td", {}, fieldLabel(name)), el("td", {}, permissionCell(node, name)), el("td", { class: "wfe-field-problem error" })));
  return el("table", { class: "grid wfe-fields" },
    el("thead", {}, el("tr", {}, el("th", {}, t("wfe.field")), el("th", {}, t("wfe.permission")), el("th", {}))),
    el("tbody", {}, rows));
}

function permissionCell(node, name) {
  const cell = el("div", { class: "wfe-perm" });
  const loaded = isMap(node.fields) ? node.fields[name] : undefined;
  const others = fieldNames().filter((n) => n !== name);
  const draw = () => {
    const value = isMap(node.fields) ? node.fields[name] : undefined;
    if (value !== undefined && typeof value !== "string" && !isConditional(value)) {
      cell.replaceChildren(el("code", { title: t("wfe.kept") }, JSON.stringify(value)));
      return;
    }
    const choices = [...base.choices.permissions, ...(others.length ? [CONDITIONAL] : [])];
    const perm = select(choices, isConditional(value) ? CONDITIONAL : value ?? "hidden", (v) => {
      const p = isMap(node.fields) ? node.fields : (node.fields = {});
      if (v === CONDITIONAL) {
        // a first condition to change: the first other field, its type's first comparison
        const op = opsFor(others[0])[0];
        p[name] = { [CONDITIONAL]: { field: others[0], [op]: defaultValue(others[0], op) } };
      } else if (v === "hidden" && loaded !== "hidden") delete p[name];
      else p[name] = v;
      draw();
    }, { label: (p) => words(`wfe.perm_${p}`) || p, name: "perm", "data-field": name });
    if (!isConditional(value)) {
      cell.replaceChildren(perm);
      return;
    }
    const said = el("div", { class: "wfe-rw-words" });
    const say = () => {
      const condition = value[CONDITIONAL];
      said.className = condition === undefined ? "wfe-rw-words error" : "wfe-rw-words";
      said.textContent = condition === undefined ? t("wfe.rw_none") : t("wfe.rw_words", { condition: conditionWords(condition) });
    };
    cell.replaceChildren(perm, said, conditionBox(value, CONDITIONAL, { fields: others, changed: say }));
  };
  draw();
  return cell;
}

// ---- exit conditions: {field, <operator>: value}, several joined by all (且) or any (或) ----
// The operators a field's type takes come from the server (choices.condition_operators: what the
// engine evaluates for that type, and all the import accepts); the value is picked from the
// field's options, 是/否 for a checkbox, a number for a number field. A condition the builder
// cannot show (not, nesting) stays JSON, as written.
const FLAG_OPS = ["empty", "filled", "truthy", "falsy"];
const LIST_OPS = ["in", "not_in"];
const opOf = (leaf) => Object.keys(leaf).find((k) => k !== "field");
const isLeaf = (c) => isMap(c) && typeof c.field === "string" && Object.keys(c).length === 2;
const typeOf = (name) => base.fields[name]?.type ?? "text";
const opsFor = (name) => base.choices.condition_operators[typeOf(name)] ?? base.choices.condition_operators_other;

// {join, leaves} for a condition the builder shows, or null
function structured(when) {
  if (when === undefined) return { join: "all", leaves: [] };
  if (isLeaf(when)) return { join: "all", leaves: [when] };
  if (isMap(when) && Object.keys(when).length === 1) {
    const join = "all" in when ? "all" : "any" in when ? "any" : null;
    if (join && Array.isArray(when[join]) && when[join].every(isLeaf)) return { join, leaves: when[join] };
  }
  return null;
}

// a value the field can hold, as the operator wants it (a list for in / not_in, true for a switch)
function defaultValue(name, op) {
  if (FLAG_OPS.includes(op)) return true;
  const spec = base.fields[name] ?? {};
  const type = typeOf(name);
  const one = type === "select" ? (spec.options ?? [""])[0] ?? "" : type === "checkbox" ? true : type === "number" ? 0 : "";
  return LIST_OPS.includes(op) ? [one] : one;
}

function listText(values) {
  return (Array.isArray(values) ? values : []).map(String).join("、");
}

function valueControl(leaf, op) {
  const name = leaf.field;
  const type = typeOf(name);
  const spec = base.fields[name] ?? {};
  const value = leaf[op];
  if (FLAG_OPS.includes(op)) return null;
  if (type === "select" && LIST_OPS.includes(op)) {
    const chosen = new Set(Array.isArray(value) ? value : []);
    return el("span", { class: "wfe-cond-options" }, (spec.options ?? []).map((o) => el("label", { class: "check" },
      el("input", {
        type: "checkbox", name: "cond_option", value: String(o), checked: chosen.has(o),
        onchange: (e) => {
          if (e.target.checked) chosen.add(o); else chosen.delete(o);
          leaf[op] = (spec.options ?? []).filter((x) => chosen.has(x));
        },
      }), String(o))));
  }
  if (type === "select") {
    return select((spec.options ?? []).map(String), value === undefined ? "" : String(value), (v) => {
      leaf[op] = (spec.options ?? []).find((o) => String(o) === v) ?? v;
    }, { name: "cond_value", "aria-label": t("wfe.cond_value") });
  }
  if (type === "checkbox") {
    return select(["true", "false"], value === false ? "false" : value === true ? "true" : String(value),
      (v) => { leaf[op] = v === "true"; },
      { name: "cond_value", label: (v) => t(v === "true" ? "wfe.bool_true" : "wfe.bool_false"), "aria-label": t("wfe.cond_value") });
  }
  if (LIST_OPS.includes(op)) {
    return input(listText(value), (v) => {
      const parts = v.split(/[、,，]/).map((x) => x.trim()).filter(Boolean);
      leaf[op] = type === "number" ? parts.map((x) => (Number.isFinite(Number(x)) ? Number(x) : x)) : parts;
    }, { name: "cond_value", placeholder: t("wfe.cond_list_hint"), "aria-label": t("wfe.cond_value") });
  }
  if (type === "number") {
    return input(value, (v) => {
      // a number the field can hold; what is not one is sent as typed, and the save names it
      leaf[op] = v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
    }, { type: "number", step: "any", class: "short", name: "cond_value", "aria-label": t("wfe.cond_value") });
  }
  return input(value, (v) => { leaf[op] = v; }, { name: "cond_value", "aria-label": t("wfe.cond_value") });
}

function conditionRow(leaf, index, state, commit, redraw, fields) {
  const op = opOf(leaf);
  const ops = opsFor(leaf.field);
  return el("div", { class: "wfe-cond", "data-cond": index },
    select(fields, leaf.field, (v) => {
      // the new field keeps the operator when its type takes it, else its type's first
      const keep = opsFor(v).includes(op) ? op : opsFor(v)[0];
      for (const k of Object.keys(leaf)) delete leaf[k];
      leaf.field = v;
      if (keep) leaf[keep] = defaultValue(v, keep);
      redraw();
    }, { name: "cond_field", label: fieldLabel, "aria-label": t("wfe.cond_field") }),
    " ",
    select(ops, op ?? "", (v) => {
      const old = leaf[op];
      delete leaf[op];
      // a value of the same shape is kept (等于 → 不等于, 为其中之一 → 不为其中任何一个), else the field's first
      const scalar = (o) => !FLAG_OPS.includes(o) && !LIST_OPS.includes(o);
      const fits = (scalar(op) && scalar(v)) || (LIST_OPS.includes(op) && LIST_OPS.includes(v));
      leaf[v] = fits ? old : defaultValue(leaf.field, v);
      redraw();
    }, { name: "cond_op", label: (o) => words(`wfe.op_${o}`) || o, "aria-label": t("wfe.cond_op") }),
    " ", valueControl(leaf, op), " ",
    button(t("wfe.remove"), () => { state.leaves.splice(index, 1); commit(); redraw(); }, { "data-remove": "cond" }));
}

// the condition at holder[key] (an exit's when, a field's required_when), built from the fields
// it may test (an exit: all; required_when: the others); changed() after each change, to say it
// anew. Without a condition an exit is taken otherwise (none: that said); one the builder cannot
// show stays JSON.
function conditionBox(holder, key, { fields = fieldNames(), none = "", changed = () => {} } = {}) {
  const box = el("div", { class: "wfe-conditions" });
  const redraw = () => {
    const state = structured(holder[key]);
    if (state === null) {
      box.replaceChildren(el("p", { class: "muted" }, t("wfe.cond_json")), ...jsonCondition(holder, key, redraw));
      changed();
      return;
    }
    // the condition is these, written back on each change (one as itself, several joined)
    const commit = () => {
      if (!state.leaves.length) delete holder[key];
      else if (state.leaves.length === 1) holder[key] = state.leaves[0];
      else holder[key] = { [state.join]: state.leaves };
    };
    const rows = state.leaves.map((leaf, i) => conditionRow(leaf, i, state, commit, redraw, fields));
    // replaceChildren would write a null as the text "null"
    box.replaceChildren(...[
      state.leaves.length > 1 ? el("label", {}, t("wfe.cond_join"), " ", select(["all", "any"], state.join, (v) => { state.join = v; commit(); },
        { name: "cond_join", label: (j) => t(`wfe.cond_join_${j}`) })) : null,
      state.leaves.length || !none ? null : el("span", { class: "muted" }, none),
      ...rows,
      button(t("wfe.cond_add"), () => {
        const field = fields[0];
        if (!field) return;
        const op = opsFor(field)[0];
        state.leaves.push({ field, [op]: defaultValue(field, op) });
        commit();
        redraw();
      }, { "data-add": "cond" })].filter(Boolean));
    changed();
  };
  // a value typed or picked changes the leaf in place: said anew as it bubbles here
  box.addEventListener("change", () => changed());
  redraw();
  return box;
}

// a condition the builder cannot show, as JSON: one that does not parse as a condition's mapping
// is marked, said beside it and not taken; emptied, the builder is offered again
function jsonCondition(holder, key, redraw) {
  const error = el("span", { class: "error wfe-cond-error", role: "alert" });
  const field = el("input", {
    value: holder[key] === undefined ? "" : JSON.stringify(holder[key]), name: "cond_json",
    placeholder: '{"field": "…", "eq": "…"}', spellcheck: "false", "aria-label": t("wfe.cond_json_label"),
    onchange: (e) => {
      const v = e.target.value.trim();
      e.target.removeAttribute("aria-invalid");
      error.textContent = "";
      if (!v) { delete holder[key]; redraw(); return; }
      let parsed = null;
      try { parsed = JSON.parse(v); } catch { parsed = null; }
      if (!isMap(parsed)) {
        e.target.setAttribute("aria-invalid", "true");
        error.textContent = t("wfe.bad_condition");
        return;
      }
      holder[key] = parsed;
      if (structured(parsed) !== null) redraw();
    },
  });
  return [field, " ", error];
}

// a condition in words, as the admin reads it: 「大面积停电」等于“是”, several joined by 且 / 或,
// 并非（…）; fields by their labels, comparisons and values as the builder offers them
function conditionWords(condition) {
  if (!isMap(condition)) return JSON.stringify(condition);
  const nested = (c) => (isMap(c) && ("all" in c || "any" in c) ? paren(conditionWords(c)).trim() : conditionWords(c));
  for (const join of ["all", "any"]) {
    if (Array.isArray(condition[join])) return condition[join].map(nested).join(t(`wfe.cond_words_${join}`));
  }
  if ("not" in condition) return t("wfe.cond_words_not", { condition: conditionWords(condition.not) });
  let op = opOf(condition);
  let value = condition[op];
  const field = fieldLabel(String(condition.field ?? ""));
  if (FLAG_OPS.includes(op)) {
    // filled: false is 为空, truthy: false 未勾选
    if (value === false) op = { empty: "filled", filled: "empty", truthy: "falsy", falsy: "truthy" }[op];
    return t("wfe.cond_words_flag", { field, op: words(`wfe.op_${op}`) || op });
  }
  const one = (v) => (v === true ? t("wfe.bool_true") : v === false ? t("wfe.bool_false") : String(v));
  value = Array.isArray(value) ? value.map(one).join("、") : one(value);
  return t("wfe.cond_words", { field, op: words(`wfe.op_${op}`) || op, value });
}

// ---- exits: to, kind (reject: 退回), name, when (the conditions above) ----
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
      el("td", { class: "wfe-when" }, conditionBox(x, "when", { none: t("wfe.cond_none") }), el("div", { class: "wfe-exit-problem error" })),
      el("td", {},
        // the engine takes the first exit whose condition holds: the order is the admin's to set
        button("↑", () => { exits.splice(i - 1, 0, ...exits.splice(i, 1)); render(); },
          { disabled: i === 0, title: t("wfe.up"), "aria-label": t("wfe.exit_up") }), " ",
        button(t("wfe.remove"), () => { exits.splice(i, 1); render(); })));
  });
  return el("div", {},
    el("table", { class: "grid wfe-exits" },
      el("thead", {}, el("tr", {}, el("th", {}, t("wfe.exit_to")), el("th", {}, t("wfe.exit_kind")),
        el("th", {}, t("wfe.exit_name")), el("th", {}, t("wfe.exit_when")), el("th", {}))),
      el("tbody", {}, rows)),
    exits.length > 1 ? el("p", { class: "muted" }, t("wfe.exit_order")) : null,
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

// in a condition's builder, the control a problem is about: the value refused, the comparison the
// tested field's type does not take, or the field tested (unknown, or the field itself); a
// condition shown as JSON, its text
function conditionControl(box, tested, wrong) {
  const cond = [...box.querySelectorAll(".wfe-cond")].find((c) => c.querySelector("select[name=cond_field]")?.value === String(tested ?? ""));
  const control = { value: "[name=cond_value], [name=cond_option]", operator: "select[name=cond_op]", field: "select[name=cond_field]" }[wrong];
  return (cond && control ? cond.querySelector(control) : null) ?? box.querySelector("input[name=cond_json]");
}
// what of a required_when the import refused, by its reason
const REQUIRED_WHEN_WRONG = { bad_value: "value", operator_not_for_type: "operator", unknown_field: "field", tests_itself: "field" };

// every problem at the step it names (and the field row it names); the rest above the steps
function showProblems(problems) {
  const general = [];
  stepsBox.querySelectorAll(".wfe-step-problems").forEach((u) => u.replaceChildren());
  stepsBox.querySelectorAll(".wfe-field-problem, .wfe-exit-problem, .wfe-rem-problem, .wfe-limit-problem").forEach((c) => c.replaceChildren());
  stepsBox.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
  for (const p of problems) {
    const card = p.node ? [...stepsBox.querySelectorAll(".wfe-step")].find((c) => c.dataset.node === String(p.node)) : null;
    if (!card) { general.push(p); continue; }
    card.querySelector(".wfe-step-problems").append(el("li", { title: p.message }, hooks.describe(p)));
    // a condition's problem at its exit (and the condition testing the field), a template's at its reminder
    const exit = p.exit ? card.querySelector(`.wfe-exits tr[data-exit="${Number(p.exit) - 1}"]`) : null;
    if (exit) {
      exit.querySelector(".wfe-exit-problem")?.append(el("div", {}, hooks.describe(p)));
      const target = p.id === "unknown_exit_target" ? exit.querySelector("select[name=exit_to]")
        : conditionControl(exit, p.field, p.id === "condition_bad_value" ? "value" : "operator");
      target?.setAttribute("aria-invalid", "true");
      continue;
    }
    const reminder = p.reminder ? card.querySelector(`.wfe-reminders tr[data-reminder="${Number(p.reminder) - 1}"]`) : null;
    if (reminder) {
      reminder.querySelector(".wfe-rem-problem")?.append(el("div", {}, hooks.describe(p)));
      reminder.querySelector(`select[name=rem_template_${p.channel}]`)?.setAttribute("aria-invalid", "true");
      continue;
    }
    // a step whose reminders or overrun have no time limit to count from: its time limit
    if (p.id === "sla_without_limit") card.querySelector("input[name=limit_hours]")?.setAttribute("aria-invalid", "true");
    const row = p.field ? [...card.querySelectorAll(".wfe-fields tr[data-field]")].find((r) => r.dataset.field === String(p.field)) : null;
    if (row) {
      row.querySelector(".wfe-field-problem").textContent = hooks.describe(p);
      row.querySelector("select[name=perm]")?.setAttribute("aria-invalid", "true");
      // a required_when's: the part of its condition that is wrong, too
      const wrong = p.id === "bad_required_when" ? REQUIRED_WHEN_WRONG[p.reason] : null;
      if (wrong) conditionControl(row, p.tests, wrong)?.setAttribute("aria-invalid", "true");
    }
  }
  generalBox.querySelector("ul").replaceChildren(...general.map((p) => el("li", { title: p.message }, hooks.describe(p))));
  generalBox.hidden = general.length === 0;
  const first = stepsBox.querySelector(".wfe-step-problems li");
  if (first) first.closest(".wfe-step").scrollIntoView({ block: "center" });
  focusMarked();
}

// the first control marked wrong, for the admin to put right (the page is long)
function focusMarked() {
  const marked = stepsBox.querySelector("[aria-invalid=true]");
  if (!marked) return false;
  marked.scrollIntoView({ block: "center" });
  marked.focus();
  return true;
}

document.getElementById("wfe-add-step").addEventListener("click", addStep);
document.getElementById("wfe-close").addEventListener("click", () => { panel.hidden = true; doc = null; });
document.getElementById("wfe-save").addEventListener("click", async (e) => {
  if (!doc) return;
  // a field being typed in commits its change first
  document.activeElement?.blur?.();
  // a time limit of 0 or less is not sent: it is marked where it was typed
  const limits = [...stepsBox.querySelectorAll("input[name=limit_hours]")];
  if (!limits.every((input) => limitTyped(input, input.closest(".wfe-sla").querySelector(".wfe-limit-problem")))) {
    focusMarked();
    toast(t("wfe.limit_not_positive"), "refused");
    return;
  }
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
