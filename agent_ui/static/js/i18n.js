// The page's words, shipped by the server in <script id="texts"> (zh-CN first).
const table = JSON.parse(document.getElementById("texts")?.textContent || "{}");

export function t(key, values = {}) {
  const text = table[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

export function errorText(errorId, fallback = "") {
  const key = `error.${errorId}`;
  if (key in table) return t(key);
  return fallback || t("error.unknown", { error_id: errorId });
}
