// The admin registers' form (外委单位, 打印模板, 消息模板): save the record in the form (POST a new
// one, PATCH the one its hidden id names), mark the fields the server refused, say how it went.
// And what they pick a category, workflow or step from, by name (the records keep the codes).
import { api, el, once } from "./api.js";
import { toast } from "./toast.js";

// A 停用 site (data-closed on its option) is offered to nothing new: it shows only where it is
// already chosen (a user based there, a contractor serving it), after every change of the value.
export function offerOpenSites(...selects) {
  for (const select of selects) {
    for (const o of select.options) o.hidden = o.dataset.closed === "1" && !o.selected;
  }
}

// A second press while the first is on its way is ignored (false): it would add the record twice.
export async function saveRecord(form, collection, body, savedText) {
  for (const input of form.querySelectorAll("input, textarea, select, fieldset")) input.removeAttribute("aria-invalid");
  const saved = await once(form, async () => {
    try {
      if (form.id.value) await api(`${collection}/${form.id.value}`, { method: "PATCH", body });
      else await api(collection, { method: "POST", body });
    } catch (err) {
      for (const name of Object.keys(err.details?.problems || {})) form.elements.namedItem(name)?.setAttribute?.("aria-invalid", "true");
      toast(err.message, "refused");
      return false;
    }
    form.reset();
    toast(savedText, "ok");
    return true;
  });
  return saved === true;
}

// The workflows new orders start on, in intake's order: key, name, category, steps (id, name,
// contractor) and subcategories (code, name).
export async function stepChoices() {
  return (await api("/api/workflow-steps")).items;
}

// The orders' categories, code -> {name, steps: Map id -> {id, name, contractor}}: named by
// their workflows (joined when several share one), with the steps of all of them; a category
// taking orders on another's workflow (协调单 on 故障报修's) by its own name, with that one's steps.
export function categoryChoices(workflows) {
  const out = new Map();
  for (const w of workflows) {
    for (const [code, name] of [[w.category, w.name], ...(w.categories || []).map((c) => [c.code, c.name])]) {
      if (!out.has(code)) out.set(code, { names: [], steps: new Map() });
      const c = out.get(code);
      if (!c.names.includes(name)) c.names.push(name);
      for (const s of w.steps) {
        const seen = c.steps.get(s.id);
        c.steps.set(s.id, seen ? { ...seen, contractor: seen.contractor || s.contractor } : s);
      }
    }
  }
  for (const c of out.values()) c.name = c.names.join("、");
  return out;
}

// A select's options, [value, label] each, after a first "" one labelled `blank` if given.
export function fillSelect(select, options, blank) {
  select.replaceChildren(
    ...(blank === undefined ? [] : [el("option", { value: "" }, blank)]),
    ...options.map(([value, label]) => el("option", { value }, label)));
}

// Pick `value`; one no option offers (a code no enabled workflow has any more) gets an option
// of its own, shown as `label` or the code, so editing the record keeps it.
export function choose(select, value, label) {
  value = value ?? "";
  if (![...select.options].some((o) => o.value === value)) select.append(el("option", { value }, label || value));
  select.value = value;
}
