// What an agent typed into the intake form for one call, kept in the tab's sessionStorage so
// that a page reload (the language switch reloads the page) does not lose it. A draft belongs
// to one agent and one call: it is restored only for both, and any other is thrown away.
const PREFIX = "hotline.intake-draft:";
const keyOf = (agent, call) => `${PREFIX}${agent}:${call}`;

function store() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the form works, a reload just starts it empty
  }
}

function keys() {
  const s = store();
  if (!s) return [];
  const found = [];
  for (let i = 0; i < s.length; i++) {
    const key = s.key(i);
    if (key?.startsWith(PREFIX)) found.push(key);
  }
  return found;
}

export function saveDraft(agent, call, draft) {
  if (!agent || !call) return;
  try {
    store()?.setItem(keyOf(agent, call), JSON.stringify(draft));
  } catch {
    // full or refused: nothing to keep, the form itself is untouched
  }
}

// The draft of this agent for this call, or null; every other draft in the tab is dropped (a
// call that is over, or someone who signed in before on this browser).
export function draftFor(agent, call) {
  const mine = agent && call ? keyOf(agent, call) : "";
  for (const key of keys()) if (key !== mine) store().removeItem(key);
  if (!mine) return null;
  try {
    return JSON.parse(store()?.getItem(mine) || "null");
  } catch {
    return null;
  }
}

export function clearDraft(agent, call) {
  if (agent && call) store()?.removeItem(keyOf(agent, call));
}

export function clearAllDrafts() {
  for (const key of keys()) store().removeItem(key);
}
