// Knowledge base (tree + search) and outage notices (time range, bureau, area).
import { api, el, fmtTime } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);

export async function start() {
  if ($("kb-search")) return startKb();
  if ($("notice-search")) return startNotices();
}

async function startKb() {
  const form = $("kb-search");
  const run = async (query) => {
    try {
      const data = await api("/api/knowledge", { query });
      renderTree(data.tree);
      $("kb-results").replaceChildren(...(data.items.length ? data.items.map(article) : [el("p", { class: "muted" }, t("kb.none"))]));
    } catch (err) { toast(err.message, "refused"); }
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); run({ q: form.q.value }); });
  $("kb-tree").addEventListener("click", (e) => {
    const id = e.target.closest("[data-category]")?.dataset.category;
    if (id) { e.preventDefault(); run({ category: id }); }
  });
  run({});
}

function renderTree(nodes) {
  const children = (parent) => nodes.filter((n) => (n.parent_id ?? null) === parent);
  const build = (parent) => {
    const kids = children(parent);
    return kids.length ? el("ul", {}, kids.map((n) => el("li", {}, el("a", { href: "#", "data-category": n.id }, n.name), build(n.id)))) : null;
  };
  $("kb-tree").replaceChildren(build(null) || el("p", { class: "muted" }, "—"));
}

function article(a) {
  return el("article", { class: "card", "data-article": a.id },
    el("h3", {}, a.title), a.kind === "link" && a.url ? el("a", { href: a.url, target: "_blank", rel: "noopener" }, a.url) : null,
    el("div", { class: "wrap", style: "white-space: pre-wrap" }, a.body),
    el("small", { class: "muted" }, `${a.tags} · ${fmtTime(a.updated_at)}`),
    sendForm(`/api/knowledge/${a.id}/send`));
}

// 发送给客户: SMS to a mobile number, email to an address, or a fax (the item's text on fax
// pages) to a fax number; the server queues it in the outbox.
function sendForm(url) {
  const to = el("input", { name: "to", size: 18, required: true, "aria-label": t("kb.send_to"), placeholder: t("kb.send_to") });
  const channel = el("select", { name: "channel", "aria-label": t("kb.channel") },
    el("option", { value: "sms" }, t("kb.channel_sms")), el("option", { value: "email" }, t("kb.channel_email")),
    el("option", { value: "fax" }, t("kb.channel_fax")));
  // from the seat page or an order (?to=caller&order=id): the number is filled in, the order noted
  const params = new URLSearchParams(location.search);
  if (params.get("to")) to.value = params.get("to");
  const orderId = Number(params.get("order")) || undefined;
  to.addEventListener("input", () => { if (to.value.includes("@")) channel.value = "email"; });
  const form = el("form", { class: "send inline", "data-send": url }, channel, to,
    el("button", { class: "btn", type: "submit" }, t("kb.send")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const row = await api(url, { method: "POST", body: { channel: channel.value, to: to.value, order_id: orderId } });
      toast(row.channel === "fax" ? t("fax.queued", { to: row.recipient, pages: row.pages }) : t("kb.sent", { to: row.recipient }), "ok");
    } catch (err) { toast(err.message, "refused"); }
  });
  return form;
}

async function startNotices() {
  const form = $("notice-search");
  api("/api/sites").then((r) => {
    for (const s of r.sites) if (s.kind !== "outlet") form.site.append(el("option", { value: s.code }, s.name));
  }).catch(() => {});
  const run = async () => {
    const query = { from: form.from.value, to: form.to.value, site: form.site.value, area: form.area.value, changed: form.changed.checked ? "1" : "" };
    try {
      const data = await api("/api/notices", { query });
      $("notice-table").querySelector("tbody").replaceChildren(...data.items.map((n) => el("tr", {},
        el("td", { class: "wrap" }, n.area), el("td", { class: "wrap" }, n.reason), el("td", {}, fmtTime(n.starts_at)),
        el("td", {}, fmtTime(n.ends_at)), el("td", {}, n.state), el("td", { class: "wrap" }, n.remark),
        el("td", {}, n.state === "发布中" ? sendForm(`/api/notices/${encodeURIComponent(n.key)}/send`) : ""))));
    } catch (err) { toast(err.message, "refused"); }
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  run();
}
