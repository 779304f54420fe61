// Helpers for widgets that fill the deposit form's repeatable lists (deposit.js owns the lists:
// its add button fetches the empty item from the server). Values are written into the named
// inputs and announced with `input` events, so deposit.js autosaves them like typed values.

/** The items (li) of a list fieldset. */
export const itemsOf = (fieldset) => (fieldset ? [...fieldset.querySelectorAll(":scope > ol > li.item")] : []);

const isEmpty = (li) => [...li.querySelectorAll("input, textarea")].every((el) => el.value.trim() === "");

/** The first empty item of a list, or a new one (through the list's add button). */
export async function freeItem(fieldset, accept = isEmpty) {
  const found = itemsOf(fieldset).find(accept);
  if (found) return found;
  const before = itemsOf(fieldset).length;
  fieldset.querySelector(":scope > button.add")?.click();
  for (let i = 0; i < 100 && itemsOf(fieldset).length === before; i++) await new Promise((r) => setTimeout(r, 50));
  return itemsOf(fieldset)[before] ?? null;
}

/** Write a value into the input named by a pointer; true when the input exists. */
export function setValue(form, pointer, value) {
  const el = form.elements.namedItem(pointer);
  if (!el) return false;
  el.value = value ?? "";
  el.dispatchEvent(new Event("input", { bubbles: true }));
  return true;
}

/** Ask deposit.js to save now (a change event) rather than after more typing. */
export function saveNow(form, pointer) {
  form.elements.namedItem(pointer)?.dispatchEvent(new Event("change", { bubbles: true }));
}
