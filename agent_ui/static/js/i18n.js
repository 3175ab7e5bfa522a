// The page's words, shipped by the server in <script id="texts"> (zh-CN first).
const table = JSON.parse(document.getElementById("texts")?.textContent || "{}");

export function t(key, values = {}) {
  const text = table[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

// A pause reason in words: the shipped ones (and the system's, such as 未接) translated, one an
// admin configured as it was typed.
export const reasonText = (reason) => table[`reason.${reason}`] ?? reason;

// A queue by its display name: the shipped ones translated (queue.service → 综合服务), any other
// as it is named. The table's own words (queue.name, queue.waiting …) are no queue's name.
const QUEUE_WORDS = new Set(["title", "name", "waiting", "longest", "ready"]);
export const queueName = (queue) => (queue && !QUEUE_WORDS.has(queue) && table[`queue.${queue}`]) || queue || "";

// A text whose placeholders are page elements (a link, a button): the pieces, to append in order.
export function tParts(key, values = {}) {
  const text = table[key] ?? key;
  return text.split(/\{(\w+)\}/).map((part, i) => (i % 2 ? (part in values ? values[part] : `{${part}}`) : part)).filter((p) => p !== "");
}

export function errorText(errorId, fallback = "") {
  const key = `error.${errorId}`;
  if (key in table) return t(key);
  return fallback || t("error.unknown", { error_id: errorId });
}

// A note in brackets after a word, as the page's language writes it: （默认） in Chinese (the
// full-width brackets, no space), " (default)" in English.
const CHINESE = (document.documentElement.lang || "zh-CN").startsWith("zh");
export const paren = (text) => (CHINESE ? `（${text}）` : ` (${text})`);
// a tag after a name (an urgency, 已停用): 【高】 in Chinese, beside a name's （工号） without
// doubling its brackets; " [high]" in English
export const tag = (text) => (CHINESE ? `【${text}】` : ` [${text}]`);
// a label's colon: the full-width ： after Chinese, ": " in English
export const colon = CHINESE ? "：" : ": ";
// items of one list in a line (服务技能（…）；服务礼仪（…）): the full-width ； in Chinese, "; " in English
export const semicolon = CHINESE ? "；" : "; ";
// the names in a list (坐席、班长): the enumeration comma 、 in Chinese, ", " in English
export const comma = CHINESE ? "、" : ", ";

// An SMS delivery report's reason code in words an agent can act on (texts
// delivery.sms.reason.<kind>, the kind the server read from the code: sms_status.reason_kind);
// a code not known there: 未知原因（code）. The code itself goes on hover, where it is shown.
export const smsReason = (kind, code) => (kind ? t(`delivery.sms.reason.${kind}`, { code }) : t("delivery.sms.no_reason"));

// a 短信未送达 提醒 in the reader's language, from the SMS it is about (sms_status.about)
export const smsAlertText = (about) => t(`sms_alert.${about.delivery === "expired" ? "expired" : "failed"}`, {
  to: about.to, reason: smsReason(about.reason_kind, about.reason), body: about.body,
});
