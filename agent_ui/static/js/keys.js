// Keyboard: "+" answer and "-" hang up (as on the 95598 seat), F2 ready, F3 pause,
// Alt+N focus the intake form. Typing in a field never triggers a call command.
const offered = (id) => !document.getElementById(id)?.disabled;

// Fields where "+" and "-" are text (a number, a note). A select, a checkbox or a button takes
// no text: there the keys stay the call's, so "-" hangs up from the 业务大类别 the answer
// focuses (QA F11) as from anywhere else on the page.
const NO_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"]);
function typingIn(target) {
  if (target?.isContentEditable) return true;
  const field = target?.closest?.("input, textarea");
  if (!field || field.readOnly || field.disabled) return false;
  return field.tagName === "TEXTAREA" || !NO_TEXT.has(field.type);
}

export function bindKeys(bar) {
  document.addEventListener("keydown", (e) => {
    const typing = typingIn(e.target);
    if (e.key === "F2") { e.preventDefault(); bar.run("ready"); return; }
    if (e.key === "F3") {
      e.preventDefault();
      if (!offered("btn-pause")) return; // as its button: on a call it waits, signed out it signs in 未就绪
      const reason = document.getElementById("pause-reason")?.value;
      bar.run("pause", { reason });
      return;
    }
    if (e.altKey && (e.key === "n" || e.key === "N")) {
      e.preventDefault();
      document.querySelector("#intake [name=category]")?.focus();
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "+") { e.preventDefault(); bar.run("answer"); }
    else if (e.key === "-") { e.preventDefault(); bar.run("hangup"); }
  });
}
