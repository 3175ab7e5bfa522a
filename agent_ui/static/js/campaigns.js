// Campaigns page: list with progress, create, start / pause / finish, list import with
// the validation report before commit, contacts with their outcome and disposition.
import { api, el, ApiError } from "./api.js";
import { t, errorText } from "./i18n.js";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
let current = null;

const counts = (p) => Object.entries(p || {}).map(([k, v]) => `${t(`camp.state.${k}`)} ${v}`).join(" · ");

async function load() {
  const { campaigns } = await api("/api/campaigns");
  const body = document.querySelector("#camp-list tbody");
  body.replaceChildren(...campaigns.map((c) => el("tr", {},
    el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); show(c.id); } }, c.name)),
    el("td", {}, t(`camp.kind.${c.kind}`)), el("td", {}, t(`camp.mode.${c.mode}`)), el("td", {}, c.queue),
    el("td", {}, t(`camp.status.${c.status}`)), el("td", {}, counts(c.progress.states)),
    el("td", {}, ...["start", "pause", "finish"].map((a) => el("button", { class: "link", onclick: () => act(c.id, a) }, t(`camp.${a}`)))),
  )));
}

async function act(id, action) {
  try { await api(`/api/campaigns/${id}/${action}`, { method: "POST" }); } catch (err) { alert(errorText(err.errorId)); }
  await load();
  if (current === id) await show(id);
}

async function show(id) {
  current = id;
  const c = await api(`/api/campaigns/${id}`);
  document.getElementById("camp-detail").hidden = false;
  document.getElementById("camp-detail-title").textContent = c.name;
  document.getElementById("camp-counts").replaceChildren(
    el("p", {}, `${t("camp.states")}: ${counts(c.progress.states)}`),
    el("p", {}, `${t("camp.outcomes")}: ${Object.entries(c.progress.outcomes).map(([k, v]) => `${t(`camp.outcome.${k}`)} ${v}`).join(" · ")}`),
    el("p", {}, `${t("camp.dispositions")}: ${Object.entries(c.progress.dispositions).map(([k, v]) => `${k} ${v}`).join(" · ")}`),
  );
  document.querySelector("#camp-contacts tbody").replaceChildren(...c.contacts.map((x) => el("tr", {},
    el("td", {}, x.number), el("td", {}, x.name), el("td", {}, t(`camp.state.${x.state}`)), el("td", {}, String(x.attempts)),
    el("td", {}, x.last_outcome ? t(`camp.outcome.${x.last_outcome}`) : ""), el("td", {}, x.disposition))));
}

async function upload(commit) {
  const form = document.getElementById("camp-import");
  const data = new FormData();
  data.append("file", form.file.files[0]);
  const mapping = {};
  for (const f of ["number", "name", "account_no"]) if (form[f].value) mapping[f] = form[f].value;
  data.append("mapping", JSON.stringify(mapping));
  data.append("commit", commit ? "1" : "0");
  const resp = await fetch(`/api/campaigns/${current}/import`, { method: "POST", body: data, headers: { "X-CSRF-Token": csrf(), Accept: "application/json" }, credentials: "same-origin" });
  const body = await resp.json();
  if (!resp.ok) throw new ApiError(resp.status, body);
  document.getElementById("camp-report").replaceChildren(
    el("p", {}, t("camp.report", { total: body.total, accepted: body.accepted, rejected: body.rejected })),
    el("ul", {}, ...body.rejected_rows.map((r) => el("li", {}, `${t("camp.line", { line: r.line })}: ${r.text}`))),
  );
  document.getElementById("camp-commit").disabled = commit || body.accepted === 0;
  if (commit) await show(current);
}

export function start() {
  load();
  document.getElementById("camp-new")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      await api("/api/campaigns", { method: "POST", body: {
        name: f.name.value, kind: f.kind.value, mode: f.mode.value, queue: f.queue.value,
        windows: f.windows.value.split(",").map((w) => w.trim()).filter(Boolean),
        max_attempts: Number(f.max_attempts.value), max_in_flight: Number(f.max_in_flight.value),
        calls_per_second: Number(f.calls_per_second.value), ring_seconds: Number(f.ring_seconds.value),
        script: f.script.value,
      } });
      f.reset();
      await load();
    } catch (err) { alert(errorText(err.errorId)); }
  });
  document.getElementById("camp-import")?.addEventListener("submit", (e) => { e.preventDefault(); upload(false).catch((err) => alert(errorText(err.errorId))); });
  document.getElementById("camp-commit")?.addEventListener("click", () => upload(true).catch((err) => alert(errorText(err.errorId))));
}

start();
