// fetch() for the JSON API: CSRF header on writes, errors thrown with their error_id.
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.errorId = body?.error_id || "internal";
    this.details = body?.details || {};
  }
}

export async function api(path, { method = "GET", body, query } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  // a FormData body (a file upload) goes as multipart, its boundary set by the browser
  const multipart = body instanceof FormData;
  if (body !== undefined && !multipart) headers["Content-Type"] = "application/json";
  const payload = body === undefined || multipart ? body : JSON.stringify(body);
  const resp = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  const data = resp.headers.get("Content-Type")?.includes("json") ? await resp.json() : null;
  if (!resp.ok) {
    if (resp.status === 401) {
      // the sign-in page says why, when the session ended (timed out, signed out elsewhere…)
      const ended = data?.details?.session_ended;
      window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}${ended ? `&ended=${encodeURIComponent(ended)}` : ""}`);
    }
    throw new ApiError(resp.status, data);
  }
  return data;
}

// A write a button sends, once at a time: a double click sent it twice, and the server refused
// the second (409, an error toast for nothing) or, taking an order in, took two. While ``work``
// runs the buttons are disabled and a press that still reaches it (a key, a second button of the
// same write) is ignored; they are as they were again however it ends, the form left as typed.
// ``buttons``: a button, several, or a form (its submit buttons). A write whose success takes the
// page elsewhere returns ``leave(url)``: its buttons stay disabled until the page is gone (usable
// again, a click in the moment the next page loads took the caller's order in twice), and come
// back only if it stays: shown again from the back-forward cache, or still here after LEAVE_WAIT_MS.
const inFlight = new WeakSet();
const LEAVING = Symbol("leaving");
const LEAVE_WAIT_MS = 10_000;

export async function once(buttons, work) {
  const group = [buttons].flat().filter(Boolean)
    .flatMap((b) => (b instanceof HTMLFormElement ? [...b.querySelectorAll("[type=submit]")] : [b]));
  if (group.some((b) => inFlight.has(b))) return undefined;
  const was = group.map((b) => b.disabled);
  for (const b of group) { inFlight.add(b); b.disabled = true; }
  const release = () => group.forEach((b, i) => { inFlight.delete(b); b.disabled = was[i]; });
  let result;
  try {
    result = await work();
    return result;
  } finally {
    if (result === LEAVING) releaseIfStaying(release);
    else release();
  }
}

// Navigates to ``url``; the return value of a once() write that ends there.
export function leave(url) {
  window.location.assign(url);
  return LEAVING;
}

function releaseIfStaying(release) {
  const timer = setTimeout(back, LEAVE_WAIT_MS);
  function shown(e) { if (e.persisted) back(); }
  function back() {
    clearTimeout(timer);
    window.removeEventListener("pageshow", shown);
    release();
  }
  window.addEventListener("pageshow", shown);
}

// An empty table's body: one row across every column saying so (暂无工单), where a bare header
// reads as "still loading"
export function emptyRow(table, text) {
  const columns = table.querySelectorAll("thead th").length || 1;
  return el("tr", { class: "empty", "data-empty": "" }, el("td", { colspan: String(columns), class: "muted" }, text));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A user-written address as a link target: a web address or a path on this site, else null (never
// javascript: or data:, nor //host or /\host, which browsers read as another site). The server checks
// the same; this guards what was stored before it did.
export function safeHref(url) {
  const text = String(url ?? "").trim();
  return /^https?:\/\/\S+$/i.test(text) || /^\/(?![\/\\])[^\s\\]*$/.test(text) ? text : null;
}

// A duration on a running clock: 04:05, 1:02:03 (time in a state, on a call, waiting in a queue);
// with hours: true always 时:分:秒, 0:05:27 (a report's column, where rows must line up).
export function clock(secs, { hours = false } = {}) {
  secs = Math.max(0, Math.floor(secs));
  const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h || hours ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

// Times are stored in UTC and shown in the site's time zone (Asia/Shanghai by default).
const siteTz = document.querySelector('meta[name="site-tz"]')?.content || undefined;
const stamp = new Intl.DateTimeFormat("sv-SE", {
  timeZone: siteTz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});
const day = new Intl.DateTimeFormat("sv-SE", { timeZone: siteTz, year: "numeric", month: "2-digit", day: "2-digit" });

export function fmtTime(iso) {
  if (!iso) return "";
  const d = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return stamp.format(d);
}

// today's date (YYYY-MM-DD) at the site
export function siteToday() {
  return day.format(new Date());
}

// a moment in a line of words: its time alone when it is today at the site (13:02:43), else the
// date too (2026-11-28 13:02:43)
export function fmtWhen(iso) {
  const full = fmtTime(iso);
  const today = `${siteToday()} `;
  return full.startsWith(today) ? full.slice(today.length) : full;
}
