// The deal and ticket boards: drag a card (or use its "Move to" menu) to change its stage; a stage
// that requires properties the deal lacks asks for exactly those, then the move is retried.

import { formatDate } from "./dates.js";
import { request as callApi, fetchText } from "./http.js";

const STANDARD = ["name", "amount", "close_date", "owner_id"];

/** Replace %(key)s and %(key)d placeholders of a translated sentence. */
export function format(template, values) {
  return template.replace(/%\((\w+)\)[sd]/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

/** The labelled inputs asking for properties, as the board's dialog shows them. */
export function propertyFields(names, { labels, users, messages, idPrefix = "property" }) {
  const fragment = document.createDocumentFragment();
  names.forEach((name, index) => {
    const wrapper = document.createElement("p");
    wrapper.className = "property-field";
    const id = `${idPrefix}-${index}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labels[name] ?? name;
    let input;
    if (name === "owner_id") {
      input = document.createElement("select");
      const blank = new Option(messages.chooseOwner, "");
      input.append(blank, ...users.map((user) => new Option(user.name, String(user.id))));
    } else {
      input = document.createElement("input");
      input.type = name === "amount" ? "number" : name === "close_date" ? "date" : "text";
      if (name === "amount") {
        input.step = "0.01";
        input.min = "0";
        input.inputMode = "decimal";
      }
    }
    input.id = id;
    input.name = name;
    input.required = true;
    input.setAttribute("aria-required", "true");
    const error = document.createElement("span");
    error.className = "field-error";
    error.id = `${id}-error`;
    error.hidden = true;
    input.setAttribute("aria-describedby", error.id);
    wrapper.append(label, input, error);
    fragment.append(wrapper);
  });
  return fragment;
}

/** Mark a property field as wrong (with the reason) or as fine (with an empty reason). */
export function showFieldError(input, reason) {
  const error = document.getElementById(input.getAttribute("aria-describedby"));
  input.setAttribute("aria-invalid", String(Boolean(reason)));
  error.textContent = reason;
  error.hidden = !reason;
}

/** The API body for the values typed into the property fields. */
export function propertyValues(form) {
  const body = {};
  const custom = {};
  for (const input of form.querySelectorAll("[name]")) {
    const value = input.value.trim();
    if (input.name === "owner_id") body.owner_id = value ? Number(value) : null;
    else if (STANDARD.includes(input.name)) body[input.name] = value || null;
    else custom[input.name] = value;
  }
  if (Object.keys(custom).length) body.properties = custom;
  return body;
}

function startBoard(board) {
  const data = JSON.parse(document.getElementById("board-data").textContent);
  const { messages } = data;
  const status = document.getElementById("board-status");
  const errorBox = document.getElementById("board-error");
  const tasksBox = document.getElementById("board-tasks");
  const dialog = document.getElementById("properties-dialog");
  const dialogForm = document.getElementById("properties-form");
  const dialogError = document.getElementById("properties-error");
  const fieldsBox = dialogForm.querySelector(".property-fields");
  let dragged = null;

  const columnFor = (stageId) => board.querySelector(`.board-column[data-stage-id="${stageId}"]`);
  const stageName = (stageId) => columnFor(stageId)?.dataset.stageName ?? "";

  function announce(text) {
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = text;
    }, 50);
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  /** Re-read the columns' sums and the moved card's facts, formatted as the page formats them. */
  async function refresh(card) {
    let page;
    try {
      page = await fetchText(window.location.href);
    } catch {
      return; // the move itself succeeded; the sums show right on the next visit
    }
    const fresh = new DOMParser().parseFromString(page, "text/html");
    for (const summary of fresh.querySelectorAll(".board-column")) {
      const here = columnFor(summary.dataset.stageId)?.querySelector(".column-summary");
      const there = summary.querySelector(".column-summary");
      if (here && there) here.replaceWith(document.importNode(there, true));
    }
    const facts = fresh.getElementById(card.id)?.querySelector(".card-facts");
    if (facts) card.querySelector(".card-facts").replaceWith(document.importNode(facts, true));
  }

  async function stageTaskIds(recordId, stageId) {
    const answer = await callApi("GET", `${board.dataset.tasksApi}?all=1`);
    if (!answer.ok) return null;
    return answer.data.items.filter(
      (task) => task.record_type === "deal" && task.record_id === Number(recordId) && task.stage_id === Number(stageId),
    );
  }

  function showTasks(tasks) {
    const list = tasksBox.querySelector("ul");
    for (const task of tasks) {
      const item = document.createElement("li");
      const due = task.due_at ? format(messages.taskDue, { date: formatDate(task.due_at) }) : messages.noDue;
      item.textContent = `${task.title} (${due})`;
      list.prepend(item);
    }
    tasksBox.hidden = list.children.length === 0;
  }

  function place(card, stageId) {
    const list = columnFor(stageId).querySelector(".board-cards");
    list.prepend(card);
    card.querySelector(".move-select").value = String(stageId);
  }

  /** Move a card to a stage, asking for the stage's missing properties when the API says so. */
  async function move(card, stageId, { extra = {}, asked = null, before } = {}) {
    const fromStage = card.closest(".board-column").dataset.stageId;
    if (String(stageId) === fromStage) return true;
    const name = card.dataset.name;
    const watchTasks = Number(columnFor(stageId).dataset.taskCount) > 0;
    if (before === undefined) before = watchTasks ? await stageTaskIds(card.dataset.id, stageId) : null;
    card.setAttribute("aria-busy", "true");
    let answer;
    try {
      answer = await callApi("PATCH", `${board.dataset.api}${card.dataset.id}`, { stage_id: Number(stageId), ...extra });
    } catch {
      answer = { ok: false, status: 0, error: { message: messages.offline } };
    } finally {
      card.removeAttribute("aria-busy");
    }
    if (answer.ok) {
      const hadFocus = card.contains(document.activeElement) ? document.activeElement : null;
      place(card, stageId);
      hadFocus?.focus();
      showError("");
      announce(format(messages.moved, { name, stage: stageName(stageId) }));
      refresh(card);
      if (watchTasks && before) {
        const known = new Set(before.map((task) => task.id));
        const after = (await stageTaskIds(card.dataset.id, stageId)) ?? [];
        showTasks(after.filter((task) => !known.has(task.id)));
      }
      return true;
    }
    const code = answer.error?.code;
    if (answer.status === 422 && (code === "required_properties_missing" || (asked && code === "validation_failed"))) {
      const names = code === "required_properties_missing" ? answer.error.details.missing : asked;
      const problem = code === "validation_failed" ? answer.error : null;
      const values = await askForProperties(card, stageId, names, problem, extra);
      if (!values) return false;
      return move(card, stageId, { extra: values, asked: names, before });
    }
    card.querySelector(".move-select").value = fromStage;
    const text = format(messages.moveFailed, { name, reason: answer.error?.message ?? answer.status });
    showError(text);
    announce(text);
    return false;
  }

  /** The dialog asking for exactly these properties: the values typed, or null when cancelled. */
  function askForProperties(card, stageId, names, problem, previous) {
    const returnFocus = card.querySelector(".move-button");
    fieldsBox.replaceChildren(propertyFields(names, { ...data, idPrefix: `needed-${card.dataset.id}` }));
    for (const input of fieldsBox.querySelectorAll("[name]")) {
      const earlier = STANDARD.includes(input.name) ? previous[input.name] : previous.properties?.[input.name];
      if (earlier !== undefined && earlier !== null) input.value = String(earlier);
      const reason = problem?.details?.fields?.[input.name];
      if (reason) showFieldError(input, reason);
    }
    dialog.querySelector("#properties-title").textContent = format(messages.dialogTitle, {
      name: card.dataset.name,
      stage: stageName(stageId),
    });
    dialogError.textContent = problem?.message ?? "";
    dialogError.hidden = !problem;
    const cancelButton = dialogForm.querySelector("[data-cancel]");
    return new Promise((resolve) => {
      const finish = (values) => {
        dialogForm.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("cancel", onCancel);
        cancelButton.removeEventListener("click", onCancel);
        if (dialog.open) dialog.close();
        if (!values) {
          const current = card.closest(".board-column").dataset.stageId;
          card.querySelector(".move-select").value = current;
          announce(format(messages.stays, { name: card.dataset.name, stage: stageName(current) }));
        }
        returnFocus.focus();
        resolve(values);
      };
      const onCancel = (event) => {
        event.preventDefault();
        finish(null);
      };
      const onSubmit = (event) => {
        event.preventDefault();
        let empty = null;
        for (const input of dialogForm.querySelectorAll("[name]")) {
          const blank = !input.value.trim();
          showFieldError(input, blank ? messages.fillIn : "");
          empty ??= blank ? input : null;
        }
        if (empty) {
          empty.focus();
          return;
        }
        finish(propertyValues(dialogForm));
      };
      dialogForm.addEventListener("submit", onSubmit);
      dialog.addEventListener("cancel", onCancel);
      cancelButton.addEventListener("click", onCancel);
      dialog.showModal();
      (dialogForm.querySelector('[aria-invalid="true"]') ?? dialogForm.querySelector("[name]"))?.focus();
    });
  }

  board.addEventListener("click", (event) => {
    const button = event.target.closest(".move-button");
    if (!button) return;
    const card = button.closest(".board-card");
    move(card, card.querySelector(".move-select").value);
  });

  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest?.(".board-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
  });

  board.addEventListener("dragend", () => {
    dragged?.classList.remove("dragging");
    dragged = null;
    board.querySelectorAll(".drop-target").forEach((column) => column.classList.remove("drop-target"));
  });

  board.addEventListener("dragover", (event) => {
    const column = event.target.closest?.(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach((other) => other !== column && other.classList.remove("drop-target"));
    column.classList.add("drop-target");
  });

  board.addEventListener("drop", (event) => {
    const column = event.target.closest?.(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    move(card, column.dataset.stageId);
  });
}

const board = document.querySelector(".board");
if (board) startBoard(board);
