// Entry point on every signed-in page: the socket, the state bar, keyboard shortcuts,
// and the page's own module (screen-pop + intake on the seat page).
import { ConsoleSocket } from "./socket.js";
import { StateBar } from "./statebar.js";
import { bindKeys } from "./keys.js";
import { bindAlerts } from "./alerts.js";
import { bindBell } from "./notifications.js";
import { bindNavMenus } from "./nav.js";

const socket = new ConsoleSocket();
const bar = new StateBar(socket);
window.hotline = { socket, bar };
bindKeys(bar);
bindAlerts(socket);
bindBell(socket);
bindNavMenus();

const page = document.body.dataset.page;
const pageModules = {
  console: "./seat.js",
  order: "./order.js",
  list: "./lists.js",
  inbox: "./inbox.js",
  knowledge: "./knowledge.js",
  notices: "./knowledge.js",
  wallboard: "./wallboard.js",
  reports: "./reports.js",
};
if (pageModules[page]) {
  import(pageModules[page]).then((m) => m.start({ socket, bar })).catch((err) => console.error(err));
}
