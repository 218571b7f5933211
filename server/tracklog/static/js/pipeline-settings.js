// The pipeline editor: rename, add, reorder (drag or Move up/down), set probability and kind,
// required properties with a live preview of the board's form, stage tasks; Save sends one PATCH
// with the full stage list. Deleting a stage that holds records first moves them elsewhere.

import { format, propertyFields } from "./board.js";
import { request as callApi } from "./http.js";

const form = document.getElementById("pipeline-form");
const data = JSON.parse(document.getElementById("board-data").textContent);
const { messages } = data;
const list = form.querySelector(".stage-list");
const stageTemplate = document.getElementById("stage-template");
const taskTemplate = document.getElementById("task-template");
const status = document.getElementById("settings-status");
const errorBox = document.getElementById("settings-errors");
const dialog = document.getElementById("delete-dialog");
const deleteForm = document.getElementById("delete-form");
const deleteError = document.getElementById("delete-error");
const moveTo = document.getElementById("move-to");
const isDeal = form.dataset.object === "deal";
let counter = 0;
let dragged = null;

const rows = () => [...list.querySelectorAll(":scope > .stage-row")];
const rowName = (row) => row.querySelector('[name="name"]').value.trim() || messages.unnamed;

function announce(text) {
  status.textContent = "";
  window.setTimeout(() => {
    status.textContent = text;
  }, 50);
}

/** Give a cloned template's ids a fresh key so labels stay tied to their inputs. */
function withFreshIds(fragment, marker, value) {
  for (const element of fragment.querySelectorAll("*")) {
    for (const attribute of ["id", "for", "aria-describedby", "aria-labelledby"]) {
      const current = element.getAttribute(attribute);
      if (current?.includes(marker)) element.setAttribute(attribute, current.replaceAll(marker, value));
    }
  }
  return fragment;
}

/** The stage's required properties: ticked standard ones, then the custom names typed. */
function requiredOf(row) {
  const ticked = [...row.querySelectorAll('[name="required"]:checked')].map((box) => box.value);
  const typed = (row.querySelector('[name="custom"]')?.value ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const names = [...ticked];
  for (const name of typed) {
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Redraw the preview with exactly the fields the board's dialog would ask for. */
function renderPreview(row) {
  const box = row.querySelector(".preview-fields");
  if (!box) return;
  const names = requiredOf(row);
  if (!names.length) {
    const empty = document.createElement("p");
    empty.className = "muted";
    empty.textContent = messages.noPreview;
    box.replaceChildren(empty);
    return;
  }
  box.replaceChildren(propertyFields(names, { ...data, idPrefix: `preview-${row.dataset.key}` }));
}

function tasksOf(row) {
  return [...row.querySelectorAll(".task-row")].map((task) => {
    const days = task.querySelector('[name="task_days"]').value.trim();
    return { title: task.querySelector('[name="task_title"]').value.trim(), due_in_days: days === "" ? null : Number(days) };
  });
}

/** The stage as the API's PATCH /pipelines/<id> takes it. */
function stageOf(row) {
  const stage = { name: row.querySelector('[name="name"]').value.trim(), kind: row.querySelector('[name="kind"]').value };
  if (row.dataset.stageId) stage.id = Number(row.dataset.stageId);
  const probability = row.querySelector('[name="probability"]');
  if (probability) stage.probability = probability.value.trim() === "" ? null : Number(probability.value);
  if (isDeal) {
    stage.required_properties = requiredOf(row);
    stage.tasks = tasksOf(row);
  }
  return stage;
}

/** Problems the browser can name before asking the server: field name of the row → reason. */
function problemsOf(stage, index) {
  const problems = {};
  if (!stage.name) problems[`stages[${index}].name`] = messages.fillIn;
  const probability = stage.probability;
  if (probability !== undefined && !(Number.isInteger(probability) && probability >= 0 && probability <= 100)) {
    problems[`stages[${index}].probability`] = messages.probabilityRange;
  }
  (stage.tasks ?? []).forEach((task, number) => {
    const daysOk = task.due_in_days === null || (Number.isInteger(task.due_in_days) && task.due_in_days >= 0 && task.due_in_days <= 3650);
    if (!task.title || !daysOk) problems[`stages[${index}].tasks[${number}]`] = messages.fillIn;
  });
  return problems;
}

/** The input a field path of an error points at (stages[2].probability, stages[0].tasks[1]). */
function inputFor(path) {
  if (path === "name") return document.getElementById("pipeline-name");
  const match = /^stages\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\])?/.exec(path);
  const row = match ? rows()[Number(match[1])] : null;
  if (!row) return null;
  if (match[2] === "tasks" && match[3] !== undefined) {
    const task = row.querySelectorAll(".task-row")[Number(match[3])];
    if (task) row.querySelector(".stage-extra").open = true;
    return task?.querySelector('[name="task_title"]') ?? null;
  }
  if (match[2] === "required_properties") return row.querySelector('[name="custom"]');
  return row.querySelector(`[name="${match[2] ?? "name"}"]`);
}

function clearErrors() {
  errorBox.hidden = true;
  errorBox.replaceChildren();
  form.querySelectorAll('[aria-invalid="true"]').forEach((input) => input.removeAttribute("aria-invalid"));
}

function showErrors(message, fields) {
  const heading = document.createElement("p");
  heading.textContent = message;
  const items = document.createElement("ul");
  for (const [path, reason] of Object.entries(fields ?? {})) {
    const input = inputFor(path);
    const item = document.createElement("li");
    const row = input?.closest(".stage-row");
    const where = row ? `${format(messages.stageNumber, { position: rows().indexOf(row) + 1 })} (${rowName(row)})` : path;
    item.textContent = `${where}: ${Array.isArray(reason) ? reason.join(", ") : reason}`;
    items.append(item);
    input?.setAttribute("aria-invalid", "true");
  }
  errorBox.replaceChildren(heading, items);
  errorBox.hidden = false;
  errorBox.focus();
}

function moveRow(row, offset, focusSelector) {
  const all = rows();
  const target = all.indexOf(row) + offset;
  if (target < 0 || target >= all.length) return;
  if (offset < 0) list.insertBefore(row, all[target]);
  else list.insertBefore(row, all[target].nextSibling);
  row.querySelector(focusSelector)?.focus();
  announce(format(messages.position, { name: rowName(row), position: target + 1, count: all.length }));
}

function addStage() {
  counter += 1;
  const fragment = withFreshIds(stageTemplate.content.cloneNode(true), "__key__", `n${counter}`);
  const row = fragment.querySelector(".stage-row");
  row.dataset.key = `n${counter}`;
  row.querySelector('[name="name"]').value = messages.newStage;
  const firstClosing = rows().findIndex((other) => other.querySelector('[name="kind"]').value !== "open");
  // New stages go before the first closing stage (won, lost, closed), where open stages belong.
  if (firstClosing >= 0) list.insertBefore(fragment, rows()[firstClosing]);
  else list.append(fragment);
  renderPreview(row);
  const name = row.querySelector('[name="name"]');
  name.focus();
  name.select();
  announce(format(messages.position, { name: rowName(row), position: rows().indexOf(row) + 1, count: rows().length }));
}

function addTask(row) {
  counter += 1;
  const fragment = withFreshIds(taskTemplate.content.cloneNode(true), "__key__", row.dataset.key);
  withFreshIds(fragment, "__task__", `t${counter}`);
  const task = fragment.querySelector(".task-row");
  row.querySelector(".task-rows").append(fragment);
  task.querySelector('[name="task_title"]').focus();
}

function removeRowLocally(row) {
  const all = rows();
  const next = all[all.indexOf(row) + 1] ?? all[all.indexOf(row) - 1];
  const name = rowName(row);
  row.remove();
  (next?.querySelector(".delete-stage") ?? document.getElementById("add-stage")).focus();
  announce(format(messages.removed, { name }));
}

/** Ask where the stage's records go, move them and delete the stage on the server at once. */
function deleteWithRecords(row) {
  const others = rows().filter((other) => other !== row && other.dataset.stageId);
  const count = Number(row.dataset.count);
  dialog.querySelector("#delete-title").textContent = format(messages.deleteTitle, { name: rowName(row) });
  dialog.querySelector("#delete-intro").textContent = format(messages.deleteIntro, { count });
  moveTo.replaceChildren(...others.map((other) => new Option(rowName(other), other.dataset.stageId)));
  const submit = deleteForm.querySelector('[type="submit"]');
  submit.disabled = others.length === 0;
  deleteError.textContent = others.length ? "" : messages.noTarget;
  deleteError.hidden = others.length > 0;
  const cancel = deleteForm.querySelector("[data-cancel]");
  const done = () => {
    deleteForm.removeEventListener("submit", onSubmit);
    cancel.removeEventListener("click", onCancel);
    dialog.removeEventListener("cancel", onCancel);
    if (dialog.open) dialog.close();
  };
  const onCancel = (event) => {
    event.preventDefault();
    done();
    row.querySelector(".delete-stage").focus();
  };
  const onSubmit = async (event) => {
    event.preventDefault();
    const target = others.find((other) => other.dataset.stageId === moveTo.value);
    submit.disabled = true;
    let answer;
    try {
      answer = await callApi("POST", form.dataset.deleteUrl.replace("__stage__", row.dataset.stageId), {
        move_to: Number(moveTo.value),
      });
    } catch {
      answer = { ok: false, error: { message: messages.offline } };
    }
    submit.disabled = false;
    if (!answer.ok) {
      deleteError.textContent = answer.error?.message ?? String(answer.status);
      deleteError.hidden = false;
      return;
    }
    done();
    for (const other of rows()) {
      const fresh = answer.data.counts[other.dataset.stageId];
      if (fresh !== undefined) {
        other.dataset.count = String(fresh);
      }
    }
    const name = rowName(row);
    removeRowLocally(row);
    announce(format(messages.deleted, { count: answer.data.moved, stage: rowName(target), name }));
  };
  deleteForm.addEventListener("submit", onSubmit);
  cancel.addEventListener("click", onCancel);
  dialog.addEventListener("cancel", onCancel);
  dialog.showModal();
  (others.length ? moveTo : cancel).focus();
}

form.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const row = button.closest(".stage-row");
  if (button.id === "add-stage") addStage();
  else if (button.classList.contains("move-up")) moveRow(row, -1, ".move-up");
  else if (button.classList.contains("move-down")) moveRow(row, 1, ".move-down");
  else if (button.classList.contains("add-task")) addTask(row);
  else if (button.classList.contains("remove-task")) {
    button.closest(".task-row").remove();
    row.querySelector(".add-task").focus();
  } else if (button.classList.contains("delete-stage")) {
    if (rows().length === 1) return;
    if (row.dataset.stageId && Number(row.dataset.count) > 0) deleteWithRecords(row);
    else removeRowLocally(row);
  }
});

form.addEventListener("input", (event) => {
  const row = event.target.closest(".stage-row");
  if (row && (event.target.name === "required" || event.target.name === "custom")) renderPreview(row);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  status.textContent = "";
  const stages = rows().map(stageOf);
  const problems = Object.assign({}, ...stages.map(problemsOf));
  const name = document.getElementById("pipeline-name").value.trim();
  if (!name) problems.name = messages.fillIn;
  if (Object.keys(problems).length) {
    showErrors(format(messages.saveFailed, { reason: "" }), problems);
    return;
  }
  let answer;
  try {
    answer = await callApi("PATCH", form.dataset.api, { name, stages });
  } catch {
    answer = { ok: false, error: { message: messages.offline } };
  }
  if (!answer.ok) {
    showErrors(format(messages.saveFailed, { reason: answer.error?.message ?? answer.status }), answer.error?.details?.fields);
    return;
  }
  // The server answers with the stages in order: new ones now have ids to keep on the next save.
  answer.data.stages.forEach((stage, index) => {
    const row = rows()[index];
    if (row) row.dataset.stageId = String(stage.id);
  });
  document.querySelector("h1").textContent = answer.data.name;
  announce(messages.saved);
});

// Reordering by drag: the handle starts the drag, the row under the pointer is the drop spot.
list.addEventListener("dragstart", (event) => {
  const handle = event.target.closest?.(".stage-handle");
  if (!handle) return;
  dragged = handle.closest(".stage-row");
  dragged.classList.add("dragging");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", dragged.dataset.key);
  event.dataTransfer.setDragImage(dragged, 10, 10);
});

list.addEventListener("dragover", (event) => {
  const row = event.target.closest?.(".stage-row");
  if (!dragged || !row) return;
  event.preventDefault();
  list.querySelectorAll(".drop-before").forEach((other) => other.classList.remove("drop-before"));
  if (row !== dragged) row.classList.add("drop-before");
});

list.addEventListener("drop", (event) => {
  const row = event.target.closest?.(".stage-row");
  if (!dragged || !row) return;
  event.preventDefault();
  const box = row.getBoundingClientRect();
  const after = event.clientY > box.top + box.height / 2;
  if (row !== dragged) list.insertBefore(dragged, after ? row.nextSibling : row);
  const all = rows();
  announce(format(messages.position, { name: rowName(dragged), position: all.indexOf(dragged) + 1, count: all.length }));
});

list.addEventListener("dragend", () => {
  dragged?.classList.remove("dragging");
  dragged = null;
  list.querySelectorAll(".drop-before").forEach((other) => other.classList.remove("drop-before"));
});
