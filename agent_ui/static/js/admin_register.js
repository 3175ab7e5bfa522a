// The admin registers' form (外委单位, 打印模板, 消息模板): save the record in the form (POST a new
// one, PATCH the one its hidden id names), mark the fields the server refused, say how it went.
import { api } from "./api.js";
import { toast } from "./toast.js";

export async function saveRecord(form, collection, body, savedText) {
  for (const input of form.querySelectorAll("input, textarea, select")) input.removeAttribute("aria-invalid");
  try {
    if (form.id.value) await api(`${collection}/${form.id.value}`, { method: "PATCH", body });
    else await api(collection, { method: "POST", body });
  } catch (err) {
    for (const name of Object.keys(err.details?.problems || {})) form[name]?.setAttribute("aria-invalid", "true");
    toast(err.message, "refused");
    return false;
  }
  form.reset();
  toast(savedText, "ok");
  return true;
}
