// A record page's properties form and associations panel (the timeline is timeline.js).

import { api } from "./http.js";
import { attachPicker } from "./picker.js";

const PLURALS = { contact: "contacts", company: "companies", deal: "deals", ticket: "tickets" };

function crmLabels() {
  const block = document.getElementById("crm-labels");
  try {
    return block ? JSON.parse(block.textContent) : {};
  } catch {
    return {};
  }
}

const labels = crmLabels();

function fill(template, values) {
  return (template ?? "").replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
}

// The company of a contact: a picker writing the chosen id into the hidden company_id input.
function setUpCompanyField(field) {
  const hidden = field.querySelector("[data-company-id]");
  const text = field.querySelector("[data-company-picker]");
  const clear = field.querySelector("[data-company-clear]");
  attachPicker(text, {
    types: ["company"],
    onChoose: (option) => {
      hidden.value = String(option.id);
      text.value = option.record.name;
      clear.hidden = false;
    },
  });
  text.addEventListener("change", () => {
    if (!text.value.trim()) hidden.value = "";
  });
  clear.addEventListener("click", () => {
    hidden.value = "";
    text.value = "";
    clear.hidden = true;
    text.focus();
  });
}

// A stage belongs to one pipeline: keep the two selects in step.
function setUpPipelineSelects(form) {
  const pipeline = form.querySelector("[data-pipeline-select]");
  const stage = form.querySelector("[data-stage-select]");
  if (!pipeline || !stage) return;
  stage.addEventListener("change", () => {
    const group = stage.selectedOptions[0]?.parentElement;
    if (group?.dataset.pipelineId) pipeline.value = group.dataset.pipelineId;
  });
  pipeline.addEventListener("change", () => {
    const group = stage.querySelector(`optgroup[data-pipeline-id="${pipeline.value}"]`);
    const first = group?.querySelector("option");
    if (first) stage.value = first.value;
  });
}

function relatedItem(recordType, recordId, item) {
  const entry = document.createElement("li");
  const link = document.createElement("a");
  link.href = `/${PLURALS[item.type]}/${item.id}`;
  link.textContent = item.label;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "link-button";
  remove.dataset.unlink = "";
  remove.dataset.type = item.type;
  remove.dataset.id = String(item.id);
  remove.textContent = labels.remove ?? "";
  remove.setAttribute("aria-label", fill(labels.removeNamed, { name: item.label }));
  entry.append(link, " ", remove);
  return entry;
}

function setUpAssociations(panel, recordType, recordId) {
  const status = panel.querySelector("[data-associations-status]");
  const base = `/records/${recordType}/${recordId}/associations`;

  function render(related) {
    for (const [type, items] of Object.entries(related)) {
      const list = panel.querySelector(`[data-related-list="${type}"]`);
      if (!list) continue;
      const heading = document.getElementById(`related-${type}-heading`)?.querySelector(".count");
      if (heading) heading.textContent = String(items.length);
      if (!items.length) {
        const empty = document.createElement("li");
        empty.className = "muted";
        empty.textContent = labels.none ?? "";
        list.replaceChildren(empty);
      } else {
        list.replaceChildren(...items.map((item) => relatedItem(recordType, recordId, item)));
      }
    }
  }

  function fail(error) {
    status.textContent = fill(labels.failed, { reason: error.message });
  }

  const input = panel.querySelector("#association-picker");
  const types = (input.dataset.types || "").split(",").filter(Boolean);
  attachPicker(input, {
    types,
    onChoose: async (option) => {
      try {
        render(await api("POST", base, { type: option.type, id: option.id }));
        input.value = "";
        status.textContent = labels.saved ?? "";
      } catch (error) {
        fail(error);
      }
    },
  });

  panel.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-unlink]");
    if (!button) return;
    const list = button.closest("ul");
    try {
      await api("DELETE", `${base}/${button.dataset.type}/${button.dataset.id}`);
      render(await api("GET", base));
      status.textContent = labels.saved ?? "";
      (list.querySelector("[data-unlink]") ?? input).focus();
    } catch (error) {
      fail(error);
    }
  });
}

const layout = document.querySelector(".record-layout");
document.querySelectorAll("[data-company-field]").forEach(setUpCompanyField);
document.querySelectorAll(".record-form").forEach(setUpPipelineSelects);
if (layout) {
  const panel = layout.querySelector("#associations");
  if (panel) setUpAssociations(panel, layout.dataset.recordType, layout.dataset.recordId);
}
document.getElementById("error-summary")?.focus();
