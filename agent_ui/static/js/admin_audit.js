// 审计日志: who did what, newest first, a page at a time (GET /api/audit). Read only.
// The rows keep codes and ids; the page words them for a supervisor: an object by its name, a
// value that is another object's id by that object (labels.names, labels.refers: the server's
// agent_ui.audit_log.REFERS), a code by the words of the page where it is set, a list as a list.
import { api, el, fmtTime } from "./api.js";
import { colon, comma, paren, queueName, semicolon, t } from "./i18n.js";
import { NOTICE_STATES } from "./notice_states.js";
import { toast } from "./toast.js";

const form = document.getElementById("audit-filter");
const body = document.querySelector("#audit-rows tbody");
const more = document.getElementById("audit-more");
let next = null;

let labels = {}; // what the rows' codes and ids are called (GET /api/audit's labels)

// a code in words when the texts name it (order.create → 新建工单), else as it is
const named = (prefix, code) => { const key = `${prefix}.${code}`; return t(key) === key ? code : t(key); };
// the longest record shown in a line; a longer one (an order's form) is folded
const FOLD = 60;

// A code a field holds, in the words of the page where it is set (sms → 短信): the texts' key
// before the code, or a map of code → text (an outage notice's stored state: 已删除 reads 已撤销),
// by "<entity>.<field>" where two kinds' fields of one name hold other codes.
const CODE_WORDS = {
  channel: "msgtpl.channel_",
  audience: "msgtpl.audience_",
  roles: "role.",
  kind: "audit.kind.", // an event's (call → 通话) and an order link's (duplicate → 重复单)
  "interaction.status": "audit.event_status.", // an async event's, not a work order's
  "campaign.status": "camp.status.",
  "campaign.mode": "camp.mode.",
  "campaign.kind": "camp.kind.",
  "campaign_contact.state": "camp.state.",
  "outage_notice.state": NOTICE_STATES,
  "outage_notice.kind": "notice.kind.", // an affected area's: line → 线路
  "seat.state": "state.", // a seat forced 未就绪 or signed out: ready → 就绪
  // what a seat on a call becomes when the call ends (logged_out → 通话结束后签出)
  "seat.pending": "audit.pending.",
  // a forced pause's or sign-out's reason as the wallboard words it: the sign-out's stored
  // 班长强制下班 (Asterisk's pause reason) reads 强制下班, whoever did it (the 操作人 column says who)
  "seat.reason": "reason.",
  "site.kind": "site.kind.",
  "kb_article.kind": "kb.kind_",
  "seat.mode": "cmd.", // 监听 / 耳语 / 强插
};
// a moment the row keeps as ISO text (时限, 开始时间, 锁定至) in the site's time, as 时间 is
const MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
// the fields that name a queue (a campaign's, a seat's 技能队列) by the wallboard's name of it
const QUEUE_FIELDS = new Set(["queue", "queues"]);
// an order's site by its code beside its id (order.change_site): the id's line names it already
const SHOWN_BY = { site: "site_id" };

const codeWords = (row, k) => CODE_WORDS[`${row.entity}.${k}`] || CODE_WORDS[k];
// the text of the code ``v`` by CODE_WORDS' prefix or map; "" when it has none
const codeText = (codes, v) => { const key = typeof codes === "string" ? codes + v : codes[v]; return key && t(key) !== key ? t(key) : ""; };
// A record's fields that the page where it is set names otherwise than audit.field.*: a campaign's
// retry delay by outcome, as 外呼活动's form labels it (无人接听后重拨（分钟）, not no_answer).
const INNER_WORDS = { retry_minutes: (f) => t("camp.retry_after", { outcome: t(`camp.outcome.${f}`) }) };
const fieldName = (parent, f) => (INNER_WORDS[parent] ? INNER_WORDS[parent](f) : named("audit.field", f));
const refersTo = (row, k) => labels.refers?.[`${row.entity}.${k}`] || labels.refers?.[k];

function user(id) {
  const u = labels.accounts?.[String(id)];
  return el("span", { title: `#${id}` }, u ? `${u.name}${paren(u.staff_no)}` : t("audit.user_gone", { id }));
}

// an account by its 工号 (改派's replaced, 回拨's by): 名字（工号）, the 工号 alone once it is gone
function staff(staffNo) {
  const name = labels.names?.staff?.[staffNo];
  return el("span", { title: staffNo }, name ? `${name}${paren(staffNo)}` : staffNo);
}

// another object by its name (an order by its number, a link to it), its id on hover
function thing(kind, id) {
  if (kind === "user") return user(id);
  if (kind === "staff") return staff(String(id));
  const name = labels.names?.[kind]?.[String(id)];
  if (name === undefined) return el("span", { title: `#${id}` }, t("audit.thing_gone", { id }));
  if (kind === "work_order") return el("a", { href: `/orders/${encodeURIComponent(name)}`, title: `#${id}` }, name);
  return el("span", { title: `#${id}` }, name);
}

// pieces of a line joined by a separator (a list's names by 、)
const joined = (parts, sep) => parts.flatMap((p, i) => (i ? [sep, p] : [p]));

function value(k, v, row) {
  if (v === undefined || v === null || v === "") return "—";
  if (Array.isArray(v)) {
    if (!v.length) return "—";
    const items = v.map((item) => value(k, item, row));
    // names in a line (坐席、班长); records (an outage's areas) one a line, folded when long
    if (v.every((item) => typeof item !== "object" || item === null)) return el("span", {}, ...joined(items, comma));
    return lines(v.length, items, JSON.stringify(v).length);
  }
  const kind = refersTo(row, k);
  if (kind && (typeof v === "number" || (kind === "staff" && typeof v === "string"))) return thing(kind, v);
  if (typeof v === "boolean") return t(v ? "audit.yes" : "audit.no");
  if (typeof v === "string" && MOMENT.test(v)) return el("span", { title: v }, fmtTime(v));
  if (QUEUE_FIELDS.has(k) && typeof v === "string") return el("span", { title: v }, queueName(v));
  // an account's 技能: each queue by name and its level, 故障报修（1）、综合服务（2）
  if (k === "skills" && isRecord(v)) return el("span", {}, ...joined(Object.entries(v).map(([queue, level]) => `${queueName(queue)}${paren(level)}`), comma));
  const codes = codeWords(row, k);
  if (codes && typeof v === "string") return el("span", { title: v }, codeText(codes, v) || v);
  if (labels[k]?.[String(v)]) return el("span", { title: String(v) }, labels[k][String(v)]); // accept → 受理
  if (typeof v === "object") return record(v, row, k);
  return String(v);
}

// a record (an order's form, a user's skills) that the field ``parent`` holds: its fields in words, label：value
function record(v, row, parent) {
  const keys = Object.keys(v);
  if (!keys.length) return "—";
  const parts = keys.map((f) => [el("b", { title: f }, fieldName(parent, f)), colon, value(f, v[f], row)]);
  return lines(keys.length, parts, JSON.stringify(v).length);
}

// the parts of a record or of a list of records: in a line (a；b) when short, else one a line,
// folded (its size shown, the lines on a click, kept in the cell)
function lines(n, parts, size) {
  if (size <= FOLD) return el("span", {}, ...joined(parts.map((part) => el("span", {}, part)), semicolon));
  return el("details", { class: "audit-record", style: "display: inline-block; vertical-align: top" }, el("summary", {}, t("audit.json_items", { n })),
    el("div", { class: "audit-fields", style: "max-width: 40em; word-break: break-all" }, ...parts.map((part) => el("div", {}, part))));
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const isRecord = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
// nothing on either side (a new account's 管辖单位 []) is no change to read: — → —
const empty = (v) => v === undefined || v === null || v === "" || (typeof v === "object" && !Object.keys(v).length);

// before → after, only the values that changed (a creation or deletion has one side); a record
// changed on both sides (an order's form) by the fields that changed in it
function change(row) {
  const before = row.before || {};
  const after = row.after || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.filter((k) => !same(before[k], after[k]) && !(empty(before[k]) && empty(after[k])) && !(SHOWN_BY[k] in before || SHOWN_BY[k] in after))
    .map((k) => {
      const label = el("b", { title: k }, named("audit.field", k));
      if (isRecord(before[k]) && isRecord(after[k])) {
        const inner = [...new Set([...Object.keys(before[k]), ...Object.keys(after[k])])]
          .filter((f) => !same(before[k][f], after[k][f]) && !(empty(before[k][f]) && empty(after[k][f])));
        return el("div", { "data-field": k }, label, colon, ...inner.map((f) => el("div", { "data-field": `${k}.${f}`, class: "audit-inner", style: "margin-left: 1em" },
          el("b", { title: f }, fieldName(k, f)), colon, value(f, before[k][f], row), " → ", value(f, after[k][f], row))));
      }
      return el("div", { "data-field": k }, label, colon, value(k, before[k], row), " → ", value(k, after[k], row));
    });
}

function entity(row) {
  const kind = named("audit.entity", row.entity);
  if (row.entity === "work_order" && row.order_number) return el("a", { href: `/orders/${encodeURIComponent(row.order_number)}` }, row.order_number);
  // an account as 操作人 is worded (名字（工号）, labels.accounts), not the API's half-width label
  if (row.entity === "user" && labels.accounts?.[row.entity_id]) return [`${kind} `, user(row.entity_id)];
  // a seat is its agent's: 坐席 名字（工号）
  if (row.entity === "seat" && row.entity_label) return `${kind} ${row.entity_label}${paren(row.entity_id)}`;
  // a crew, a template… by its name (its id on hover); an outage notice, a 免打扰号码 by their key
  return [`${kind} `, row.entity_label ? el("span", { title: `#${row.entity_id}` }, row.entity_label) : row.entity_id];
}

let paging = false; // 更多 in flight: a double click would load the same page twice
let searches = 0; // the latest search: an earlier one's answer, come late, is not shown

async function load(append) {
  if (append && paging) return;
  // a search asked while another (the page's first) is loading is not dropped: it wins
  const search = append ? searches : ++searches;
  paging = append;
  const query = new URLSearchParams([...new FormData(form)].filter(([, v]) => v !== ""));
  if (append && next) query.set("before", next);
  try {
    const page = await api(`/api/audit?${query}`);
    if (search !== searches) return;
    for (const [k, names] of Object.entries(page.labels || {})) {
      if (k === "names") for (const [kind, n] of Object.entries(names)) labels.names = { ...labels.names, [kind]: { ...labels.names?.[kind], ...n } };
      else labels[k] = { ...labels[k], ...names };
    }
    const rows = page.items.map((row) => el("tr", { "data-id": row.id, "data-action": row.action },
      el("td", {}, fmtTime(row.at)),
      // "system" (a timer, the IVR, 下班's hand-back) in words; a 工号 without an account as it is
      el("td", { title: row.actor }, row.actor_name ? `${row.actor_name}${paren(row.actor)}` : named("audit.actor", row.actor)),
      // a step's own word for its action where it has one (接收确认, not 批准)
      el("td", { title: row.action }, row.action_name || named("audit.action", row.action)),
      el("td", {}, entity(row)),
      el("td", {}, ...change(row))));
    if (append) body.append(...rows); else body.replaceChildren(...rows);
    next = page.next;
    more.hidden = next === null;
    document.getElementById("audit-empty").hidden = body.children.length > 0;
  } catch (err) {
    if (search !== searches) return;
    // a search that failed shows nothing, not the last search's rows as if they were its answer
    if (!append) { body.replaceChildren(); next = null; more.hidden = true; document.getElementById("audit-empty").hidden = false; }
    toast(err.message, "refused");
  } finally { if (append) paging = false; }
}

form.addEventListener("submit", (e) => { e.preventDefault(); load(false); });
more.addEventListener("click", () => load(true));
// opened from an order (/admin/audit?order=GZ…): that order's rows
for (const [name, value] of new URLSearchParams(window.location.search)) if (form.elements[name]) form.elements[name].value = value;
load(false);
