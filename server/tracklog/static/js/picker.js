// The record picker: a type-ahead combobox (ARIA 1.2 combobox + listbox pattern) over
// GET /api/v1/<type>?q=.
//
//   import { attachPicker } from "/static/js/picker.js";
//   attachPicker(input, { types: ["contact", "company"], onChoose: ({ type, id, label }) => ... });
//
// Translated sentences come from the page's <script type="application/json" id="picker-labels">
// (include templates/crm/records_picker_labels.html) or from the `labels` option.

import { api } from "./http.js";

const PLURALS = { contact: "contacts", company: "companies", deal: "deals", ticket: "tickets" };
const SEARCH_DELAY_MS = 200;
let pickers = 0;

function pageLabels() {
  const block = document.getElementById("picker-labels");
  try {
    return block ? JSON.parse(block.textContent) : {};
  } catch {
    return {};
  }
}

export function recordLabel(type, record) {
  if (type === "contact") {
    const name = [record.first_name, record.last_name].filter(Boolean).join(" ");
    return name ? `${name} <${record.email}>` : record.email;
  }
  if (type === "company") return record.domain ? `${record.name} (${record.domain})` : record.name;
  if (type === "ticket") return record.subject;
  return record.name;
}

export async function searchRecords(types, text, limit = 8) {
  const pages = await Promise.all(
    types.map(async (type) => {
      const page = await api("GET", `/${PLURALS[type]}?q=${encodeURIComponent(text)}&limit=${limit}`);
      return page.items.map((record) => ({ type, id: record.id, label: recordLabel(type, record), record }));
    }),
  );
  return pages.flat();
}

export function attachPicker(input, { types, onChoose, labels = pageLabels(), exclude = () => false }) {
  const id = input.id || `picker-${++pickers}`;
  input.id = id;
  const listbox = document.createElement("ul");
  listbox.id = `${id}-listbox`;
  listbox.className = "picker-listbox";
  listbox.setAttribute("role", "listbox");
  listbox.hidden = true;
  const label = input.labels?.[0];
  if (label) {
    label.id ||= `${id}-label`;
    listbox.setAttribute("aria-labelledby", label.id);
  }
  const wrapper = document.createElement("div");
  wrapper.className = "picker";
  input.replaceWith(wrapper);
  wrapper.append(input, listbox);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listbox.id);
  input.autocomplete = "off";

  let options = [];
  let active = -1;
  let timer = null;
  let latest = 0;

  function close() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function open() {
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function highlight(index) {
    if (!options.length) return;
    active = (index + options.length) % options.length;
    listbox.querySelectorAll("[role=option]").forEach((item, position) => {
      item.setAttribute("aria-selected", String(position === active));
      if (position === active) {
        input.setAttribute("aria-activedescendant", item.id);
        item.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function message(text) {
    const item = document.createElement("li");
    item.className = "picker-message";
    item.textContent = text;
    listbox.replaceChildren(item);
    options = [];
    active = -1;
    open();
  }

  function render(found) {
    options = found.filter((option) => !exclude(option));
    if (!options.length) {
      message(labels.noResults ?? "");
      return;
    }
    listbox.replaceChildren(
      ...options.map((option, index) => {
        const item = document.createElement("li");
        item.id = `${id}-option-${index}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        const kind = document.createElement("span");
        kind.className = "picker-type";
        kind.textContent = labels.types?.[option.type] ?? option.type;
        const text = document.createElement("span");
        text.textContent = option.label;
        item.append(kind, " ", text);
        item.addEventListener("mousedown", (event) => event.preventDefault());
        item.addEventListener("click", () => choose(index));
        return item;
      }),
    );
    active = -1;
    input.removeAttribute("aria-activedescendant");
    open();
  }

  async function search() {
    const text = input.value.trim();
    if (!text) {
      close();
      return;
    }
    const mine = ++latest;
    try {
      const found = await searchRecords(types, text);
      if (mine === latest) render(found);
    } catch {
      if (mine === latest) message(labels.failed ?? "");
    }
  }

  function choose(index) {
    const option = options[index];
    if (!option) return;
    close();
    onChoose(option);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, SEARCH_DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (listbox.hidden) {
        search();
        return;
      }
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      if (listbox.hidden) return;
      event.preventDefault();
      choose(active >= 0 ? active : options.length === 1 ? 0 : -1);
    } else if (event.key === "Escape") {
      if (!listbox.hidden) {
        event.preventDefault();
        event.stopPropagation();
        close();
      } else if (input.value) {
        input.value = "";
      }
    }
  });
  input.addEventListener("blur", close);
  return { close, search, input };
}
