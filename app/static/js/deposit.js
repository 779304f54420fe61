// The deposit form, enhanced: autosave, conflicts, offline copy, repeatable items.
//
// The page works without this file (it is an ordinary form posted back to the server). Here:
// * every change is sent within about a second with PATCH /api/records/<id>/draft (RFC 7396
//   merge patch of what changed) and If-Match: "<revision>", the CSRF token in X-CSRFToken;
// * until the server has a change, the whole form is kept in localStorage and re-sent when the
//   page is opened again, the network comes back or the person has signed in again;
// * 412: the draft changed elsewhere — the fields that differ are listed, and the person keeps
//   their values or takes the saved ones; nothing is overwritten silently;
// * 400: the server's field errors (JSON pointers) are shown next to their inputs. The rules
//   are the server's only: nothing is validated here.
// Inputs are named by the JSON pointer they edit; formValues() rebuilds the metadata from them
// exactly as app/web/deposit/form.py:metadata_from_form does on the server.

const root = document.querySelector(".deposit");
const form = document.getElementById("deposit-form");
const state = document.getElementById("save-state");
const DELAY_MS = 700;

if (root && form && root.dataset.editable === "true") {
  const recordId = root.dataset.record;
  const storeKey = `alluvium-draft-${recordId}`;
  let revision = Number(root.dataset.revision);
  let lastSaved = formValues();
  let timer = null;
  let inFlight = false;
  let again = false;
  let blocked = false; // a conflict is waiting for the person's choice

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  function show(kind) {
    state.dataset.state = kind;
    state.textContent = state.dataset[kind] || "";
  }

  // --- form <-> metadata --------------------------------------------------------------------

  function convert(el) {
    const value = el.value.trim();
    switch (el.dataset.type) {
      case "number":
        return Number(value.replace(",", "."));
      case "integer":
        return Number.parseInt(value, 10);
      case "json":
        try {
          return JSON.parse(value);
        } catch {
          return value; // the server says what is wrong
        }
      default:
        return value;
    }
  }

  function formValues() {
    const tree = {};
    for (const el of form.elements) {
      const name = el.name || "";
      if (!name.startsWith("/") || name === "/_revision" || el.value.trim() === "") continue;
      const tokens = name.split("/").slice(1);
      let node = tree;
      for (const token of tokens.slice(0, -1)) {
        node[token] ??= {};
        node = node[token];
      }
      node[tokens.at(-1)] = convert(el);
    }
    return shape(tree) ?? {};
  }

  // Objects whose keys are all list indices become lists (in index order); empties go away.
  function shape(node) {
    if (node === null || typeof node !== "object") return node;
    const keys = Object.keys(node);
    if (keys.length && keys.every((k) => /^\d+$/.test(k))) {
      const items = keys
        .sort((a, b) => a - b)
        .map((k) => shape(node[k]))
        .filter((v) => v !== undefined);
      return items.length ? items : undefined;
    }
    const out = {};
    for (const k of keys) {
      const v = shape(node[k]);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }

  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  // RFC 7396: the patch that turns `before` into `after` (objects merge, so removals are null).
  function mergePatch(before, after) {
    const patch = {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (!(key in after)) patch[key] = null;
      else if (isObject(before[key]) && isObject(after[key])) {
        const inner = mergePatch(before[key], after[key]);
        if (Object.keys(inner).length) patch[key] = inner;
      } else if (!same(before[key], after[key])) patch[key] = after[key];
    }
    return patch;
  }

  // Pointer -> value for every leaf, to list the fields two versions disagree on.
  function leaves(node, prefix = "", out = {}) {
    if (node !== null && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) leaves(v, `${prefix}/${k}`, out);
    } else out[prefix] = node;
    return out;
  }

  // --- local copy ---------------------------------------------------------------------------

  function keepLocally(values) {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ revision, values, base: lastSaved, at: Date.now() }));
    } catch {
      /* storage full or disabled: the server copy is all we have */
    }
  }

  function dropLocal() {
    localStorage.removeItem(storeKey);
  }

  // --- errors next to fields ----------------------------------------------------------------

  function clearErrors() {
    for (const p of form.querySelectorAll(".error-message[data-live]")) {
      p.hidden = true;
      p.textContent = "";
      delete p.dataset.live;
    }
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  function showErrors(errors) {
    clearErrors();
    for (const error of errors || []) {
      const pointer = (error.field || "").replace(/^\/metadata/, "");
      const box = document.getElementById(`${pointer}-error`);
      if (!box) continue;
      box.textContent = (error.localized || error.messages || []).join("; ");
      box.hidden = false;
      box.dataset.live = "1";
      document.getElementById(pointer)?.setAttribute("aria-invalid", "true");
    }
  }

  // --- saving -------------------------------------------------------------------------------

  async function refreshToken() {
    const page = await fetch(location.href, { credentials: "same-origin" });
    const html = await page.text();
    const match = html.match(/<meta name="csrf-token" content="([^"]+)"/);
    if (match) document.querySelector('meta[name="csrf-token"]').content = match[1];
  }

  async function refreshPanel() {
    const url = root.dataset.acceptanceUrl;
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) document.getElementById("acceptance").outerHTML = await response.text();
  }

  async function send(values, base, retried = false) {
    const patch = mergePatch(base, values);
    if (!Object.keys(patch).length) return "same";
    const response = await fetch(root.dataset.api, {
      method: "PATCH",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "If-Match": `"${revision}"`,
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify({ metadata: patch }),
    });
    if (response.ok) {
      const body = await response.json();
      revision = body.revision_id;
      form.elements._revision.value = String(revision);
      return "saved";
    }
    if (response.status === 401 || response.status === 403) return "signin";
    if (response.status === 412) return "conflict";
    const body = await response.json().catch(() => ({}));
    const csrf = (body.errors || []).some((e) => e.field === "/X-CSRFToken");
    if (csrf && !retried) {
      await refreshToken(); // signed in again: a new session, a new token
      return send(values, base, true);
    }
    if (csrf) return "signin";
    showErrors(body.errors);
    return "invalid";
  }

  async function save() {
    if (pending) return flushPending();
    if (blocked) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    const values = formValues();
    keepLocally(values);
    show("saving");
    let outcome;
    try {
      outcome = await send(values, lastSaved);
    } catch {
      outcome = "offline";
    }
    inFlight = false;
    if (outcome === "saved" || outcome === "same") {
      lastSaved = values;
      clearErrors();
      if (same(formValues(), values)) dropLocal();
      show("saved");
      if (outcome === "saved") refreshPanel().catch(() => {});
    } else if (outcome === "conflict") {
      await showConflict(values);
    } else show(outcome);
    if (again) {
      again = false;
      schedule();
    }
  }

  function schedule() {
    clearTimeout(timer);
    keepLocally(formValues());
    timer = setTimeout(save, DELAY_MS);
  }

  // --- conflicts ----------------------------------------------------------------------------

  // "Publisher › Name": the labels of a field and of the groups around it, as the page shows them.
  function fieldName(pointer) {
    const el = document.getElementById(pointer);
    if (!el) return pointer;
    const text = (node) => node?.firstChild?.textContent.trim() || "";
    const parts = [text(document.querySelector(`label[for="${CSS.escape(pointer)}"]`))];
    for (let group = el.closest("fieldset.group"); group; group = group.parentElement.closest("fieldset.group")) {
      parts.unshift(text(group.querySelector(":scope > legend")));
    }
    return parts.filter(Boolean).join(" › ") || pointer;
  }

  async function showConflict(mine) {
    blocked = true;
    show("conflict");
    const response = await fetch(`${root.dataset.api}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const theirs = await response.json();
    const a = leaves(mine);
    const b = leaves(theirs.metadata || {});
    const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((p) => a[p] !== b[p]);
    const box = document.getElementById("conflict");
    const text = document.getElementById("conflict-text");
    // Who and when: the draft's last modifier and time, as the API tells its editors.
    const modified = theirs.modified || { at: theirs.updated, by: null };
    const when = new Date(modified.at).toLocaleString(document.documentElement.lang, {
      dateStyle: "long",
      timeStyle: "medium",
    });
    const template = modified.by?.you ? text.dataset.templateYou : text.dataset.template;
    text.textContent = template
      .replace("{who}", modified.by?.name || text.dataset.someone)
      .replace("{when}", when);
    const list = document.getElementById("conflict-fields");
    list.replaceChildren(
      ...differing.map((p) => {
        const li = document.createElement("li");
        const link = document.createElement("a");
        link.href = `#${p}`;
        const name = fieldName(p);
        link.dataset.pointer = p;
        link.textContent = `${name}: ${b[p] ?? "—"} → ${a[p] ?? "—"}`;
        li.append(link);
        return li;
      }),
    );
    box.hidden = false;
    box.focus?.();
    document.getElementById("keep-mine").onclick = async () => {
      revision = theirs.revision_id;
      blocked = false;
      box.hidden = true;
      lastSaved = theirs.metadata || {};
      keepLocally(mine);
      const outcome = await send(mine, theirs.metadata || {}).catch(() => "offline");
      if (outcome === "saved" || outcome === "same") {
        dropLocal();
        location.reload(); // the form shows what the server now holds
      } else if (outcome === "conflict") await showConflict(mine);
      else show(outcome);
    };
    document.getElementById("take-theirs").onclick = () => {
      dropLocal();
      location.reload();
    };
  }

  // --- repeatable items ---------------------------------------------------------------------

  function renameIn(el, before, after) {
    const pattern = new RegExp(`(^|[\\s:])${before.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=$|[/\\s-])`, "g");
    for (const node of [el, ...el.querySelectorAll("*")]) {
      for (const attr of ["name", "id", "for", "aria-describedby", "data-pointer", "data-list", "data-add", "value", "href"]) {
        if (attr === "value" && node.tagName !== "BUTTON") continue;
        const v = node.getAttribute(attr);
        if (v?.includes(before)) node.setAttribute(attr, v.replace(pattern, `$1${after}`));
      }
    }
  }

  function renumber(list) {
    const pointer = list.closest("[data-list]").dataset.list;
    const items = [...list.children];
    // Two passes through temporary names, so /x/1 -> /x/2 never collides with the old /x/2.
    items.forEach((li, i) => renameIn(li, li.dataset.pointer, `${pointer}/~${i}`));
    items.forEach((li, i) => renameIn(li, li.dataset.pointer, `${pointer}/${i}`));
  }

  function enhanceItems(scope) {
    for (const controls of scope.querySelectorAll(".item-controls")) controls.hidden = false;
  }

  form.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const li = button.closest("li.item");
    if (button.dataset.move && li) {
      const list = li.parentElement;
      const other = button.dataset.move === "up" ? li.previousElementSibling : li.nextElementSibling;
      if (!other) return;
      if (button.dataset.move === "up") list.insertBefore(li, other);
      else list.insertBefore(other, li);
      renumber(list);
      button.focus();
      schedule();
    } else if ("remove" in button.dataset && li) {
      const list = li.parentElement;
      const fieldset = list.closest("[data-list]");
      li.remove();
      renumber(list);
      fieldset.querySelector(":scope > button.add")?.focus();
      schedule();
    } else if (button.dataset.add) {
      event.preventDefault();
      const fieldset = button.closest("[data-list]");
      const list = fieldset.querySelector(":scope > ol");
      const pointer = `${fieldset.dataset.list}/${list.children.length}`;
      const url = `${root.dataset.itemUrl}?pointer=${encodeURIComponent(pointer)}`;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) return;
      list.insertAdjacentHTML("beforeend", await response.text());
      const added = list.lastElementChild;
      enhanceItems(added);
      added.querySelector("input, select, textarea")?.focus();
    }
  });

  // A suggestion read from an uploaded file ("use", in uploader.js): saved like a typed change,
  // with the same PATCH. A list gets the item appended; an object gets the proposed members.
  document.addEventListener("alluvium:apply", async (event) => {
    const { field, list, value } = event.detail;
    clearTimeout(timer);
    // A save already on its way (a value just typed) ends first: the suggestion is then sent
    // on top of it, with the new revision, instead of racing it into a conflict.
    while (inFlight) await new Promise((resolve) => setTimeout(resolve, 50));
    const values = formValues();
    const current = values[field];
    if (list) {
      const items = Array.isArray(current) ? current : [];
      if (!items.some((v) => same(v, value))) values[field] = [...items, value];
    } else values[field] = isObject(current) && isObject(value) ? { ...current, ...value } : value;
    clearTimeout(timer);
    inFlight = true;
    show("saving");
    const outcome = await send(values, lastSaved).catch(() => "offline");
    inFlight = false;
    if (outcome === "saved" || outcome === "same") {
      dropLocal();
      location.reload(); // the form shows the value in its field
    } else if (outcome === "conflict") await showConflict(values);
    else show(outcome);
  });

  form.addEventListener("input", schedule);
  form.addEventListener("change", () => {
    clearTimeout(timer);
    save();
  });
  window.addEventListener("online", () => save());
  setInterval(() => {
    if (state.dataset.state === "offline" || state.dataset.state === "signin") save();
  }, 5000);

  enhanceItems(form);

  // Values typed before the page was last left and never confirmed by the server: sent first,
  // and retried (network back, signed in again) before anything else is saved.
  let pending = JSON.parse(localStorage.getItem(storeKey) || "null");
  if (pending && same(pending.values, lastSaved)) pending = null;

  async function flushPending() {
    inFlight = true;
    show("saving");
    revision = pending.revision;
    const outcome = await send(pending.values, pending.base || {}).catch(() => "offline");
    inFlight = false;
    if (outcome === "saved" || outcome === "same") {
      pending = null;
      dropLocal();
      location.reload(); // show what the server now holds
    } else if (outcome === "conflict") {
      const values = pending.values;
      pending = null;
      await showConflict(values);
    } else show(outcome);
  }

  if (pending) flushPending();
  else {
    dropLocal();
    show("saved");
  }
}
