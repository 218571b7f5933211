// Translations of the pane: one JSON catalogue per language, t(key, params), data-i18n attributes.

const SUPPORTED = ["en", "ja", "sv"];
const ATTRIBUTES = {
  "data-i18n-placeholder": "placeholder",
  "data-i18n-aria-label": "aria-label",
  "data-i18n-title": "title",
};

let current = "en";
let catalogue = {};
let fallback = {};

async function fetchCatalogue(language) {
  const response = await fetch(new URL(`./i18n/${language}.json`, import.meta.url));
  if (!response.ok) {
    throw new Error(`i18n/${language}.json: ${response.status}`);
  }
  return response.json();
}

/** Loads the catalogue of a language ("en", "ja", "sv"), English filling any gap. */
export async function loadLanguage(language) {
  current = SUPPORTED.includes(language) ? language : "en";
  fallback = await fetchCatalogue("en");
  catalogue = current === "en" ? fallback : await fetchCatalogue(current).catch(() => fallback);
  document.documentElement.lang = current;
  return current;
}

/** The language the pane shows. */
export function language() {
  return current;
}

/** The text of key in the pane's language, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const template = catalogue[key] ?? fallback[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}

/** Whether a catalogue has key (a missing one keeps the page's English instead of the key). */
function translated(key) {
  return key in catalogue || key in fallback;
}

/** Fills every data-i18n element (text) and data-i18n-* attribute under root. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    const key = element.getAttribute("data-i18n");
    if (translated(key)) element.textContent = t(key);
  }
  for (const [marker, attribute] of Object.entries(ATTRIBUTES)) {
    for (const element of root.querySelectorAll(`[${marker}]`)) {
      const key = element.getAttribute(marker);
      if (translated(key)) element.setAttribute(attribute, t(key));
    }
  }
}

/** A date and time in the pane's language, or "" for a missing value. */
export function formatDateTime(value) {
  if (!value) {
    return "";
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return String(value);
  }
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(date);
}
