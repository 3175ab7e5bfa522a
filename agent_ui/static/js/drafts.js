// What an agent typed into the intake form for one call, kept in the tab's sessionStorage so
// that a page reload (the language switch reloads the page) or a visit to another page of the
// console does not lose it. A draft belongs to one agent and one call, or to none ("": an order
// written up from a letter, a walk-in, or after the call has gone): it goes back into the form
// for that call only, and a draft of anyone else (someone who signed in before on this browser)
// is thrown away.
//
// The order page keeps its own (order drafts below): what a handler typed into one step of one
// order, so that a session ended under them (idle timeout, 退出 in another tab, a password
// change) sends them to sign in again and back to the order with nothing lost.
const PREFIX = "hotline.intake-draft:";
const keyOf = (agent, call) => `${PREFIX}${agent}:${call}`;

function store() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the form works, a reload just starts it empty
  }
}

function keys(prefix = PREFIX) {
  const s = store();
  if (!s) return [];
  const found = [];
  for (let i = 0; i < s.length; i++) {
    const key = s.key(i);
    if (key?.startsWith(prefix)) found.push(key);
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
// every other agent's draft is dropped, the order page's too.
export function draftsOf(agent) {
  dropOthers(ORDER_PREFIX, agent);
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

// 退出 on this tab: every draft goes, the intake's and the order page's, so that whoever signs
// in next on this browser finds none
export function clearAllDrafts() {
  for (const key of [...keys(), ...keys(ORDER_PREFIX)]) store().removeItem(key);
}

// -- the order page: one draft per user, order and step ---------------------------------------
// Keyed by the step (its node) and kept with the time the order reached it (``since``): a draft
// of a step the order has left, or has come back to since (退单, then 提交 again), is not what
// the handler sees now and is dropped, as is every other user's.
const ORDER_PREFIX = "hotline.order-draft:";
const orderKeyOf = (user, orderId, node) => `${ORDER_PREFIX}${user}:${orderId}:${node}`;

export function saveOrderDraft(user, orderId, node, draft) {
  if (!user) return;
  try {
    store()?.setItem(orderKeyOf(user, orderId, node), JSON.stringify({ ...draft, saved_at: Date.now() }));
  } catch {
    // full or refused: nothing to keep, the form itself is untouched
  }
}

// This user's draft of the order at this step since ``since``, or null; on the way every other
// user's order drafts go, and this user's of the same order at another step or an earlier visit
// of this one.
export function orderDraft(user, orderId, node, since) {
  dropOthers(PREFIX, user);
  const mine = user ? `${ORDER_PREFIX}${user}:` : "";
  const here = user ? orderKeyOf(user, orderId, node) : "";
  let found = null;
  for (const key of keys(ORDER_PREFIX)) {
    if (!mine || !key.startsWith(mine)) {
      store().removeItem(key);
      continue;
    }
    const ofThisOrder = key.startsWith(`${mine}${orderId}:`);
    if (!ofThisOrder) continue; // another order's: kept for when it is opened again
    let draft = null;
    try {
      draft = JSON.parse(store().getItem(key) || "null");
    } catch {
      // unreadable: nothing to restore
    }
    if (key === here && draft && draft.since === since) found = draft;
    else store().removeItem(key);
  }
  return found;
}

// Under ``prefix``, the drafts of anyone but ``user`` (工号: the seat's agent id is the same)
// dropped: a page reading one kind clears the other kind of whoever signed in before on this tab.
function dropOthers(prefix, user) {
  const mine = user ? `${prefix}${user}:` : "";
  for (const key of keys(prefix)) if (!mine || !key.startsWith(mine)) store().removeItem(key);
}

export function clearOrderDraft(user, orderId, node) {
  if (user) store()?.removeItem(orderKeyOf(user, orderId, node));
}
