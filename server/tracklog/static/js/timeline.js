// A record's timeline: expand cards, pin (one per record), delete, change an activity's records,
// open history, thread, the per-user per-type filter and "load more". Cards are rendered by the
// server (templates/crm/_timeline_card.html); this script calls /api/v1 and asks for fresh cards.

import { formatDateTime } from "./dates.js";
import { ApiError, api, fetchText, json } from "./http.js";
import { attachPicker } from "./picker.js";

const ALL_TYPES = ["contact", "company", "deal", "ticket"];
const root = document.querySelector("[data-timeline]");
const labels = JSON.parse(document.getElementById("crm-labels")?.textContent || "{}");

function fill(template, values) {
  return (template ?? "").replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
}

// A modal confirmation: focus stays inside, Escape cancels, focus returns to the opener.
function confirmDialog({ title, text, confirm }) {
  const dialog = document.querySelector("[data-confirm-dialog]");
  const ok = dialog.querySelector("[data-confirm-ok]");
  const cancel = dialog.querySelector("[data-confirm-cancel]");
  const opener = document.activeElement;
  dialog.querySelector("[data-confirm-title]").textContent = title;
  dialog.querySelector("[data-confirm-text]").textContent = text;
  ok.textContent = confirm;
  return new Promise((resolve) => {
    function trap(event) {
      if (event.key !== "Tab") return;
      const focusable = [...dialog.querySelectorAll("button:not([disabled])")];
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
    function finish(answer) {
      dialog.removeEventListener("keydown", trap);
      dialog.removeEventListener("cancel", onCancel);
      ok.onclick = null;
      cancel.onclick = null;
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
      resolve(answer);
    }
    function onCancel(event) {
      event.preventDefault();
      finish(false);
    }
    dialog.addEventListener("keydown", trap);
    dialog.addEventListener("cancel", onCancel);
    ok.onclick = () => finish(true);
    cancel.onclick = () => finish(false);
    dialog.showModal();
    cancel.focus();
  });
}

function setUpTimeline(section) {
  const list = section.querySelector("[data-timeline-list]");
  const status = section.querySelector("[data-timeline-status]");
  const recordType = section.dataset.recordType;
  const recordId = Number(section.dataset.recordId);
  const itemsUrl = section.dataset.itemsUrl;

  const say = (text) => {
    status.textContent = "";
    requestAnimationFrame(() => {
      status.textContent = text;
    });
  };
  const fail = (error) => say(fill(labels.failed, { reason: error.message }));
  const cardOf = (id) => list.querySelector(`[data-activity-id="${id}"]`);

  function setExpanded(card, open) {
    const button = card.querySelector("[data-expand]");
    button.setAttribute("aria-expanded", String(open));
    card.querySelector(".activity-body").hidden = !open;
    card.classList.toggle("is-expanded", open);
  }

  function toggleRegion(button, open) {
    const region = document.getElementById(button.getAttribute("aria-controls"));
    const show = open ?? button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(show));
    region.hidden = !show;
    return { region, show };
  }

  async function fetchCards(cursor) {
    // The items URL may carry the view already (?mail=contacts on a deal).
    const url = new URL(itemsUrl, window.location.href);
    if (cursor) url.searchParams.set("cursor", cursor);
    return fetchText(url.pathname + url.search);
  }

  // Fresh first page; cards that were open stay open, focus goes back where it was.
  async function reload({ focusId = null, focusSelector = "[data-expand]", expand = [] } = {}) {
    const open = [...list.querySelectorAll("[data-activity].is-expanded")].map((c) => c.dataset.activityId);
    list.innerHTML = await fetchCards(null);
    for (const id of new Set([...open, ...expand.map(String)])) {
      const card = cardOf(id);
      if (card) setExpanded(card, true);
    }
    if (focusId !== null) {
      const card = cardOf(focusId);
      if (card) card.querySelector(focusSelector)?.focus();
      else section.querySelector("#timeline-heading")?.focus();
      return Boolean(card);
    }
    return true;
  }

  async function pin(card) {
    const id = Number(card.dataset.activityId);
    const path = `/records/${recordType}/${recordId}/pin`;
    if (card.dataset.pinned === "true") {
      await api("DELETE", path);
      await reload({ focusId: id, focusSelector: "[data-action=pin]" });
      say(labels.unpinned);
      return;
    }
    try {
      await api("PUT", path, { activity_id: id });
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "already_pinned") throw error;
      const replace = await confirmDialog({
        title: labels.replacePinTitle,
        text: labels.replacePinText,
        confirm: labels.replacePinConfirm,
      });
      if (!replace) return;
      await api("DELETE", path);
      await api("PUT", path, { activity_id: id });
    }
    await reload({ focusId: id, focusSelector: "[data-action=pin]" });
    say(labels.pinned);
  }

  async function remove(card) {
    const sure = await confirmDialog({
      title: labels.deleteTitle,
      text: labels.deleteText,
      confirm: labels.deleteConfirm,
    });
    if (!sure) return;
    await api("DELETE", `/activities/${card.dataset.activityId}`);
    const next = card.nextElementSibling ?? card.previousElementSibling;
    card.remove();
    (next?.querySelector("[data-expand]") ?? section.querySelector("#note-body"))?.focus();
    say(labels.deleted);
  }

  function currentRecords(card) {
    return [...card.querySelectorAll("[data-activity-records] > li")].map((chip) => ({
      type: chip.dataset.type,
      id: Number(chip.dataset.id),
      label: chip.dataset.label,
    }));
  }

  async function saveRecords(card, records) {
    const id = card.dataset.activityId;
    await api("PUT", `/activities/${id}/associations`, {
      associations: records.map(({ type, id: recordId }) => ({ type, id: recordId })),
    });
    const still = await reload({ focusId: id, focusSelector: "[data-editor-picker]", expand: [id] });
    if (still) {
      const fresh = cardOf(id);
      openEditor(fresh, fresh.querySelector("[data-action=edit-associations]"), true);
      fresh.querySelector("[data-editor-picker]")?.focus();
      say(labels.associationsSaved);
    } else {
      say(labels.notOnThisRecord);
    }
  }

  function openEditor(card, button, open) {
    const { region, show } = toggleRegion(button, open);
    if (!show) return;
    const records = currentRecords(card);
    const editorList = region.querySelector("[data-editor-list]");
    editorList.replaceChildren(
      ...records.map((record) => {
        const item = document.createElement("li");
        item.className = "chip";
        const kind = document.createElement("span");
        kind.className = "chip-type";
        kind.textContent = labels.types?.[record.type] ?? record.type;
        const name = document.createElement("span");
        name.textContent = record.label || `#${record.id}`;
        const drop = document.createElement("button");
        drop.type = "button";
        drop.className = "link-button";
        drop.textContent = labels.remove ?? "";
        drop.setAttribute("aria-label", fill(labels.removeNamed, { name: record.label }));
        drop.addEventListener("click", () => {
          const rest = records.filter((r) => !(r.type === record.type && r.id === record.id));
          saveRecords(card, rest).catch(fail);
        });
        item.append(kind, " ", name, " ", drop);
        return item;
      }),
    );
    const input = region.querySelector("[data-editor-picker]");
    if (!input.dataset.attached) {
      input.dataset.attached = "true";
      attachPicker(input, {
        types: ALL_TYPES,
        exclude: (option) => currentRecords(card).some((r) => r.type === option.type && r.id === option.id),
        onChoose: (option) => {
          saveRecords(card, [...currentRecords(card), option]).catch(fail);
        },
      });
    }
  }

  function historyTable(message) {
    if (!message.events.length) {
      const empty = document.createElement("p");
      empty.textContent = labels.noHistory;
      return empty;
    }
    const table = document.createElement("table");
    table.className = "history";
    const head = table.createTHead().insertRow();
    for (const name of ["when", "what", "who", "where", "countedAs", "why"]) {
      const cell = document.createElement("th");
      cell.scope = "col";
      cell.textContent = labels[name];
      head.append(cell);
    }
    const body = table.createTBody();
    for (const event of message.events) {
      const row = body.insertRow();
      const counted = event.counted ? "" : ` (${labels.repeat})`;
      const cells = [
        formatDateTime(event.at),
        (labels.kinds?.[event.kind] ?? event.kind) + (event.link ? ` ${event.link}` : ""),
        event.recipient === "anonymous" ? labels.someone : event.recipient_name || event.recipient,
        event.country || labels.unknown,
        (labels.classifications?.[event.classification] ?? event.classification) + counted,
        event.reason,
      ];
      for (const text of cells) row.insertCell().textContent = text ?? "";
    }
    return table;
  }

  async function details(button) {
    const { region, show } = toggleRegion(button);
    if (!show || region.dataset.loaded) return;
    region.textContent = labels.loading;
    try {
      const message = await json("GET", region.dataset.url);
      region.replaceChildren(historyTable(message));
      region.dataset.loaded = "true";
    } catch (error) {
      region.textContent = error.status === 404 ? labels.historyHidden : fill(labels.failed, { reason: error.message });
    }
  }

  async function thread(button) {
    const { region, show } = toggleRegion(button);
    if (!show || region.dataset.loaded) return;
    region.textContent = labels.loading;
    try {
      region.innerHTML = await fetchText(region.dataset.url);
      region.dataset.loaded = "true";
    } catch (error) {
      region.textContent = fill(labels.failed, { reason: error.message });
    }
  }

  list.addEventListener("click", (event) => {
    const expand = event.target.closest("[data-expand]");
    if (expand) {
      const card = expand.closest("[data-activity]");
      setExpanded(card, expand.getAttribute("aria-expanded") !== "true");
      return;
    }
    const more = event.target.closest("[data-load-more]");
    if (more) {
      event.preventDefault();
      const holder = more.closest("li");
      fetchCards(more.dataset.cursor)
        .then((html) => {
          const before = list.querySelectorAll("[data-activity]").length;
          holder.remove();
          list.insertAdjacentHTML("beforeend", html);
          list.querySelectorAll("[data-activity]")[before]?.querySelector("[data-expand]")?.focus();
        })
        .catch(fail);
      return;
    }
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const card = button.closest("[data-activity]");
    const actions = {
      pin: () => pin(card),
      delete: () => remove(card),
      "edit-associations": async () => openEditor(card, button),
      details: () => details(button),
      thread: () => thread(button),
    };
    actions[button.dataset.action]?.().catch(fail);
  });

  section.querySelector("[data-timeline-filter]")?.addEventListener("change", async (event) => {
    const boxes = [...event.currentTarget.querySelectorAll("input[type=checkbox]")];
    const types = boxes.filter((box) => box.checked).map((box) => box.value);
    try {
      await api("PUT", `/timeline-filters/${recordType}`, { types });
      await reload();
      say(fill(labels.filterSaved, { type: labels.types?.[recordType] ?? recordType }));
    } catch (error) {
      fail(error);
    }
  });

  section.dataset.ready = "true";
}

if (root) setUpTimeline(root);
