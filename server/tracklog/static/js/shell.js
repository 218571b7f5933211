// The page shell: the menu button opens the navigation rail on narrow screens.

const button = document.querySelector(".menu-button");
const rail = document.getElementById("main-nav");

function setOpen(open) {
  rail.classList.toggle("rail-open", open);
  button.setAttribute("aria-expanded", String(open));
}

button?.addEventListener("click", () => setOpen(!rail.classList.contains("rail-open")));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && rail.classList.contains("rail-open")) {
    setOpen(false);
    button.focus();
  }
});
