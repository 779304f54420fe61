// Themes & Keywords: find a term in the loaded vocabularies (GET /api/vocabularies/<id>/terms,
// labels in the interface language, the hierarchy path shown) and add it to the keyword group
// of its vocabulary (/keywords/<i>: scheme_name, scheme_uri and date from the vocabulary's
// citation; /keywords/<i>/terms/<j>: term, value_uri, lang). A deprecated term offers its
// replacement, which is what is added. Free keywords stay possible: the last option adds the
// text typed to /free_keywords. The server checks everything on save; nothing is validated here.

import { Combobox } from "./combobox.js";
import { freeItem, itemsOf, saveNow, setValue } from "./items.js";

const box = document.getElementById("keyword-finder");
const form = document.getElementById("deposit-form");

if (box && form) {
  box.hidden = false;
  const api = box.dataset.api;
  const lang = box.dataset.lang;
  const skip = new Set((box.dataset.exclude || "").split(" "));
  const select = document.getElementById("keyword-vocabulary");
  const input = document.getElementById("keyword-search");
  const status = document.getElementById("keyword-status");
  const t = (key, values = {}) => (box.dataset[key] || "").replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
  let schemes = [];

  fetch(`${api}?lang=${encodeURIComponent(lang)}`, { headers: { Accept: "application/json" } })
    .then((r) => r.json())
    .then((body) => {
      schemes = body.hits.hits.filter((s) => !skip.has(s.id));
      for (const s of schemes) select.append(new Option(s.title, s.id));
    })
    .catch(() => {});

  async function terms(scheme, q, size) {
    const url = `${api}/${encodeURIComponent(scheme.id)}/terms?q=${encodeURIComponent(q)}&lang=${encodeURIComponent(lang)}&deprecated=true&size=${size}`;
    const r = await fetch(url, { headers: { Accept: "application/json" } });
    if (!r.ok) return [];
    return (await r.json()).hits.hits.map((hit) => ({ hit, scheme }));
  }

  async function search(q) {
    const chosen = schemes.filter((s) => !select.value || s.id === select.value);
    const lists = await Promise.all(chosen.map((s) => terms(s, q, select.value ? 10 : 5)));
    const options = lists.flat().map(({ hit, scheme }) => {
      const replacement = hit.deprecated ? hit.replaced_by.find((r) => r.label) : null;
      const where = hit.broader.length ? hit.path : "";
      const detail = hit.deprecated
        ? replacement
          ? t("deprecatedUse", { label: replacement.label })
          : t("deprecated")
        : [where, scheme.title].filter(Boolean).join(" — ");
      const value = replacement ? { scheme, uri: replacement.uri, label: replacement.label } : { scheme, uri: hit.uri, label: hit.label };
      return { text: hit.label, detail, value };
    });
    options.push({ text: t("free", { text: q }), value: { free: q } });
    return options;
  }

  async function addTerm({ scheme, uri, label, free }) {
    if (free !== undefined) {
      const li = await freeItem(form.querySelector('fieldset[data-list="/free_keywords"]'));
      if (!li) return;
      setValue(form, `${li.dataset.pointer}/term`, free);
      setValue(form, `${li.dataset.pointer}/lang`, lang);
      saveNow(form, `${li.dataset.pointer}/term`);
      status.textContent = t("addedFree", { label: free });
      return;
    }
    const groups = form.querySelector('fieldset[data-list="/keywords"]');
    const sameScheme = (li) => form.elements.namedItem(`${li.dataset.pointer}/scheme_uri`)?.value.trim() === scheme.uri;
    const group = itemsOf(groups).find(sameScheme) ?? (await freeItem(groups));
    if (!group) return;
    const g = group.dataset.pointer;
    const termsList = group.querySelector(`fieldset[data-list="${g}/terms"]`);
    const taken = itemsOf(termsList).some((li) => form.elements.namedItem(`${li.dataset.pointer}/value_uri`)?.value.trim() === uri);
    if (taken) {
      status.textContent = t("already", { label });
      return;
    }
    const citation = scheme.citation || {};
    if (!form.elements.namedItem(`${g}/scheme_uri`).value.trim()) {
      setValue(form, `${g}/scheme_name`, citation.title || scheme.title);
      setValue(form, `${g}/scheme_uri`, scheme.uri);
      if (citation.date) {
        setValue(form, `${g}/scheme_date`, citation.date);
        setValue(form, `${g}/scheme_date_type`, citation.date_type);
      }
    }
    const term = await freeItem(termsList);
    if (!term) return;
    setValue(form, `${term.dataset.pointer}/term`, label);
    setValue(form, `${term.dataset.pointer}/value_uri`, uri);
    setValue(form, `${term.dataset.pointer}/lang`, lang);
    saveNow(form, `${term.dataset.pointer}/term`);
    status.textContent = t("added", { label, vocabulary: scheme.title });
  }

  new Combobox(input, document.getElementById("keyword-options"), {
    search,
    choose: addTerm,
    status,
    counts: (n) => t("count", { num: String(Math.max(0, n - 1)) }),
  });
  select.addEventListener("change", () => input.value.trim() && input.dispatchEvent(new Event("input")));
}
