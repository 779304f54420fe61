// The plan form, enhanced: autosave and inline errors.
//
// The page works without this file (an ordinary form posted back to /dmps/<id>/edit). Here,
// every change is posted in the background about a second later to the same address with
// Accept: application/json and the CSRF token; the server answers {revision, errors} and the
// errors (JSON pointers, the maDMP schema's) are shown next to their inputs. Until the server
// has a change, the form is kept in localStorage; a 412 (changed elsewhere) asks for a reload.

const form = document.getElementById("dmp-form");
const state = document.getElementById("save-state");
const DELAY_MS = 900;

if (form && state) {
  const storeKey = `alluvium-dmp-${form.dataset.dmp}`;
  const revisionInput = document.getElementById("_revision");
  let timer = null;
  let inFlight = false;
  let again = false;
  let blocked = false;

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  function show(kind) {
    state.dataset.state = kind;
    state.textContent = state.dataset[kind] || "";
  }

  function clearErrors() {
    for (const el of form.querySelectorAll(".error-message")) {
      el.hidden = true;
      el.textContent = "";
    }
    for (const el of form.querySelectorAll("[aria-invalid=true]")) el.removeAttribute("aria-invalid");
    for (const el of form.querySelectorAll(".has-error")) el.classList.remove("has-error");
  }

  function showErrors(errors) {
    clearErrors();
    for (const error of errors) {
      const input = document.getElementById(error.field);
      const message = document.getElementById(`${error.field}-error`);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.closest(".field")?.classList.add("has-error");
      }
      if (message) {
        message.hidden = false;
        message.textContent = error.messages.join(" ");
      }
    }
  }

  function keepLocally() {
    const values = {};
    for (const el of form.elements) if (el.name && el.name.startsWith("/")) values[el.name] = el.value;
    try {
      localStorage.setItem(storeKey, JSON.stringify(values));
    } catch {
      // storage full or disabled: the server copy is all we have
    }
  }

  async function save() {
    if (blocked) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    show("saving");
    const body = new FormData(form);
    body.set("_op", "save");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
      const data = await response.json();
      if (response.ok) {
        revisionInput.value = data.revision;
        showErrors([]);
        localStorage.removeItem(storeKey);
        show("saved");
      } else if (response.status === 412) {
        blocked = true;
        show("conflict");
      } else {
        showErrors(data.errors || []);
        show("invalid");
      }
    } catch {
      show("offline");
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        save();
      }
    }
  }

  function changed() {
    keepLocally();
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", () => {
    if (localStorage.getItem(storeKey)) save();
  });
}
