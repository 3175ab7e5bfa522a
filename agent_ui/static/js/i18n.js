// The page's words, shipped by the server in <script id="texts"> (zh-CN first).
const table = JSON.parse(document.getElementById("texts")?.textContent || "{}");

export function t(key, values = {}) {
  const text = table[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

// A pause reason in words: the shipped ones (and the system's, such as 未接) translated, one an
// admin configured as it was typed.
export const reasonText = (reason) => table[`reason.${reason}`] ?? reason;

export function errorText(errorId, fallback = "") {
  const key = `error.${errorId}`;
  if (key in table) return t(key);
  return fallback || t("error.unknown", { error_id: errorId });
}
