// The task list: ticking a task's box marks it done through the API (unticking undoes it).

import { format } from "./board.js";
import { request as callApi } from "./http.js";

const table = document.querySelector(".task-table");
const messages = JSON.parse(document.getElementById("tasks-data").textContent);
const status = document.getElementById("tasks-status");
const errorBox = document.getElementById("tasks-error");

table.addEventListener("change", async (event) => {
  const box = event.target.closest(".task-done");
  if (!box) return;
  const row = box.closest("tr");
  const title = row.dataset.title;
  box.disabled = true;
  let answer;
  try {
    answer = await callApi("PATCH", `${table.dataset.api}${box.dataset.taskId}`, { done: box.checked });
  } catch {
    answer = { ok: false, error: { message: messages.offline } };
  }
  box.disabled = false;
  box.focus();
  if (!answer.ok) {
    box.checked = !box.checked;
    errorBox.textContent = format(messages.taskFailed, { reason: answer.error?.message ?? "" });
    errorBox.hidden = false;
    return;
  }
  errorBox.hidden = true;
  row.classList.toggle("is-done", answer.data.done);
  status.textContent = format(answer.data.done ? messages.taskDone : messages.taskUndone, { title });
});
