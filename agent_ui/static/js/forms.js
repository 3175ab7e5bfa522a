// Workflow form fields as inputs: permission decides visible (read-only), editable, required.
import { api, el } from "./api.js";
import { paren, t } from "./i18n.js";

let sitesPromise = null;
const sites = () => (sitesPromise ??= api("/api/sites").then((r) => r.sites).catch(() => []));
// the sites a customer belongs to and an order is of (所属单位, 所属供电局): enabled, and serving
// customers (serves_customers: not the 客户服务中心 the agents sit at)
export const customerSites = async () => (await sites()).filter((s) => s.enabled && s.serves_customers);
// a site's code by its id (a customer record names its site by id), "" when unknown
export const siteCode = async (id) => (id == null ? "" : (await sites()).find((s) => s.id === id)?.code || "");
const contractorLists = new Map();
// 外委单位 to pick from: the ones that may take this order (active, its category, its site in
// their service area); one already chosen that no longer fits still shows, by id
const contractors = (query) => {
  const key = JSON.stringify(query);
  if (!contractorLists.has(key)) contractorLists.set(key, api("/api/contractors", { query }).then((r) => r.items).catch(() => []));
  return contractorLists.get(key);
};

// 抢修班组 an order may be dispatched to (GET /api/crews?order=): active, of its site and the
// sites above it, or with all its whole bureau's; none before the order exists. Asked at each
// drawing: a crew an admin added or disabled meanwhile shows as it now is
// ({items, fills}: what a pick fills, per crew field)
const crews = (order, all) => (order == null ? Promise.resolve({ items: [], fills: {} })
  : api("/api/crews", { query: all ? { order, all: 1 } : { order } }).catch(() => ({ items: [], fills: {} })));
const CHINESE_COMMA = (document.documentElement.lang || "zh-CN").startsWith("zh") ? "，" : ", ";
// A crew in words, from the register (phones) or as an order keeps it (phone): 城东抢修一班（张强 13800001111，粤A·12345）
const crewText = (c) => {
  const about = [c.leader, c.phone ?? c.phones?.[0]].filter(Boolean).join(" ");
  const rest = [about, c.vehicle].filter(Boolean).join(CHINESE_COMMA);
  return rest ? `${c.name}${paren(rest)}` : c.name;
};
// What of a picked crew fills which field (the field's ``fills``: {people: 抢修人员, phone: 班组电话,
// vehicle: 车辆}); ``people``: the leader, then the members, each once (杨班长、周伟、徐芳), or
// the crew's name when it names nobody, as ticketing.crews.people words it on the server
const crewPeople = (c) => [...new Set([c.leader, ...(c.members || [])].filter(Boolean))].join("、") || c.name;
const crewPart = (c, part) => (part === "phone" ? c.phones?.[0] : part === "members" ? (c.members || []).join("、")
  : part === "people" ? crewPeople(c) : c[part]) || "";

// The crew picker: the order's crews, the one it holds kept (停用 or of another 供电所 since, as
// the order keeps it); 本局全部班组 lists the bureau's other 供电所's crews too. Picking one fills
// the fields its ``fills`` names that this step lets the user edit (the server does the same
// for a client that sends only the crew's id, and keeps the crew's snapshot on the order).
function crewPicker(field, common, { items: list, fills }, order) {
  const chosen = field.value && typeof field.value === "object" ? field.value : null;
  const select = el("select", common);
  const fill = (items) => {
    const keep = select.value || (chosen ? String(chosen.id) : "");
    select.replaceChildren(el("option", { value: "" }, "—"),
      ...items.map((c) => el("option", { value: c.id }, crewText(c))));
    if (chosen && !items.some((c) => c.id === chosen.id)) select.append(el("option", { value: chosen.id }, crewText(chosen)));
    select.value = keep;
    select.items = items;
  };
  fill(list);
  select.addEventListener("change", () => {
    const crew = (select.items || []).find((c) => String(c.id) === select.value);
    const grid = select.closest(".form-grid");
    if (!crew || !grid) return;
    for (const [part, target] of Object.entries(fills[field.name] || {})) {
      const input = grid.querySelector(`[data-field="${CSS.escape(target)}"]`);
      if (input && !input.disabled) input.value = crewPart(crew, part);
    }
  });
  const wholeBureau = el("input", { type: "checkbox", id: `${common.id}-all`, disabled: common.disabled });
  wholeBureau.addEventListener("change", async () => fill((await crews(order, wholeBureau.checked)).items));
  return el("span", { class: "crew-picker" }, select, " ",
    el("label", { class: "check", for: `${common.id}-all` }, wholeBureau, ` ${t("crew.whole_bureau")}`));
}

// keep: values typed but not saved yet survive a re-render of the same step
// contractorsFor: whom a contractor field offers ({order} or {workflow, form}, see GET /api/contractors)
export async function renderFields(container, fields, { prefix = "f", keep = false, contractorsFor = { active: 1 } } = {}) {
  const siteList = fields.some((f) => f.type === "site") ? await sites() : [];
  const contractorList = fields.some((f) => f.type === "contractor") ? await contractors(contractorsFor) : [];
  const crewOrder = contractorsFor.order;  // the order page's; intake has no crew to pick (no 派工 yet)
  const crewList = fields.some((f) => f.type === "crew" && f.permission !== "visible") ? await crews(crewOrder, false) : null;
  const grid = el("div", { class: "form-grid" });
  for (const field of fields) {
    const id = `${prefix}-${field.name}`;
    const readOnly = field.permission === "visible";
    const required = field.permission === "required";
    const label = el("label", { for: id, class: required ? "req" : "", "data-label-of": field.name }, field.label);
    let input;
    // the limits the server checks on save, as it sends them with each field (a text field's
    // default max_length included; absent ones are left out by el)
    const maxlength = field.max_length;
    const common = { id, name: field.name, "data-field": field.name, "data-type": field.type, required, disabled: readOnly, maxlength };
    if (field.type === "textarea") {
      input = el("textarea", common, field.value ?? "");
    } else if (field.type === "select") {
      input = el("select", common, el("option", { value: "" }, "—"),
        field.options.map((o) => el("option", { value: o, selected: field.value === o }, o)));
    } else if (field.type === "site") {
      input = el("select", common, el("option", { value: "" }, "—"));
      // a 停用 site takes no new order, nor does the 客户服务中心 serve an address (a fault 所属供电局
      // there reached no repairer): offered only to the order that already names it
      for (const s of siteList.filter((x) => (x.enabled && x.serves_customers) || x.code === field.value)) {
        input.append(el("option", { value: s.code, selected: field.value === s.code },
          `${s.name}${paren(s.code)}${s.enabled ? "" : ` · ${t("site.disabled")}`}`));
      }
    } else if (field.type === "contractor") {
      input = el("select", common, el("option", { value: "" }, "—"));
      for (const c of contractorList) input.append(el("option", { value: c.id, selected: field.value === c.id }, c.name));
      if (field.value && !contractorList.some((c) => c.id === field.value)) input.append(el("option", { value: field.value, selected: true }, `#${field.value}`));
    } else if (field.type === "crew" && readOnly) {
      // the crew as the order keeps it, in words (a condition on the field reads it as text)
      input = el("input", { ...common, "data-type": "text", type: "text", value: field.value && typeof field.value === "object" ? crewText(field.value) : "" });
    } else if (field.type === "crew") {
      input = crewPicker(field, common, crewList, crewOrder);
    } else if (field.type === "checkbox") {
      input = el("input", { ...common, type: "checkbox", checked: field.value === true, required: false });
    } else if (field.type === "number") {
      input = el("input", { ...common, type: "number", min: field.min, max: field.max, value: field.value ?? "" });
    } else if (field.type === "datetime" && readOnly) {
      input = el("input", { ...common, type: "text", value: datetimeText(field.value) });
    } else if (field.type === "datetime") {
      // ``default: now``: an empty one starts at the time the step is shown (派工时间: the
      // dispatcher sends the crew now), the site's wall time; the user may change it
      const start = !field.value && field.default === "now" ? nowWallTime() : wallTime(field.value);
      input = el("input", { ...common, type: "datetime-local", value: start });
    } else {
      input = el("input", { ...common, type: field.type === "phone" ? "tel" : "text", value: field.value ?? "" });
    }
    const wide = field.type === "textarea";
    if (wide) input.classList.add("wide");
    grid.append(label, input);
    if (wide) label.style.gridColumn = "1";
  }
  // read what is on screen only now, right before replacing it, so nothing typed meanwhile is lost
  const typed = keep ? readFields(container) : {};
  container.replaceChildren(grid);
  for (const [name, value] of Object.entries(typed)) {
    const input = grid.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!input || input.disabled) continue;
    if (input.type === "checkbox") input.checked = value === true; else input.value = value;
  }
  followRequiredWhen(grid, fields);
  return grid;
}

// A field required while a condition on the form holds (``required_when`` in the step's fields,
// e.g. 故障范围 while 大面积停电 is ticked): marked required (the label's asterisk, the input's
// required) while the values on screen meet it, again at each change. The server holds the
// form to the same rule (ticketing.workflow.forms.missing_when_required).
function followRequiredWhen(grid, fields) {
  const conditional = fields.filter((f) => f.required_when && f.permission !== "visible");
  if (!conditional.length) return;
  const stored = Object.fromEntries(fields.map((f) => [f.name, f.value]));
  const update = () => {
    const values = { ...stored, ...screenValues(grid) };
    for (const field of conditional) {
      const input = grid.querySelector(`[data-field="${CSS.escape(field.name)}"]`);
      const label = grid.querySelector(`[data-label-of="${CSS.escape(field.name)}"]`);
      const required = field.permission === "required" || meets(field.required_when, values);
      if (input) input.required = required;
      label?.classList.toggle("req", required);
    }
  };
  grid.addEventListener("change", update);
  grid.addEventListener("input", update);
  update();
}

// Every value on screen, read-only ones too (a condition may test a field the step only shows).
function screenValues(container) {
  const values = {};
  for (const input of container.querySelectorAll("[data-field]")) {
    const type = input.dataset.type;
    if (type === "checkbox") values[input.name] = input.checked;
    else if (type === "number" || type === "contractor" || type === "crew") values[input.name] = input.value === "" ? null : Number(input.value);
    else values[input.name] = input.value;
  }
  return values;
}

const isEmpty = (v) => v == null || (typeof v === "string" && v.trim() === "") || (Array.isArray(v) && !v.length);

// A workflow condition ({field, eq | ne | in | not_in | empty | filled | truthy | falsy | gt | lt},
// all / any / not) on the form's values, as ticketing.workflow.conditions.evaluate reads it.
export function meets(condition, values) {
  if (!condition) return true;
  if (condition.all) return condition.all.every((c) => meets(c, values));
  if (condition.any) return condition.any.some((c) => meets(c, values));
  if (condition.not) return !meets(condition.not, values);
  const value = values[condition.field];
  if ("eq" in condition) return value === condition.eq;
  if ("ne" in condition) return value !== condition.ne;
  if ("in" in condition) return condition.in.includes(value);
  if ("not_in" in condition) return !condition.not_in.includes(value);
  if ("empty" in condition) return isEmpty(value) === Boolean(condition.empty);
  if ("filled" in condition) return !isEmpty(value) === Boolean(condition.filled);
  if ("truthy" in condition) return Boolean(value) === Boolean(condition.truthy);
  if ("falsy" in condition) return !value === Boolean(condition.falsy);
  if ("gt" in condition) return value != null && value > condition.gt;
  if ("lt" in condition) return value != null && value < condition.lt;
  return false;
}

// The site's time zone (the page's meta site-tz), which datetime fields are wall times of.
const siteTz = document.querySelector('meta[name="site-tz"]')?.content || "Asia/Shanghai";
const siteClock = new Intl.DateTimeFormat("sv-SE", {
  timeZone: siteTz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

// A datetime field's value as the datetime-local input takes it ("2026-11-27T20:51", the site's
// wall time, which the server stores). A value stored with an offset before the server made
// them all wall times ("2026-11-27T12:51:02+00:00") is converted to the site's zone; one with a
// space for the T or with seconds is cut to the minute. Anything else is left as it is.
export function wallTime(value) {
  const text = String(value ?? "").trim();
  const parts = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(?:\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text);
  if (!parts) return text;
  const [, date, time, seconds = ":00", offset] = parts;
  if (!offset) return `${date}T${time}`;
  const digits = offset.replace(":", "");
  const zone = /^z$/i.test(offset) ? "Z" : `${digits.slice(0, 3)}:${digits.slice(3) || "00"}`;
  const instant = new Date(`${date}T${time}${seconds}${zone}`);
  if (Number.isNaN(instant.getTime())) return text;
  return siteClock.format(instant).replace(" ", "T");
}

// The site's wall time now, as a datetime-local input takes it ("2026-11-29T13:05").
export const nowWallTime = () => siteClock.format(new Date()).replace(" ", "T");

// A read-only date-time (site wall-clock "2026-11-27T18:00") as the page's language writes it:
// a disabled datetime-local input would show the browser's locale (11/27/2026, 06:00 PM).
function datetimeText(value) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(wallTime(value));
  if (!parts) return value ?? "";
  const [, year, month, day, hour, minute] = parts;
  const lang = document.documentElement.lang || "zh-CN";
  if (lang.startsWith("zh")) return `${year}-${month}-${day} ${hour}:${minute}`;
  // wall-clock parts, no zone to convert: formatted as UTC so they come out unchanged
  return new Intl.DateTimeFormat(lang, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC",
  }).format(Date.UTC(+year, +month - 1, +day, +hour, +minute));
}

// Only the fields the user may change, typed the way the workflow expects.
export function readFields(container) {
  const values = {};
  for (const input of container.querySelectorAll("[data-field]")) {
    if (input.disabled) continue;
    const type = input.dataset.type;
    if (type === "checkbox") values[input.name] = input.checked;
    else if (type === "number" || type === "contractor" || type === "crew") { if (input.value !== "") values[input.name] = Number(input.value); }
    else if (input.value !== "") values[input.name] = input.value;
  }
  return values;
}

// An input as a refusal names it (``problem``: marked, the problem in words as its tooltip, with
// the ``values`` they name: 不能早于到达时间 …) or not (``problem`` empty: unmarked, a field its
// subcategory decides keeps saying so).
export function markField(input, problem, values = {}) {
  input.setAttribute("aria-invalid", problem ? "true" : "false");
  input.title = problem ? t(`problem.${problem}`, values) : input.dataset.bound ? t("intake.bound_by_subcategory") : "";
}

// Every field of ``container`` marked as ``problems`` names it ({field: problem}), the others
// unmarked; ``values``: a refusal's details.problem_values ({field: the values its words name});
// ``focus``: the first marked takes the focus (not when a redraw marks them again).
export function markProblems(container, problems = {}, { focus = true, values = {} } = {}) {
  for (const input of container.querySelectorAll("[data-field]")) markField(input, problems[input.name], values?.[input.name]);
  if (focus) container.querySelector('[aria-invalid="true"]')?.focus();
}

// What a subcategory decides (一类投诉: 类别1 一类, 类别2 投诉; 高压新装: 业务类型) is entered once:
// shown, not asked. ``bound`` is {field: value} (the intake's subcategory's, an order's on its
// step); each such input is set and locked, and readFields leaves it out (the server fills it
// from the subcategory and refuses a contradiction). The seat's intake and the order page alike.
export function lockBound(container, bound = {}) {
  for (const [name, value] of Object.entries(bound || {})) {
    const input = container.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!input) continue;
    input.value = value;
    input.disabled = true;
    input.dataset.bound = "subcategory";
    input.title = t("intake.bound_by_subcategory");
  }
}
