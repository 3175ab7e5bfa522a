// What an agent typed into the intake form for one call, kept in the tab's sessionStorage so
// that a page reload (the language switch reloads the page) or a visit to another page of the
// console does not lose it. A draft belongs to one agent and one call, or to none ("": an order
// written up from a letter, a walk-in, or after the call has gone): it goes back into the form
// for that call only, and a draft of anyone else (someone who signed in before on this browser)
// is thrown away.
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
  if (!agent) return;
  try {
    store()?.setItem(keyOf(agent, call || ""), JSON.stringify({ ...draft, saved_at: Date.now() }));
  } catch {
    // full or refused: nothing to keep, the form itself is untouched
  }
}

// This agent's drafts, newest first, as { call, draft } (call "" for the one without a call);
// every other agent's draft is dropped.
export function draftsOf(agent) {
  const mine = agent ? `${PREFIX}${agent}:` : "";
  const found = [];
  for (const key of keys()) {
    if (!mine || !key.startsWith(mine)) {
      store().removeItem(key);
      continue;
    }
    try {
      const draft = JSON.parse(store().getItem(key) || "null");
      if (draft) found.push({ call: key.slice(mine.length), draft });
    } catch {
      store().removeItem(key); // unreadable: nothing to restore
    }
  }
  return found.sort((a, b) => (b.draft.saved_at || 0) - (a.draft.saved_at || 0));
}

export function clearDraft(agent, call) {
  if (agent) store()?.removeItem(keyOf(agent, call || ""));
}

export function clearAllDrafts() {
  for (const key of keys()) store().removeItem(key);
}
