// The notification bell: a live count and list over /ws, linking to each message's history.

import { formatDateTime } from "./dates.js";
import { json } from "./http.js";

const bell = document.querySelector(".bell");
const button = bell.querySelector(".bell-button");
const counter = bell.querySelector(".bell-count");
const list = bell.querySelector(".bell-list");
let unread = 0;
let newest = null;
let retryDelay = 1000;

function showCount() {
  counter.hidden = unread === 0;
  counter.textContent = unread > 99 ? "99+" : String(unread);
}

function itemFor(notification) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = notification.url;
  link.textContent = notification.text;
  const time = document.createElement("time");
  time.dateTime = notification.at;
  time.textContent = formatDateTime(notification.at);
  item.append(link, time);
  return item;
}

function add(notification, atTop) {
  list.querySelector(".bell-empty")?.remove();
  if (atTop) list.prepend(itemFor(notification));
  else list.append(itemFor(notification));
  newest = Math.max(newest ?? 0, notification.id);
}

async function load() {
  const page = await json("GET", bell.dataset.itemsUrl);
  list.querySelector(".bell-loading")?.remove();
  page.items.forEach((notification) => add(notification, false));
  if (!page.items.length) {
    const empty = document.createElement("li");
    empty.className = "bell-empty";
    empty.textContent = bell.dataset.empty;
    list.append(empty);
  }
  unread = page.unread;
  showCount();
}

async function connect() {
  const { ticket } = await json("GET", bell.dataset.ticketUrl);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify({ type: "auth", token: ticket, after: newest }));
    retryDelay = 1000;
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type !== "notification" || message.id <= (newest ?? 0)) return;
    add(message, true);
    unread += 1;
    showCount();
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4401) return;
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  });
}

button.addEventListener("click", async () => {
  const open = list.hidden;
  list.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
  if (open && unread && newest) {
    await json("POST", bell.dataset.readUrl, { up_to: newest });
    unread = 0;
    showCount();
  }
});

load().then(connect);
