// A recording, voicemail or fax PDF that cannot be had (deleted by the retention period, its phone
// server's disk not mounted here): the page says why in the reader's language where the player or
// the link was, rather than a silent player or a tab of the server's JSON. The order timeline, the
// inbox and the screen-pop's 最近联系 show media this one way.
import { el } from "./api.js";
import { t } from "./i18n.js";

// Why the file at url cannot be had, in the answer's words: 503 recordings.server_unreachable names
// the phone server whose files are not mounted here, 404 says the file is gone; "" when it can be
// had. One byte asked (a range), not the whole file.
export async function mediaProblem(url) {
  let resp;
  try {
    resp = await fetch(url, { headers: { Range: "bytes=0-0", Accept: "application/json" }, credentials: "same-origin" });
  } catch {
    return t("ws.offline");
  }
  if (resp.ok) {
    resp.body?.cancel().catch(() => {});
    return "";
  }
  const body = resp.headers.get("Content-Type")?.includes("json") ? await resp.json().catch(() => null) : null;
  const key = `error.${body?.error_id}`;
  const said = body?.error_id ? t(key, body.details || {}) : key;
  return said !== key ? said : body?.message || t("error.unknown", { error_id: body?.error_id || resp.status });
}

export function showMediaProblem(player, said) {
  player.replaceWith(el("div", { class: "error media-error", role: "alert", "data-interaction": player.dataset.interaction || "" }, said));
}

// The player of a call, recording or voicemail, or the link to a fax's PDF, that says why when the
// file cannot be had; attrs: the element's own (data-interaction…)
export function mediaElement(kind, url, attrs = {}) {
  if (kind === "fax") {
    const link = el("a", { href: url, target: "_blank", ...attrs }, t("order.fax_pdf"));
    // asked first: a PDF that cannot be had says why here, instead of opening a tab for nothing
    link.addEventListener("click", (ev) => {
      ev.preventDefault();
      mediaProblem(url).then((said) => (said ? showMediaProblem(link, said) : window.open(url, "_blank", "noopener")));
    });
    return link;
  }
  const player = el("audio", { controls: true, preload: "none", src: url, ...attrs });
  // the file cannot be played (503: its phone server's files are not mounted here; 404): why
  player.addEventListener("error", () => mediaProblem(url).then((said) => said && showMediaProblem(player, said)));
  return player;
}
