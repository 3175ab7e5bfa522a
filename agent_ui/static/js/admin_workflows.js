// 流程配置: the workflows and their versions; a version's steps and YAML; import (validated by the
// server: every problem is listed under the editor and the text stays as typed), export,
// 停用 / 启用. The format is docs/workflows.md.
import { api, el, fmtTime, once } from "./api.js";
import { colon, paren, t } from "./i18n.js";
import { toast } from "./toast.js";
import { calendarInForce, limitWords, openEditor } from "./workflow_editor.js";

const form = document.getElementById("wf-form");
const problemsBox = document.getElementById("wf-problems");
const detail = document.getElementById("wf-detail");
const formTitle = document.getElementById("wf-form-title");
let shown = null; // the version in the detail panel
const newestOf = {}; // workflow key -> its highest version (an import makes the next one)

const versionPath = (key, version) => `/api/workflows/${encodeURIComponent(key)}/${version}`;
// a text key's words, or "" when there are none (t() answers with the key itself)
const words = (key, values) => (t(key, values) === key ? "" : t(key, values));

async function load() {
  const { items } = await api("/api/workflows");
  const rows = [];
  for (const w of items) {
    const span = w.versions.length;
    const newest = w.versions[0]?.version ?? 0;
    newestOf[w.key] = newest;
    w.versions.forEach((v, i) => {
      const group = i === 0 ? [
        el("td", { rowspan: span, class: "wrap" }, el("strong", {}, w.name),
          w.current === null ? el("div", { class: "notice" }, t("wf.none_in_use")) : null),
        el("td", { rowspan: span }, el("code", {}, w.key)),
        el("td", { rowspan: span }, w.category_name),
        el("td", { rowspan: span, class: "wrap" },
          w.categories.length ? w.categories.join("、") : el("a", { class: "muted", href: "/admin/categories", title: t("wf.attach_hint") }, t("wf.not_offered"))),
      ] : [];
      const dim = v.enabled ? "" : "muted"; // a disabled version's own cells, not the workflow's
      rows.push(el("tr", { "data-key": w.key, "data-version": v.version },
        ...group,
        el("td", { class: dim }, t("wf.version_n", { version: v.version }), v.name !== w.name ? ` · ${v.name}` : ""),
        // the state may wrap (启用 · 新工单使用): in English the list was wider than 1366 px
        el("td", { class: `wrap ${dim}` }, v.enabled ? t("wf.enabled") : t("wf.disabled"),
          w.current === v.version ? [" · ", el("strong", { class: "in-use" }, t("wf.in_use"))] : null),
        el("td", { class: `num ${dim}` }, v.open_orders),
        el("td", { class: dim }, fmtTime(v.created_at)),
        el("td", {},
          el("button", { type: "button", class: "link", onclick: () => view(w.key, v.version) }, t("wf.view")), " ",
          el("button", { type: "button", class: "link", onclick: () => edit(w.key, v.version) }, t("wfe.edit")), " ",
          el("button", { type: "button", class: "link", onclick: () => copy(w.key, v.version, newest) }, t("wf.copy")), " ",
          el("a", { class: "link", href: `${versionPath(w.key, v.version)}/export`, download: `${w.key}-v${v.version}.yaml` }, t("wf.export")), " ",
          el("button", { type: "button", class: "link", onclick: (e) => once(e.currentTarget, () => toggle(w, v)) }, t(v.enabled ? "wf.disable" : "wf.enable"))),
      ));
    });
  }
  document.querySelector("#wf-list tbody").replaceChildren(...rows);
}

// a step's time limit in words, on the calendar it counts on (the step's own, else the
// workflow's): 30 分钟 is 0.5 工作小时 or 0.5 小时（全天候）, as the step editor labels it
function limitText(limit, workflowCalendar) {
  if (!limit) return "—";
  const calendar = calendarInForce(limit.calendar, workflowCalendar);
  const parts = [];
  if (limit.limit) parts.push(limitWords(limit.limit, calendar));
  if (limit.by_field) {
    const values = Object.entries(limit.by_values).map(([k, v]) => `${k} ${limitWords(v, calendar)}`).join("、");
    parts.push(t("wf.limit_by", { field: limit.by_field, values }));
  }
  if (limit.reminders) parts.push(t("wf.reminders", { n: limit.reminders }));
  if (limit.overrun) parts.push(t("wf.overrun"));
  return parts.join(" · ");
}

async function view(key, version) {
  let d;
  try { d = await api(versionPath(key, version)); }
  catch (err) { toast(err.message, "refused"); return; }
  shown = d;
  document.getElementById("wf-detail-title").textContent = t("wf.detail", d);
  document.getElementById("wf-meta").replaceChildren(
    `${t("wf.category")}${colon}${d.category_name} · ${t("wf.number_pattern")}${colon}`, el("code", {}, d.number_pattern),
    ` · ${t("wf.calendar")}${colon}${words(`wf.calendar_${d.calendar}`) || d.calendar}`,
    ` · ${t("wf.status")}${colon}${d.enabled ? t("wf.enabled") : t("wf.disabled")}`,
    d.current === d.version ? ` · ${t("wf.in_use")}` : "",
  );
  const names = Object.fromEntries(d.steps.map((s) => [s.id, s.name]));
  document.querySelector("#wf-steps tbody").replaceChildren(...d.steps.map((s) => {
    const flags = [
      s.mode !== "any" ? words(`wf.mode_${s.mode}`) || s.mode : "",
      s.optional ? t("wf.optional") : "",
      s.free_routing ? t("wf.free_routing") : "",
    ].filter(Boolean);
    const exits = s.exits.map((x) => {
      const notes = [x.kind === "reject" ? t("wf.exit_reject") : "", x.conditional ? t("wf.exit_conditional") : ""].filter(Boolean);
      return `→ ${names[x.to] ?? x.to}${notes.length ? paren(notes.join("、")) : ""}`;
    });
    return el("tr", {},
      el("td", {}, s.name, " ", el("code", { class: "muted" }, s.id)),
      el("td", {}, words(`wf.type_${s.type}`) || s.type, flags.length ? paren(flags.join("、")) : ""),
      el("td", {}, s.status),
      el("td", { class: "wrap" }, limitText(s.limit, d.calendar)),
      el("td", { class: "wrap" }, exits.join(" ") || "—"));
  }));
  document.getElementById("wf-fields").textContent =
    d.fields.map((f) => `${f.label}${paren(f.type)}`).join("、") || "—";
  document.getElementById("wf-source").textContent = d.source;
  document.getElementById("wf-detail-export").href = `${versionPath(key, version)}/export`;
  document.getElementById("wf-detail-export").setAttribute("download", `${key}-v${version}.yaml`);
  detail.hidden = false;
  detail.scrollIntoView({ block: "start" });
}

async function copy(key, version, newest) {
  let d;
  try { d = await api(versionPath(key, version)); }
  catch (err) { toast(err.message, "refused"); return; }
  showProblems([]);
  form.source.value = d.source;
  formTitle.textContent = t("wf.editor_from", { name: d.name, version, next: newest + 1 });
  form.source.focus();
  form.source.setSelectionRange(0, 0);
  form.scrollIntoView({ block: "start" });
}

// the step editor, on a version's document; its save is an import, shown here as one
async function edit(key, version) {
  let d;
  try { d = await api(versionPath(key, version)); }
  catch (err) { toast(err.message, "refused"); return; }
  openEditor(d, { describe, saved: async (made) => {
    if (made.warnings?.length) showWarnings(made.warnings);
    await load();
    await view(made.key, made.version);
    await edit(made.key, made.version);
  } });
}

// a problem in one line, as the import's list says it
function describe(p) {
  const label = p.id ? words(`wf.problem.${p.id}`) : "";
  if (!label) return p.message;
  const where = whereText(p);
  return where ? `${label}${t("wf.problem_colon")}${where}` : label;
}

// asked by the workflow's name (the key is for the URL)
async function toggle(workflow, v) {
  const { key, name } = workflow;
  if (v.enabled && !window.confirm(t("wf.confirm_disable", { name, version: v.version }))) return;
  const path = `${versionPath(key, v.version)}/${v.enabled ? "disable" : "enable"}`;
  try {
    let done;
    try {
      done = await api(path, { method: "POST" });
    } catch (err) {
      // the last enabled version of a workflow intake offers: asked again, naming what intake loses
      if (err.errorId !== "workflow_in_intake") throw err;
      const categories = (err.details.categories || []).join("、");
      if (!window.confirm(t("wf.confirm_last_version", { name, version: v.version, categories }))) return;
      done = await api(path, { method: "POST", body: { confirm: true } });
    }
    toast(t(v.enabled ? "wf.switched_off" : "wf.switched_on", { name, version: v.version }), "ok");
    if (done.current === null) toast(t("wf.none_in_use"), "info", 8000);
    else toast(t("wf.now_current", { version: done.current }), "ok");
  } catch (err) {
    toast(err.message, "refused");
  }
  await load();
  if (shown && shown.key === key) await view(key, shown.version);
}

// each problem in words: its id's label, then where it is (步骤「a」, 字段「不存在」, the value
// refused, the line of a YAML error, whose number pattern it overlaps), all in the page's
// language. The engine's English sentence stays only in the tooltip, or as the text of a
// problem this page has no words for.
function whereText(p) {
  const parts = [];
  // why, when the id alone does not say (bad_required_when: no condition, tests itself…)
  if (p.reason) parts.push(words(`wf.problem_reason.${p.reason}`) || p.reason);
  if (p.line) parts.push(t("wf.problem_at_line", { line: p.line, column: p.column ?? 1 }));
  if (p.node) parts.push(t("wf.problem_at_step", { step: p.node }));
  // which exit (its place and where it goes) or reminder of the step, and how the condition compares
  if (p.exit) parts.push(p.to ? t("wf.problem_at_exit", { n: p.exit, to: p.to }) : t("wf.problem_at_exit_n", { n: p.exit }));
  if (p.reminder) parts.push(t("wf.problem_at_reminder", { n: p.reminder }));
  if (p.overrun) parts.push(t("wf.problem_at_overrun"));
  if (p.channel) parts.push(t("wf.problem_channel", { channel: words(`wfe.channel_${p.channel}`) || p.channel }));
  if (p.field) parts.push(t("wf.problem_at_field", { field: p.field }));
  if (p.tests) parts.push(t("wf.problem_tests", { field: p.tests }));
  if (p.operator) parts.push(t("wf.problem_operator", { operator: words(`wfe.op_${p.operator}`) || p.operator }));
  if (p.value !== undefined && p.value !== "") parts.push(t("wf.problem_value", { value: p.value }));
  if (p.workflow) parts.push(t("wf.problem_of_workflow", { key: p.workflow, version: p.version }));
  if (p.category) parts.push(t("wf.problem_of_category", { code: p.category }));
  return parts.join(t("wf.problem_sep"));
}

function showProblems(problems) {
  const title = problemsBox.querySelector("#wf-problems-title");
  title.textContent = t("wf.problems");
  title.className = "error";
  const list = problemsBox.querySelector("ul");
  list.replaceChildren(...problems.map((p) => {
    const label = p.id ? words(`wf.problem.${p.id}`) : "";
    if (!label) {
      // no words for this id (or the page's own note): the server's text, kept whole (a YAML
      // error points at the spot over several lines)
      return el("li", {}, el("span", { style: "white-space: pre-wrap" }, p.message));
    }
    const where = whereText(p);
    return el("li", { title: p.message }, el("strong", {}, label), where ? `${t("wf.problem_colon")}${where}` : "");
  }));
  problemsBox.hidden = problems.length === 0;
  if (problems.length) form.source.setAttribute("aria-invalid", "true");
  else form.source.removeAttribute("aria-invalid");
}

// what an import that went ahead says to look at, in the problems' box under its own title
function showWarnings(warnings) {
  showProblems(warnings);
  const title = problemsBox.querySelector("#wf-problems-title");
  title.textContent = t("wf.warnings");
  title.className = "";
  form.source.removeAttribute("aria-invalid");
}

// a YAML syntax error names its line and column: put the caret there
function caretAt(problems) {
  const at = problems.find((p) => p.line);
  const where = at ? [null, at.line, at.column ?? 1] : problems.map((p) => /line (\d+), column (\d+)/.exec(p.message)).find(Boolean);
  if (!where) return;
  const lines = form.source.value.split("\n");
  const line = Math.min(Number(where[1]), lines.length) - 1;
  const offset = lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + Number(where[2]) - 1;
  form.source.focus();
  form.source.setSelectionRange(offset, offset);
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const source = form.source.value;
  if (!source.trim()) {
    showProblems([{ id: "", message: t("wf.source_required") }]);
    return;
  }
  showProblems([]);
  // a second press would import the source again, as one more version
  await once(form, async () => {
    try {
      const made = await api("/api/workflows", { method: "POST", body: { source } });
      form.reset();
      toast(t("wf.imported", made), "ok");
      // imported, but the admin should know (category_in_use: another workflow's category)
      if (made.warnings?.length) showWarnings(made.warnings);
      await load();
    } catch (err) {
      const problems = Array.isArray(err.details?.problems) ? err.details.problems : [];
      if (problems.length) {
        showProblems(problems);
        caretAt(problems);
      }
      toast(err.message, "refused");
    }
  });
});

form.addEventListener("reset", () => {
  showProblems([]);
  formTitle.textContent = t("wf.editor");
});

form.file.addEventListener("change", async () => {
  const file = form.file.files[0];
  if (!file) return;
  form.source.value = await file.text();
  showProblems([]);
  form.source.focus();
});

document.getElementById("wf-detail-copy").addEventListener("click", () => {
  if (shown) copy(shown.key, shown.version, newestOf[shown.key] ?? shown.version);
});
document.getElementById("wf-detail-edit").addEventListener("click", () => {
  if (shown) edit(shown.key, shown.version);
});
document.getElementById("wf-detail-close").addEventListener("click", () => { detail.hidden = true; shown = null; });

load().catch((err) => toast(err.message, "refused"));
