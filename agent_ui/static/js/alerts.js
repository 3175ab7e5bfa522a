// Pop-up and sound for work arriving on this user's desk: an order routed to me (远程抢修坐席's
// pop-up + sound), an SLA reminder or 督办 for me, a new async event in my inbox. The pop-up fades;
// what it said stays in 提醒 in the header (notifications.js).
import { t } from "./i18n.js";
import { toast } from "./toast.js";

let me = null;
let audio = null;

function beep(urgent = false) {
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = urgent ? 1200 : 880;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (urgent ? 0.6 : 0.25));
  } catch { /* no audio device: the pop-up still shows */ }
}

export function bindAlerts(socket) {
  socket.addEventListener("snapshot", (e) => { me = e.detail.user?.staff_no; });
  socket.addEventListener("order", (e) => {
    const ev = e.detail.event;
    if (ev.event === "TicketRouted" && (ev.handlers || []).includes(me)) {
      // an order sent back to me (退单) is mine to correct, not new: say by whom and why. A new one
      // by the step it reached (派工), not its status (there 接收确认, the step before's name); one
      // the system opened naming no step (an IVR 留言's) by what its notice says
      const text = ev.kind === "returned" ? t("alert.returned", { number: ev.number, message: ev.message })
        : ev.step ? t("alert.routed", { number: ev.number, step: ev.step })
          : t("alert.routed_note", { number: ev.number, message: ev.message });
      toast(text, "alert", ev.kind === "returned" ? 15000 : 10000);
      beep();
    } else if (ev.event === "TicketReminder" && ev.staff_no === me) {
      const urgent = ev.urgency === "urgent" || ev.urgency === "high";
      // an urgent one stays on screen until acknowledged (notifications.js, from its stored row);
      // either way it is kept in 提醒 in the header
      if (!urgent) toast(t(`alert.${ev.kind}`, { number: ev.number }) + (ev.message ? ` ${ev.message}` : ""), "alert", 15000);
      beep(urgent);
    }
  });
  socket.addEventListener("inbox", (e) => {
    const ev = e.detail.event;
    if (ev.event === "AsyncEventAssigned" && ev.staff_no === me) {
      toast(t("alert.inbox", { kind: t(`kind.${ev.kind}`), number: ev.number || "" }), "alert", 8000);
      beep();
    }
  });
}
