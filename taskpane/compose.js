// The compose pane: the Track, Log and contact choices, the records the mail goes on, who is
// tracked and logged, and tracked attachments. Every choice is written to the item's session
// data at once, where the on-send handler reads it, so the pane and the handler never disagree.
import {
  ApiError,
  composePreview,
  defaults,
  getRecord,
  listTemplates,
  searchRecords,
  sendTime,
  uploadAttachment,
} from "../addin/api.js";
import {
  CHOICES_KEY,
  attachFile,
  bodyHtml,
  delayDelivery,
  hostName,
  insertHtml,
  recipients,
  sessionGet,
  sessionSet,
  setBodyHtml,
  setSubject,
  subject,
  supports,
  userEmail,
} from "../addin/office.js";
import { formatDateTime, t } from "./i18n.js";
import {
  describeError,
  element,
  isUnreachable,
  showError,
  showStartFailure,
  showStatus,
  startPane,
} from "./pane.js";

const RECIPIENT_POLL_MS = 2000;
const SEARCH_DELAY_MS = 250;
const SEARCH_MIN_LENGTH = 2;
const RESULTS_PER_TYPE = 5;
const PLURALS = { contact: "contacts", company: "companies", deal: "deals", ticket: "tickets" };
const SINGULARS = Object.fromEntries(Object.entries(PLURALS).map(([one, many]) => [many, one]));

const state = {
  online: true,
  choices: { track: true, log: true, associations: [], create_contacts: true, remind: null },
  // Why the Track or Log box cannot apply to this draft's recipients ("" when it can).
  blocked: { track: "", log: "" },
  automatic: [],
  manual: [],
  removed: new Set(),
  labels: new Map(),
  recipientsSeen: null,
  previewRun: 0,
  sendAt: null,
  templates: [],
};

const $ = (id) => document.getElementById(id);
const keyOf = (record) => `${record.type}:${record.id}`;

function typeLabel(type) {
  const labels = {
    contact: () => t("type.contact"),
    company: () => t("type.company"),
    deal: () => t("type.deal"),
    ticket: () => t("type.ticket"),
  };
  return (labels[type] || (() => type))();
}

// A record's name as people know it: a contact's name or address, a company's or deal's name.
function recordLabel(type, record) {
  if (type === "contact") {
    const name = [record.first_name, record.last_name].filter(Boolean).join(" ");
    return name ? `${name} <${record.email}>` : record.email;
  }
  if (type === "ticket") {
    return record.subject;
  }
  if (type === "company" && record.domain) {
    return `${record.name} (${record.domain})`;
  }
  return record.name;
}

async function labelFor(record) {
  const key = keyOf(record);
  if (!state.labels.has(key)) {
    try {
      const found = await getRecord(PLURALS[record.type], record.id);
      state.labels.set(key, recordLabel(record.type, found));
    } catch {
      return `${typeLabel(record.type)} #${record.id}`;
    }
  }
  return state.labels.get(key);
}

// --- Choices -----------------------------------------------------------------------------------

// The records shown as selected: the automatic ones not removed, then the ones added by hand.
function selectedRecords() {
  const automatic = state.automatic.filter((record) => !state.removed.has(keyOf(record)));
  const seen = new Set(automatic.map(keyOf));
  return [...automatic, ...state.manual.filter((record) => !seen.has(keyOf(record)))];
}

// Untouched, the list stays empty so compose picks the same automatic records the preview showed.
function explicitChoice() {
  return state.removed.size > 0 || state.manual.length > 0;
}

async function saveChoices() {
  state.choices.associations = explicitChoice()
    ? selectedRecords().map((record) => ({ type: record.type, id: record.id }))
    : [];
  try {
    await sessionSet(CHOICES_KEY, { ...state.choices });
  } catch (error) {
    showError(t("error.sessionData", { message: error.message }));
  }
}

// A box the recipients rule out is greyed and unchecked with the reason under it; the choice
// itself is kept, so it applies again once those recipients are gone.
function showChoices() {
  for (const id of ["track", "log"]) {
    const why = state.blocked[id];
    $(id).disabled = Boolean(why);
    $(id).checked = why ? false : state.choices[id];
    $(`${id}-blocked`).textContent = why;
    $(`${id}-blocked`).hidden = !why;
  }
  $("create-contacts").checked = state.choices.create_contacts;
  $("create-contacts").disabled = !state.choices.log || Boolean(state.blocked.log);
  $("remind-days").value = state.choices.remind ? String(state.choices.remind.in_days) : "";
  $("remind-unless").value = state.choices.remind ? state.choices.remind.unless : "reply";
  $("remind-unless").disabled = !state.choices.remind;
}

// The "Remind me" choice: null, or the body of the reminder the send handler sets after compose.
function remindChoice() {
  const days = Number($("remind-days").value);
  return days ? { in_days: days, unless: $("remind-unless").value } : null;
}

function storedRemind(stored) {
  const remind = stored.remind;
  const valid = remind && Number.isInteger(remind.in_days) && typeof remind.unless === "string";
  return valid ? { in_days: remind.in_days, unless: remind.unless } : null;
}

async function onChoiceChanged() {
  const boxes = { track: "track", log: "log", "create-contacts": "create_contacts" };
  for (const [id, name] of Object.entries(boxes)) {
    if (!$(id).disabled) {
      state.choices[name] = $(id).checked;
    }
  }
  state.choices.remind = remindChoice();
  showChoices();
  await saveChoices();
  showStatus(t("status.saved"));
  refreshPreview(true);
}

// The choices to start from: those already in session data, else the account's defaults.
async function initialChoices() {
  const stored = await sessionGet(CHOICES_KEY).catch(() => null);
  if (stored && typeof stored === "object") {
    const pick = (name, fallback) => (typeof stored[name] === "boolean" ? stored[name] : fallback);
    state.choices = {
      track: pick("track", true),
      log: pick("log", true),
      create_contacts: pick("create_contacts", true),
      associations: Array.isArray(stored.associations) ? stored.associations : [],
      remind: storedRemind(stored),
      template_id: Number.isInteger(stored.template_id) ? stored.template_id : null,
    };
    state.manual = state.choices.associations.map((record) => ({ ...record, source: "manual" }));
    return { fromSession: true };
  }
  const me = await defaults();
  state.choices = {
    track: Boolean(me.track_by_default),
    log: Boolean(me.log_by_default),
    create_contacts: Boolean(me.create_contacts),
    associations: [],
    remind: null,
  };
  await saveChoices();
  return { fromSession: false };
}

// --- Recipients and automatic records ----------------------------------------------------------

async function draftPayload() {
  const [lines, title, from, host] = await Promise.all([
    recipients(),
    subject().catch(() => ""),
    userEmail().catch(() => ""),
    hostName().catch(() => "outlook-desktop"),
  ]);
  return {
    subject: title,
    from,
    to: lines.to,
    cc: lines.cc,
    bcc: lines.bcc,
    html: "",
    track: state.choices.track,
    log: state.choices.log,
    // Always ask for the automatic records: the pane shows them and lets the user remove some.
    associations: [],
    create_contacts: state.choices.create_contacts,
    client: { host },
  };
}

function recipientBadges(recipient, tracking) {
  const badges = [];
  if (recipient.track) {
    const text = tracking === "anonymous" ? t("recipients.trackedAnonymously") : t("recipients.tracked");
    badges.push(element("span", { className: "badge on" }, text));
  }
  if (recipient.log) {
    badges.push(element("span", { className: "badge on" }, t("recipients.logged")));
  }
  if (!recipient.track && !recipient.log) {
    badges.push(element("span", { className: "badge off" }, t("recipients.notTrackedOrLogged")));
  } else if (!recipient.track) {
    badges.push(element("span", { className: "badge off" }, t("recipients.notTracked")));
  } else if (!recipient.log) {
    badges.push(element("span", { className: "badge off" }, t("recipients.notLogged")));
  }
  return badges;
}

// What the recipients' own standing rules out for the whole mail: one body goes to everyone, so
// one recipient without a legal basis (privacy mode) or who opted out stops tracking for all;
// logging stops only when no external recipient has a legal basis.
function blockedBoxes(preview) {
  const external = preview.recipients.filter((recipient) => recipient.reason_code !== "internal");
  const emails = (code) =>
    external.filter((recipient) => recipient.reason_code === code).map((r) => r.email);
  const noBasis = emails("lacks_legal_basis");
  const optedOut = emails("recipient_opted_out");
  const track = [
    noBasis.length ? t("compose.noLegalBasis", { emails: noBasis.join(", ") }) : "",
    optedOut.length ? t("compose.optedOut", { emails: optedOut.join(", ") }) : "",
  ];
  const nobodyToLog = external.length > 0 && noBasis.length === external.length;
  return {
    track: track.filter(Boolean).join(" "),
    log: nobodyToLog ? t("compose.nobodyToLog") : "",
  };
}

function showRecipients(preview) {
  const list = $("recipients");
  list.replaceChildren(
    ...preview.recipients.map((recipient) => {
      const muted = !recipient.track && !recipient.log;
      return element(
        "li",
        {
          className: muted ? "recipient is-muted" : "recipient",
          "data-email": recipient.email,
          "data-reason-code": recipient.reason_code || "",
        },
        element("span", { className: "recipient-email" }, recipient.email),
        element("span", { className: "badges" }, recipientBadges(recipient, preview.tracking)),
        recipient.reason ? element("span", { className: "reason" }, recipient.reason) : null,
        recipient.contact_id || !recipient.log
          ? null
          : element(
              "span",
              { className: "reason" },
              state.choices.create_contacts
                ? t("recipients.contactWillBeCreated")
                : t("recipients.noContact"),
            ),
      );
    }),
  );
  $("recipients-empty").hidden = preview.recipients.length > 0;
  $("tracking-summary").textContent = preview.recipients.length ? preview.tracking_reason : "";
}

// The best time to send to the first recipient who is a contact, and a button to hold the mail
// until then where Outlook supports delayed delivery (Mailbox 1.13).
async function offerSendTime(preview) {
  const box = $("send-time");
  const contact = preview.recipients.find((recipient) => recipient.contact_id);
  if (!contact) {
    box.hidden = true;
    return;
  }
  let answer;
  try {
    answer = await sendTime(contact.contact_id);
  } catch {
    box.hidden = true;
    return;
  }
  const when = formatDateTime(answer.suggested_at);
  $("send-time-when").textContent = t("sendTime.when", { email: contact.email, when });
  $("send-time-reason").textContent = answer.reason;
  state.sendAt = new Date(answer.suggested_at);
  $("send-time-button").hidden = !(await supports("Mailbox", "1.13").catch(() => false));
  box.hidden = false;
}

async function sendAtSuggestedTime() {
  try {
    await delayDelivery(state.sendAt);
    showStatus(t("sendTime.scheduled", { when: formatDateTime(state.sendAt) }));
  } catch (error) {
    showError(t("error.office", { message: error.message }));
  }
}

function showAssociations() {
  const selected = selectedRecords();
  const list = $("associations");
  list.replaceChildren(
    ...selected.map((record) => {
      const label = state.labels.get(keyOf(record)) || `${typeLabel(record.type)} #${record.id}`;
      const why = record.source === "manual" ? t("records.addedByYou") : record.why;
      return element(
        "li",
        { className: "association", "data-key": keyOf(record) },
        element("span", { className: "badge type" }, typeLabel(record.type)),
        element("span", { className: "association-label" }, label),
        why ? element("span", { className: "reason" }, why) : null,
        element(
          "button",
          {
            type: "button",
            className: "remove",
            "aria-label": t("records.remove", { name: label }),
            onclick: () => removeRecord(record, label),
          },
          "×",
        ),
      );
    }),
  );
  const empty = $("associations-empty");
  empty.hidden = selected.length > 0;
  empty.textContent = explicitChoice() ? t("records.emptyAfterRemoval") : t("records.empty");
}

async function removeRecord(record, label) {
  const key = keyOf(record);
  state.manual = state.manual.filter((item) => keyOf(item) !== key);
  if (state.automatic.some((item) => keyOf(item) === key)) {
    state.removed.add(key);
  }
  showAssociations();
  await saveChoices();
  showStatus(t("records.removed", { name: label }));
  $("picker-input").focus();
}

async function addRecord(record) {
  const key = keyOf(record);
  state.removed.delete(key);
  if (!selectedRecords().some((item) => keyOf(item) === key)) {
    state.manual.push({ type: record.type, id: record.id, source: "manual" });
  }
  state.labels.set(key, record.label);
  showAssociations();
  await saveChoices();
  showStatus(t("records.added", { name: record.label }));
}

// Asks the server what compose would do with the draft as it is now; changes nothing there.
async function refreshPreview(force = false) {
  if (!state.online) {
    return;
  }
  let payload;
  try {
    payload = await draftPayload();
  } catch (error) {
    showError(t("error.office", { message: error.message }));
    return;
  }
  const seen = JSON.stringify([payload.to, payload.cc, payload.bcc]);
  if (!force && seen === state.recipientsSeen) {
    return;
  }
  state.recipientsSeen = seen;
  const run = ++state.previewRun;
  try {
    const preview = await composePreview(payload);
    if (run !== state.previewRun) {
      return;
    }
    showError("");
    showRecipients(preview);
    await offerSendTime(preview);
    state.blocked = blockedBoxes(preview);
    showChoices();
    state.automatic = (preview.associations || []).map((item) => ({ ...item }));
    await Promise.all(
      [...state.automatic, ...state.manual].map(async (record) => {
        if (record.label) {
          state.labels.set(keyOf(record), record.label);
        }
        await labelFor(record);
      }),
    );
    if (run === state.previewRun) {
      showAssociations();
      await saveChoices();
    }
  } catch (error) {
    state.recipientsSeen = null;
    showProblem(error);
  }
}

function showProblem(error) {
  if (isUnreachable(error)) {
    showError(t("error.unreachableSend"));
  } else {
    showError(describeError(error));
  }
}

function watchRecipients() {
  setInterval(() => refreshPreview(false), RECIPIENT_POLL_MS);
  window.addEventListener("focus", () => refreshPreview(false));
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      refreshPreview(false);
    }
  });
}

// --- Record picker (combobox with a listbox, WAI-ARIA 1.2) ---------------------------------------

const picker = { timer: null, run: 0, options: [], active: -1 };

function pickerStatus(text) {
  $("picker-status").textContent = text;
}

function closeListbox() {
  $("picker-list").hidden = true;
  $("picker-input").setAttribute("aria-expanded", "false");
  $("picker-input").removeAttribute("aria-activedescendant");
  picker.active = -1;
}

function setActive(index) {
  const items = $("picker-list").querySelectorAll("[role=option]");
  if (!items.length) {
    return;
  }
  picker.active = (index + items.length) % items.length;
  items.forEach((item, position) => {
    item.setAttribute("aria-selected", position === picker.active ? "true" : "false");
  });
  const active = items[picker.active];
  $("picker-input").setAttribute("aria-activedescendant", active.id);
  active.scrollIntoView({ block: "nearest" });
}

function showOptions(options, message) {
  const list = $("picker-list");
  picker.options = options;
  picker.active = -1;
  const rows = options.map((option, index) =>
    element(
      "li",
      {
        id: `picker-option-${index}`,
        role: "option",
        "aria-selected": "false",
        className: "option",
        onmousedown: (event) => event.preventDefault(),
        onclick: () => choose(index),
      },
      element("span", { className: "badge type" }, typeLabel(option.type)),
      element("span", {}, option.label),
    ),
  );
  if (message) {
    rows.push(element("li", { className: "option-note", role: "presentation" }, message));
  }
  list.replaceChildren(...rows);
  list.hidden = rows.length === 0;
  $("picker-input").setAttribute("aria-expanded", rows.length ? "true" : "false");
  $("picker-input").removeAttribute("aria-activedescendant");
}

async function choose(index) {
  const option = picker.options[index];
  if (!option) {
    return;
  }
  closeListbox();
  $("picker-input").value = "";
  await addRecord(option);
  $("picker-input").focus();
}

async function search(text) {
  const run = ++picker.run;
  const wanted = $("picker-type").value;
  const types = wanted === "all" ? Object.values(PLURALS) : [wanted];
  pickerStatus(t("records.searching"));
  const answers = await Promise.allSettled(types.map((type) => searchRecords(type, text)));
  if (run !== picker.run) {
    return;
  }
  const options = [];
  let failure = null;
  answers.forEach((answer, position) => {
    if (answer.status === "rejected") {
      failure = answer.reason;
      return;
    }
    const type = SINGULARS[types[position]];
    for (const record of (answer.value.items || []).slice(0, RESULTS_PER_TYPE)) {
      options.push({ type, id: record.id, label: recordLabel(type, record) });
    }
  });
  let message = "";
  if (failure && !options.length) {
    message = describeError(failure);
  } else if (!options.length) {
    message = t("records.noMatch", { query: text });
  }
  showOptions(options, message);
  pickerStatus(options.length ? t("records.found", { count: options.length }) : message);
}

function onPickerInput() {
  clearTimeout(picker.timer);
  const text = $("picker-input").value.trim();
  if (text.length < SEARCH_MIN_LENGTH) {
    picker.run += 1;
    closeListbox();
    return;
  }
  picker.timer = setTimeout(() => search(text), SEARCH_DELAY_MS);
}

function onPickerKey(event) {
  const open = !$("picker-list").hidden && picker.options.length > 0;
  if (event.key === "ArrowDown") {
    event.preventDefault();
    if (open) {
      setActive(picker.active + 1);
    } else {
      onPickerInput();
    }
  } else if (event.key === "ArrowUp" && open) {
    event.preventDefault();
    setActive(picker.active - 1);
  } else if (event.key === "Home" && open && event.altKey) {
    event.preventDefault();
    setActive(0);
  } else if (event.key === "End" && open && event.altKey) {
    event.preventDefault();
    setActive(picker.options.length - 1);
  } else if (event.key === "Enter" && open && picker.active >= 0) {
    event.preventDefault();
    choose(picker.active);
  } else if (event.key === "Escape") {
    if (open) {
      event.preventDefault();
      closeListbox();
    } else {
      $("picker-input").value = "";
    }
  }
}

function wirePicker() {
  $("picker-input").addEventListener("input", onPickerInput);
  $("picker-input").addEventListener("keydown", onPickerKey);
  $("picker-input").addEventListener("blur", () => setTimeout(closeListbox, 150));
  $("picker-type").addEventListener("change", onPickerInput);
}

// --- Tracked attachments ---------------------------------------------------------------------------

function escapeHtml(text) {
  return String(text).replace(
    /[&<>"']/g,
    (character) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character],
  );
}

// The link goes at the end of the mail, inside <body> when the HTML has one.
function withLinkAtEnd(html, shared) {
  const link =
    `<p class="tracklog-attachment">&#128206; <a href="${escapeHtml(shared.url)}">` +
    `${escapeHtml(shared.filename)}</a></p>`;
  const source = html || "";
  const end = source.search(/<\/body\s*>/i);
  return end === -1 ? `${source}${link}` : `${source.slice(0, end)}${link}${source.slice(end)}`;
}

function listAttachment(name, note) {
  $("attachments").append(
    element(
      "li",
      { className: "attachment" },
      name,
      element("span", { className: "reason" }, note),
    ),
  );
}

async function attachTracked(file) {
  showStatus(t("attachments.uploading", { filename: file.name }));
  const shared = await uploadAttachment(file, null);
  await setBodyHtml(withLinkAtEnd(await bodyHtml(), shared));
  const expires = formatDateTime(shared.expires_at);
  listAttachment(
    element("a", { href: shared.url, target: "_blank", rel: "noopener" }, shared.filename),
    t("attachments.expires", { date: expires }),
  );
  showStatus(t("attachments.added", { filename: shared.filename, date: expires }));
}

function base64Of(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

async function attachPlain(file) {
  await attachFile(file.name, base64Of(await file.arrayBuffer()));
  listAttachment(file.name, t("attachments.plain_note"));
  showStatus(t("attachments.plain_added", { filename: file.name }));
}

// Which button chose the files: a tracked link, or attached as it is.
let attachTracking = true;

async function attach(file) {
  const button = $(attachTracking ? "attachment-button" : "attach-plain-button");
  button.disabled = true;
  showError("");
  try {
    await (attachTracking ? attachTracked(file) : attachPlain(file));
  } catch (error) {
    showError(
      error instanceof ApiError
        ? t("attachments.failed", { filename: file.name, message: describeError(error) })
        : t("error.office", { message: error.message }),
    );
    showStatus("");
  } finally {
    button.disabled = false;
    $("attachment-input").value = "";
    button.focus();
  }
}

async function wireAttachments() {
  const choose = (tracked) => {
    attachTracking = tracked;
    $("attachment-input").click();
  };
  $("send-time-button").addEventListener("click", sendAtSuggestedTime);
  $("attachment-button").addEventListener("click", () => choose(true));
  $("attach-plain-button").addEventListener("click", () => choose(false));
  // Attaching from the pane needs Mailbox 1.8; elsewhere Outlook's own button does it.
  $("attach-plain-button").hidden = !(await supports("Mailbox", "1.8").catch(() => false));
  $("attachment-input").addEventListener("change", async (event) => {
    for (const file of Array.from(event.target.files || [])) {
      await attach(file);
    }
  });
}

// --- Templates ---------------------------------------------------------------------------------

function templateOption(template) {
  const label = template.recommended
    ? t("templates.recommended", { name: template.name })
    : template.name;
  return element("option", { value: String(template.id) }, label);
}

function showTemplateReason() {
  const chosen = state.templates.find((item) => String(item.id) === $("template-select").value);
  $("template-reason").textContent = chosen ? chosen.recommendation : "";
}

async function loadTemplates() {
  try {
    state.templates = (await listTemplates()).items;
  } catch {
    state.templates = [];
  }
  $("templates-card").hidden = state.templates.length === 0;
  $("template-select").replaceChildren(...state.templates.map(templateOption));
  showTemplateReason();
}

// The template's body goes where the cursor is, its subject only into an empty subject line;
// compose is told which template the mail started from, so its results can be counted.
async function insertTemplate() {
  const chosen = state.templates.find((item) => String(item.id) === $("template-select").value);
  if (!chosen) {
    return;
  }
  try {
    await insertHtml(chosen.html);
    if (chosen.subject && !(await subject())) {
      await setSubject(chosen.subject);
    }
    state.choices.template_id = chosen.id;
    await saveChoices();
    showStatus(t("templates.inserted", { name: chosen.name }));
  } catch (error) {
    showError(t("error.office", { message: error.message }));
  }
}

function wireTemplates() {
  $("template-select").addEventListener("change", showTemplateReason);
  $("template-insert").addEventListener("click", insertTemplate);
}

// --- Start -----------------------------------------------------------------------------------------

function wireChoices() {
  for (const id of ["track", "log", "create-contacts", "remind-days", "remind-unless"]) {
    $(id).addEventListener("change", onChoiceChanged);
  }
}

async function main() {
  let started;
  try {
    started = await startPane();
  } catch (error) {
    await showStartFailure(error);
    return;
  }
  wireChoices();
  wirePicker();
  wireAttachments();
  wireTemplates();
  if (!started.online) {
    state.online = false;
    showError(t("error.unreachableSend"));
    await sessionGet(CHOICES_KEY)
      .then((stored) => stored && Object.assign(state.choices, stored))
      .catch(() => null);
    showChoices();
    document.body.dataset.ready = "true";
    return;
  }
  try {
    const { fromSession } = await initialChoices();
    showStatus(fromSession ? t("status.restored") : t("status.defaults"));
  } catch (error) {
    showProblem(error);
  }
  showChoices();
  showAssociations();
  await loadTemplates();
  await refreshPreview(true);
  watchRecipients();
  document.body.dataset.ready = "true";
}

main();
