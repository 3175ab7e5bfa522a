// Short messages in the corner: acks fade quickly, refusals stay long enough to read. An action
// that succeeds takes away the refusals still shown: they were about an earlier try (a form
// corrected and saved again), and the last word on screen must not say the save failed.
export function toast(message, kind = "info", ms = kind === "refused" ? 8000 : 3000) {
  const box = document.getElementById("toasts");
  if (!box) return;
  if (kind === "ok") for (const old of box.querySelectorAll(".toast.refused")) old.remove();
  const item = document.createElement("div");
  item.className = `toast ${kind}`;
  item.textContent = message;
  item.dataset.kind = kind;
  box.append(item);
  setTimeout(() => item.remove(), ms);
}
