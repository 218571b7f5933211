// The page shell: the menu button opens the navigation rail on narrow screens, and the keyboard
// shortcuts of every page (? lists them).

const button = document.querySelector(".menu-button");
const rail = document.getElementById("main-nav");
const help = document.getElementById("shortcuts");
// A record's link in a list (its first link) or on a board (its title).
const RECORD_LINKS = ".records-table tbody tr td:first-child a, .board-card .card-title";

function setOpen(open) {
  rail.classList.toggle("rail-open", open);
  button.setAttribute("aria-expanded", String(open));
}

/** Whether the key is meant for a field being typed in rather than for the page. */
function typing(event) {
  const target = event.target;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** Moves focus to the next (step 1) or previous (step -1) record of a list or board. */
function stepRecord(step) {
  const links = [...document.querySelectorAll(RECORD_LINKS)];
  if (!links.length) return false;
  const at = links.indexOf(document.activeElement);
  const next = at === -1 ? (step > 0 ? 0 : links.length - 1) : at + step;
  links[Math.max(0, Math.min(links.length - 1, next))].focus();
  return true;
}

/** Focuses the first element matching selector; false when the page has none. */
function focusFirst(selector) {
  const element = document.querySelector(selector);
  element?.focus();
  return Boolean(element);
}

const SHORTCUTS = {
  "/": () => focusFirst("main [role=search] input[type=search]") || focusFirst("#global-search"),
  n: () => focusFirst("#note-body"),
  j: () => stepRecord(1),
  k: () => stepRecord(-1),
  m: () => focusFirst(".board-card:focus-within .move-select"),
  "?": () => {
    help.showModal();
    return true;
  },
};

button?.addEventListener("click", () => setOpen(!rail.classList.contains("rail-open")));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && rail.classList.contains("rail-open")) {
    setOpen(false);
    button.focus();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
  const shortcut = SHORTCUTS[event.key];
  if (shortcut && shortcut()) event.preventDefault();
});
document.querySelector("[data-shortcuts]")?.addEventListener("click", () => help.showModal());
