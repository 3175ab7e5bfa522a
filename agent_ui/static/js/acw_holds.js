// What in this tab holds a call's 话后处理 (hold_after_call_work). The bridge hears one holder
// per tab, yet two things on the seat page owe work on a call: the intake form's unsaved input
// and the campaign card's unsaved 结果代码. Each says here whether it holds the call, and the tab
// lets go of the call only once neither does (else saving the form would end the 话后处理 under
// a card still asking for its result).
const holders = new Map(); // call id → the set of what holds it ("intake", "campaign")

// ``by`` holds ``callId``'s after-call work (``hold``) or no longer. A hold is said again each
// time (a reconnect or a restarted bridge needs it said again; holding twice is harmless); a
// release is said only when nothing else in the tab holds the call.
export function holdAfterCallWork(socket, callId, by, hold) {
  if (!callId) return;
  const holding = holders.get(callId) ?? new Set();
  if (hold) holding.add(by);
  else holding.delete(by);
  if (holding.size) holders.set(callId, holding);
  else holders.delete(callId);
  if (!hold && holding.size) return;
  if (!socket?.connected) return;
  socket.command("hold_after_call_work", { call_id: callId, hold }).catch(() => {});
}
