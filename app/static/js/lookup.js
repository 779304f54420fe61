// People and organisations: look-ups at ORCID and ROR, and the people of earlier records.
//
// * After every ORCID / ROR input (an agent's identifier, an affiliation's or the publisher's
//   ROR id) a "Look up" button asks this server (GET /deposit/lookup/orcid|ror), which checks
//   the identifier with the schema's rules (check digits) and asks ORCID's or ROR's public API.
//   A person's names and current affiliations, or an organisation's name, are written into the
//   form's fields (then autosaved by deposit.js); the server's message is shown otherwise.
// * A funding item's funder identifier (a ROR id or a Crossref Funder ID, which the server
//   finds in ROR) gets the same button: it fills the funder's name and the identifier's type.
// * The names of the people and organisations of the producer's earlier records are offered
//   on the name inputs (a datalist); choosing one fills the rest of that person in.

import { freeItem, itemsOf, saveNow, setValue } from "./items.js";

const holder = document.getElementById("people-lookup");
const form = document.getElementById("deposit-form");
const AGENT = "\\/(?:creators|contributors|contacts)\\/\\d+";
const ID_INPUT = new RegExp(`^(${AGENT})\\/identifiers\\/\\d+\\/identifier$`);
const ROR_INPUT = new RegExp(`^((?:${AGENT}\\/affiliations\\/\\d+)|\\/publisher)\\/ror$`);
const NAME_INPUT = new RegExp(`^(${AGENT})\\/name$`);
const FUNDER_INPUT = /^(\/funding\/\d+)\/funder_identifier$/;
const looksFunderId = (v) => /10\.13039\//.test(v);
const looksOrcid = (v) => /orcid\.org\/|^\d{4}-?\d{4}-?\d{4}-?\d{3}[\dX]$/i.test(v.trim());
const looksRor = (v) => /ror\.org\/|^0[a-z0-9]{6}\d{2}$/i.test(v.trim());

if (holder && form) {
  const t = (key, values = {}) => (holder.dataset[key] || "").replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
  const value = (pointer) => form.elements.namedItem(pointer)?.value.trim() ?? "";
  let known = [];

  function enhance() {
    for (const input of form.querySelectorAll("input[name]")) {
      const name = input.name;
      if ((ID_INPUT.test(name) || ROR_INPUT.test(name) || FUNDER_INPUT.test(name)) && !input.nextElementSibling?.classList.contains("lookup")) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "lookup";
        button.textContent = t("button");
        const status = document.createElement("p");
        status.className = "lookup-status";
        status.setAttribute("role", "status");
        input.after(button, status);
      }
      if (NAME_INPUT.test(name) && !input.hasAttribute("list")) input.setAttribute("list", "known-agents");
    }
  }

  async function ask(url, id) {
    const r = await fetch(`${url}?id=${encodeURIComponent(id)}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await r.json().catch(() => ({}));
    if (r.ok) return body;
    const detail = (body.errors || []).flatMap((e) => e.messages || []).join("; ");
    throw new Error(detail || body.message || `HTTP ${r.status}`);
  }

  async function addAffiliations(agent, affiliations) {
    const list = form.querySelector(`fieldset[data-list="${agent}/affiliations"]`);
    let added = 0;
    for (const aff of affiliations) {
      const there = itemsOf(list).some((li) => {
        const p = li.dataset.pointer;
        return value(`${p}/name`) === aff.name || (aff.ror && value(`${p}/ror`) === aff.ror);
      });
      if (there) continue;
      const li = await freeItem(list);
      if (!li) break;
      setValue(form, `${li.dataset.pointer}/name`, aff.name);
      if (aff.ror) setValue(form, `${li.dataset.pointer}/ror`, aff.ror);
      added++;
    }
    return added;
  }

  async function lookUp(button) {
    const input = button.previousElementSibling;
    const status = button.nextElementSibling;
    const id = input.value.trim();
    status.classList.remove("error");
    const idMatch = input.name.match(ID_INPUT);
    const rorMatch = input.name.match(ROR_INPUT);
    const funderMatch = input.name.match(FUNDER_INPUT);
    const isOrcid = idMatch && looksOrcid(id);
    if (!isOrcid && !looksRor(id) && !(funderMatch && looksFunderId(id))) {
      status.textContent = t("notSupported");
      status.classList.add("error");
      return;
    }
    status.textContent = t("asking");
    try {
      if (isOrcid) {
        const agent = idMatch[1];
        const person = await ask(holder.dataset.orcid, id);
        setValue(form, `${agent}/type`, "Personal");
        setValue(form, input.name, person.orcid);
        setValue(form, input.name.replace(/identifier$/, "scheme"), "ORCID");
        if (person.given_name) setValue(form, `${agent}/given_name`, person.given_name);
        if (person.family_name) setValue(form, `${agent}/family_name`, person.family_name);
        if (person.name) setValue(form, `${agent}/name`, person.name);
        const added = await addAffiliations(agent, person.affiliations || []);
        status.textContent = t("foundPerson", { name: person.name || person.orcid, num: String(added) });
      } else {
        const org = await ask(holder.dataset.ror, id);
        if (funderMatch) {
          setValue(form, `${funderMatch[1]}/funder_name`, org.name);
          setValue(form, input.name, org.funder_identifier);
          setValue(form, `${funderMatch[1]}/funder_identifier_type`, org.funder_identifier_type);
        } else if (idMatch) {
          const agent = idMatch[1];
          setValue(form, `${agent}/type`, "Organizational");
          setValue(form, `${agent}/name`, org.name);
          setValue(form, input.name, org.ror);
          setValue(form, input.name.replace(/identifier$/, "scheme"), "ROR");
        } else {
          setValue(form, `${rorMatch[1]}/name`, org.name);
          setValue(form, input.name, org.ror);
        }
        status.textContent = t("foundOrg", { name: org.name });
      }
      saveNow(form, input.name);
    } catch (err) {
      status.textContent = err.message;
      status.classList.add("error");
    }
  }

  async function reuse(input) {
    const agent = known.find((a) => a.name === input.value.trim());
    const pointer = input.name.match(NAME_INPUT)?.[1];
    if (!agent || !pointer) return;
    if (agent.type) setValue(form, `${pointer}/type`, agent.type);
    for (const key of ["given_name", "family_name", "email"]) if (agent[key]) setValue(form, `${pointer}/${key}`, agent[key]);
    const ids = form.querySelector(`fieldset[data-list="${pointer}/identifiers"]`);
    for (const ident of agent.identifiers || []) {
      if (itemsOf(ids).some((li) => value(`${li.dataset.pointer}/identifier`) === ident.identifier)) continue;
      const li = await freeItem(ids);
      if (!li) break;
      setValue(form, `${li.dataset.pointer}/identifier`, ident.identifier);
      if (ident.scheme) setValue(form, `${li.dataset.pointer}/scheme`, ident.scheme);
    }
    await addAffiliations(pointer, agent.affiliations || []);
    saveNow(form, input.name);
    const status = document.getElementById("people-status");
    if (status) status.textContent = t("reused", { name: agent.name });
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button.lookup");
    if (button) lookUp(button);
  });
  form.addEventListener("change", (event) => {
    // Only what the person did: our own change events (saveNow) must not fill again.
    if (event.isTrusted && NAME_INPUT.test(event.target.name || "")) reuse(event.target);
  });

  const list = document.createElement("datalist");
  list.id = "known-agents";
  const status = document.createElement("p");
  status.id = "people-status";
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  holder.after(list, status);
  fetch(holder.dataset.people, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => r.json())
    .then((body) => {
      known = body.agents || [];
      list.replaceChildren(...known.map((a) => new Option(a.name)));
    })
    .catch(() => {});

  enhance();
  new MutationObserver(enhance).observe(form, { childList: true, subtree: true });
}
