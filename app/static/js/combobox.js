// An editable combobox with a list popup (WAI-ARIA 1.2 combobox pattern, "list autocomplete
// with manual selection"): the input has role=combobox, aria-expanded, aria-controls and
// aria-activedescendant; the popup is a role=listbox of role=option items. Keys: Down/Up move
// through the options (Alt+Down opens), Enter chooses, Escape closes (then clears), Tab leaves.
// Focus stays on the input; the highlighted option is announced through aria-activedescendant
// and a polite live region says how many suggestions there are.

let serial = 0;

export class Combobox {
  /**
   * @param {HTMLInputElement} input
   * @param {HTMLElement} listbox
   * @param {{search: (q: string) => Promise<Array<{text: string, detail?: string, value: any}>>,
   *          choose: (value: any) => void, status?: HTMLElement, counts?: (n: number) => string}} options
   */
  constructor(input, listbox, { search, choose, status, counts }) {
    Object.assign(this, { input, listbox, search, choose, status, counts });
    this.options = [];
    this.active = -1;
    this.asked = 0;
    this.id = `cb${++serial}`;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("autocomplete", "off");
    listbox.setAttribute("role", "listbox");
    listbox.hidden = true;
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.refresh(), 200);
    });
    input.addEventListener("keydown", (e) => this.key(e));
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    listbox.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus in the input
    listbox.addEventListener("click", (e) => {
      const li = e.target.closest("[role=option]");
      if (li) this.pick(Number(li.dataset.index));
    });
  }

  async refresh() {
    const q = this.input.value.trim();
    const ask = ++this.asked;
    const found = q ? await this.search(q).catch(() => []) : [];
    if (ask !== this.asked) return; // an older answer arriving late
    this.render(found);
  }

  render(found) {
    this.options = found;
    this.active = -1;
    this.listbox.replaceChildren(
      ...found.map((o, i) => {
        const li = document.createElement("li");
        li.id = `${this.id}-opt${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.index = String(i);
        const main = document.createElement("span");
        main.className = "option-text";
        main.textContent = o.text;
        li.append(main);
        if (o.detail) {
          const detail = document.createElement("span");
          detail.className = "option-detail";
          detail.textContent = o.detail;
          li.append(" ", detail);
        }
        return li;
      }),
    );
    if (this.status && this.counts) this.status.textContent = this.counts(found.length);
    if (found.length) this.open();
    else this.close();
  }

  open() {
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  close() {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  }

  highlight(i) {
    const items = [...this.listbox.children];
    if (!items.length) return;
    this.active = (i + items.length) % items.length;
    items.forEach((li, n) => li.setAttribute("aria-selected", String(n === this.active)));
    const li = items[this.active];
    this.input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }

  pick(i) {
    const option = this.options[i];
    if (!option) return;
    this.close();
    this.input.value = "";
    this.choose(option.value);
  }

  key(e) {
    const isOpen = !this.listbox.hidden;
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (!isOpen) {
        if (this.options.length) this.open();
        else this.refresh();
        if (e.altKey) return;
      }
      this.highlight(this.active + 1);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (isOpen) this.highlight(this.active - 1);
    } else if (e.key === "Enter") {
      if (isOpen && this.active >= 0) {
        e.preventDefault(); // never submits the form
        this.pick(this.active);
      } else if (isOpen || this.input.value.trim()) e.preventDefault();
    } else if (e.key === "Escape") {
      if (isOpen) this.close();
      else this.input.value = "";
    }
  }
}
