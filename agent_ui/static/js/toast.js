// Short messages in the corner: acks fade quickly, refusals stay long enough to read.
export function toast(message, kind = "info", ms = kind === "refused" ? 8000 : 3000) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = document.createElement("div");
  item.className = `toast ${kind}`;
  item.textContent = message;
  item.dataset.kind = kind;
  box.append(item);
  setTimeout(() => item.remove(), ms);
}
