// Dataset logo: choose an image, it is uploaded (POST /records/<id>/edit/logo, which checks
// its size and type and answers a clear error), the thumbnail is shown, and the file is named
// in /graphic_overviews/<i> (file, type "logo") so that deposit.js saves it like typed values.

import { freeItem, itemsOf, saveNow, setValue } from "./items.js";

const box = document.getElementById("logo-upload");
const form = document.getElementById("deposit-form");

if (box && form) {
  box.hidden = false;
  const input = document.getElementById("logo-file");
  const status = document.getElementById("logo-status");
  const thumb = document.getElementById("logo-thumbnail");
  const list = form.querySelector('fieldset[data-list="/graphic_overviews"]');
  const t = (key, values = {}) => (box.dataset[key] || "").replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");

  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    status.classList.remove("error");
    status.textContent = t("sending");
    const body = new FormData();
    body.append("logo", file);
    let answer;
    try {
      const r = await fetch(box.dataset.url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content },
      });
      answer = await r.json().catch(() => ({}));
      if (!r.ok) {
        const detail = (answer.errors || []).flatMap((e) => e.messages || []).join("; ");
        throw new Error(detail || answer.message || `HTTP ${r.status}`);
      }
    } catch (err) {
      status.textContent = t("failed", { reason: err.message });
      status.classList.add("error");
      input.value = "";
      return;
    }
    const pointerOf = (li) => li.dataset.pointer;
    const existing = itemsOf(list).find((li) => form.elements.namedItem(`${pointerOf(li)}/type`)?.value === "logo");
    const li = existing ?? (await freeItem(list));
    if (li) {
      setValue(form, `${pointerOf(li)}/file`, answer.key);
      setValue(form, `${pointerOf(li)}/url`, "");
      setValue(form, `${pointerOf(li)}/type`, "logo");
      saveNow(form, `${pointerOf(li)}/file`);
    }
    thumb.src = `${answer.url}?v=${Date.now()}`;
    thumb.hidden = false;
    status.textContent = t("done", { name: file.name });
    input.value = "";
  });
}
