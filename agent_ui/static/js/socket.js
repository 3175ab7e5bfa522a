// One websocket per tab. Commands return promises settled by the server's ack or refusal;
// every (re)connect starts with a full snapshot from the server, so the screen is never stale.
import { errorText } from "./i18n.js";

export class ConsoleSocket extends EventTarget {
  constructor(url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`) {
    super();
    this.url = url;
    this.nextId = 1;
    this.pending = new Map();
    this.backoff = 500;
    this.connected = false;
    this.open();
  }

  open() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      this.backoff = 500;
      this.connected = true;
      this.emit("connection", { connected: true });
    });
    ws.addEventListener("message", (e) => this.receive(JSON.parse(e.data)));
    ws.addEventListener("close", (e) => {
      this.connected = false;
      for (const [, p] of this.pending) p.reject({ errorId: "ws.closed", message: errorText("service.unavailable") });
      this.pending.clear();
      if (e.code === 4401 || e.code === 1008) {
        this.emit("connection", { connected: false, code: e.code });
        // 退出 from this tab: it goes to the sign-in form itself, with nothing to explain
        if (this.signingOut) return;
        // the close's reason says why the session ended (timed out, signed out in another tab,
        // password changed, account disabled…): the sign-in page tells it
        const ended = e.code === 4401 && /^[a-z_]{1,40}$/.test(e.reason || "") ? e.reason : "";
        location.assign(ended ? `/login?ended=${ended}&next=${encodeURIComponent(location.pathname)}` : "/login");
        return;
      }
      if (opened) {
        this.dropped(e.code);
        return;
      }
      // a socket that never opened: its handshake may have been refused (no session any more, a
      // password to change first: 401, 403), which the page sees as any failed connection (1006,
      // no status). The session says which before the page says 连接已断开 or tries again: a
      // refusal goes where the user can go on, never to retries the server would refuse for ever.
      this.refusedTo().then((where) => {
        if (where === null) this.dropped(e.code);
        else if (where !== location.pathname) location.assign(where);
        // else already there, on a page that works without the socket: nothing to retry
      });
    });
  }

  // A connection lost (a server restarting, a network gone): said on the page, and tried again.
  dropped(code) {
    this.emit("connection", { connected: false, code });
    // jittered backoff, capped: a restarting server is not hammered by every tab at once
    const delay = Math.min(this.backoff, 5000) * (0.75 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, 5000);
    setTimeout(() => this.open(), delay);
  }

  // Where a socket that never opened sends the page: the sign-in form when the session has ended,
  // /password while a password change is pending (the server refuses the socket until then);
  // null when the session is fine or cannot be read (the server away too): a drop.
  async refusedTo() {
    try {
      const { user } = await (await fetch("/api/session", { credentials: "same-origin" })).json();
      if (!user) return `/login?next=${encodeURIComponent(location.pathname)}`;
      if (user.must_change_password) return "/password";
    } catch {
      // no answer, or not the console's (a proxy's error page): the server is away
    }
    return null;
  }

  receive(msg) {
    if (msg.type === "ack" || msg.type === "refused") {
      const p = this.pending.get(msg.id);
      if (p) {
        this.pending.delete(msg.id);
        if (msg.type === "ack") p.resolve(msg.result || {});
        else p.reject({ errorId: msg.error_id, message: msg.message || errorText(msg.error_id), details: msg.details });
      } else if (msg.type === "refused") {
        this.emit("refused", msg);
      }
      return;
    }
    this.emit(msg.type, msg);
  }

  command(cmd, args = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject({ errorId: "service.unavailable", message: errorText("service.unavailable") });
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, cmd, args }));
    });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
