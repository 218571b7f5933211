// The read pane: the sender's contact card, "Log this mail" for a received mail, and the live
// open history of a tracked mail the user sent.
import {
  connectMailbox,
  createContact,
  getRecord,
  logMail,
  message,
  myMailbox,
  searchRecords,
} from "../addin/api.js";
import { getToken } from "../addin/auth.js";
import { bodyHtml, readItem, recipients, userEmail } from "../addin/office.js";
import { formatDateTime, t } from "./i18n.js";
import {
  describeError,
  element,
  showError,
  showStartFailure,
  showStatus,
  startPane,
} from "./pane.js";

const MESSAGE_PROPERTY = "tracklogMessageId";
const MESSAGE_HEADER = "X-Tracklog-Message";
const RECONNECT_MS = [1000, 2000, 5000, 10000, 30000];
const REFRESH_DELAY_MS = 800;

const $ = (id) => document.getElementById(id);
let baseUrl = "";

// --- Office calls office.js does not wrap (yet): sender name, date, MIME, tracking marks ---------

function currentItem() {
  return Office.context.mailbox.item;
}

function itemCall(call, start) {
  return new Promise((resolve, reject) => {
    try {
      start((result) => {
        if (result && result.status === "failed") {
          reject(new Error(`${call} failed: ${result.error ? result.error.message : "unknown"}`));
        } else {
          resolve(result ? result.value : undefined);
        }
      });
    } catch (error) {
      reject(new Error(`${call} failed: ${error.message}`));
    }
  });
}

function senderName() {
  const from = currentItem().from;
  return from && from.displayName && from.displayName !== from.emailAddress ? from.displayName : "";
}

function itemDate() {
  const created = currentItem().dateTimeCreated;
  return created ? new Date(created) : new Date();
}

// The message as the server received it (Mailbox 1.14), base64; null where Outlook cannot give it.
async function itemMimeBase64() {
  const item = currentItem();
  if (typeof item.getAsFileAsync !== "function") {
    return null;
  }
  return itemCall("item.getAsFileAsync", (done) => item.getAsFileAsync(done));
}

// The id compose gave a mail the user sent: the custom property, else the internet header.
async function trackedMessageId() {
  const item = currentItem();
  if (typeof item.loadCustomPropertiesAsync === "function") {
    const properties = await itemCall("item.loadCustomPropertiesAsync", (done) =>
      item.loadCustomPropertiesAsync(done),
    ).catch(() => null);
    const stored = properties ? properties.get(MESSAGE_PROPERTY) : null;
    if (stored) {
      return String(stored);
    }
  }
  if (typeof item.getAllInternetHeadersAsync === "function") {
    const headers = await itemCall("item.getAllInternetHeadersAsync", (done) =>
      item.getAllInternetHeadersAsync(done),
    ).catch(() => "");
    const found = new RegExp(`^${MESSAGE_HEADER}:[ \\t]*(\\S+)`, "im").exec(headers || "");
    if (found) {
      return found[1];
    }
  }
  return null;
}

// --- A minimal RFC 5322 message, for Outlook versions without getAsFileAsync -----------------------

function base64Utf8(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

function encodedWord(text) {
  // RFC 2047: non-ASCII header text travels as =?UTF-8?B?...?=.
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${base64Utf8(text)}?=`;
}

function mailbox(address, name) {
  return name ? `${encodedWord(`"${name.replace(/"/g, "")}"`)} <${address}>` : `<${address}>`;
}

/** Builds a minimal MIME message (HTML body) from what Outlook shows of the mail. */
export function minimalMime({ from, fromName, to, cc, subject, date, messageId, html }) {
  const headers = [
    `From: ${mailbox(from, fromName)}`,
    to.length ? `To: ${to.join(", ")}` : null,
    cc.length ? `Cc: ${cc.join(", ")}` : null,
    `Subject: ${encodedWord(subject || "")}`,
    `Date: ${date.toUTCString().replace("GMT", "+0000")}`,
    messageId ? `Message-ID: ${messageId}` : null,
    "MIME-Version: 1.0",
    'Content-Type: text/html; charset="utf-8"',
    "Content-Transfer-Encoding: base64",
  ].filter(Boolean);
  const body = base64Utf8(html || "").replace(/.{1,76}/g, "$&\r\n");
  return `${headers.join("\r\n")}\r\n\r\n${body}`;
}

async function mailBlob(item) {
  const encoded = await itemMimeBase64().catch(() => null);
  if (encoded) {
    const binary = atob(encoded);
    const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
    return new Blob([bytes], { type: "message/rfc822" });
  }
  const [lines, html] = await Promise.all([recipients(), bodyHtml()]);
  const text = minimalMime({
    from: item.from,
    fromName: senderName(),
    to: lines.to,
    cc: lines.cc,
    subject: item.subject,
    date: itemDate(),
    messageId: item.internetMessageId,
    html,
  });
  return new Blob([text], { type: "message/rfc822" });
}

// --- Sender's contact card ---------------------------------------------------------------------------

function contactUrl(contact) {
  return `${baseUrl}/contacts/${contact.id}`;
}

function fullName(contact) {
  return [contact.first_name, contact.last_name].filter(Boolean).join(" ");
}

async function findContact(address) {
  const answer = await searchRecords("contacts", address);
  return (answer.items || []).find((contact) => (contact.email || "").toLowerCase() === address);
}

async function companyName(companyId) {
  if (!companyId) {
    return "";
  }
  try {
    return (await getRecord("companies", companyId)).name;
  } catch {
    return "";
  }
}

async function showContact(contact) {
  const company = await companyName(contact.company_id);
  const rows = [
    [t("sender.name"), fullName(contact) || "—"],
    [t("sender.email"), contact.email],
  ];
  if (company) {
    rows.push([t("sender.company"), company]);
  }
  $("sender-body").replaceChildren(
    element("dl", {}, rows.map(([term, value]) => [element("dt", {}, term), element("dd", {}, value)])),
    element(
      "p",
      { className: "actions" },
      element(
        "a",
        { href: contactUrl(contact), target: "_blank", rel: "noopener", id: "open-contact" },
        t("sender.open"),
      ),
    ),
  );
}

function splitName(name) {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length < 2) {
    return { first_name: parts[0] || "", last_name: "" };
  }
  return { first_name: parts.slice(0, -1).join(" "), last_name: parts[parts.length - 1] };
}

function showMissingContact(address) {
  const button = element(
    "button",
    { type: "button", className: "button", id: "create-contact" },
    t("sender.create"),
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    showError("");
    try {
      const contact = await createContact({ email: address, ...splitName(senderName()) });
      await showContact(contact);
      showStatus(t("sender.created", { email: address }));
      $("open-contact").focus();
    } catch (error) {
      showError(t("sender.createFailed", { message: describeError(error) }));
      button.disabled = false;
    }
  });
  $("sender-body").replaceChildren(
    element("p", {}, t("sender.missing", { email: address })),
    element("p", { className: "actions" }, button),
  );
}

async function showSender(item) {
  const section = $("sender");
  if (!item.from) {
    $("sender-body").replaceChildren(element("p", { className: "help" }, t("sender.unknown")));
  } else {
    try {
      const contact = await findContact(item.from);
      if (contact) {
        await showContact(contact);
      } else {
        showMissingContact(item.from);
      }
    } catch (error) {
      $("sender-body").replaceChildren(element("p", { className: "help" }, describeError(error)));
    }
  }
  section.setAttribute("aria-busy", "false");
}

// --- Log this mail -----------------------------------------------------------------------------------

function outcomeLabel(outcome) {
  const labels = {
    ok: () => t("log.outcomeOk"),
    stop: () => t("log.outcomeStop"),
    note: () => t("log.outcomeNote"),
    failed: () => t("log.outcomeFailed"),
  };
  return (labels[outcome] || (() => outcome || ""))();
}

function showWhy(result) {
  const logged = result.status === "logged";
  const steps = (result.why || []).map((step) =>
    element(
      "li",
      { className: `outcome-${step.outcome === "ok" ? "ok" : step.outcome === "note" ? "note" : "stop"}` },
      element("span", { className: "visually-hidden" }, `${outcomeLabel(step.outcome)}: `),
      step.text,
    ),
  );
  $("log-result").replaceChildren(
    element("p", { id: "log-outcome" }, logged ? t("log.logged") : t("log.notLogged")),
    element("h3", { className: "help" }, t("log.why")),
    element("ol", { className: "steps", id: "log-steps" }, steps),
  );
}

async function logThisMail(item) {
  const button = $("log-button");
  button.disabled = true;
  showError("");
  showStatus(t("log.sending"));
  try {
    const result = await logMail(await mailBlob(item));
    showWhy(result);
    showStatus(result.status === "logged" ? t("log.logged") : t("log.notLogged"));
  } catch (error) {
    showStatus("");
    showError(t("log.failed", { message: describeError(error) }));
  } finally {
    button.disabled = false;
  }
}

// --- Open history of a tracked mail, live over /ws ---------------------------------------------------

function kindLabel(kind) {
  const labels = {
    open: () => t("history.kindOpen"),
    click: () => t("history.kindClick"),
    attachment: () => t("history.kindAttachment"),
    reply: () => t("history.kindReply"),
    logged: () => t("history.kindLogged"),
    follow_up: () => t("history.kindFollowUp"),
  };
  return (labels[kind] || (() => kind))();
}

function eventRow(event) {
  return element(
    "li",
    { className: "event", "data-kind": event.kind },
    element("span", { className: "badge type" }, kindLabel(event.kind)),
    element("span", { className: "recipient-email" }, event.recipient || ""),
    element("span", { className: "reason" }, formatDateTime(event.at)),
    event.text || event.reason ? element("span", { className: "reason" }, event.text || event.reason) : null,
  );
}

function showHistory(detail) {
  const kpis = detail.kpis || {};
  const figures = [
    [t("history.opens"), kpis.human_opens ?? 0],
    [t("history.openers"), kpis.unique_openers ?? 0],
    [t("history.clicks"), kpis.clicks ?? 0],
    [t("history.replies"), kpis.replies ?? 0],
  ];
  $("kpis").replaceChildren(
    ...figures.map(([label, value]) =>
      element("div", { className: "kpi" }, element("strong", {}, value), label),
    ),
  );
  $("events").replaceChildren(...(detail.events || []).map(eventRow));
  $("events-empty").hidden = (detail.events || []).length > 0;
  $("history-link").href = `${baseUrl}/messages/${encodeURIComponent(detail.id)}`;
  $("history").hidden = false;
}

// After a live notification, the figures (and each event's explanation) come from the server.
let refreshTimer = null;
function refreshSoon(messageId) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      showHistory(await message(messageId));
    } catch {
      // The live row stays; the next notification tries again.
    }
  }, REFRESH_DELAY_MS);
}

function socketUrl() {
  const url = new URL("/ws", baseUrl || location.origin);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** Appends the message's new notifications as they arrive; resumes after a disconnect. */
function followLive(messageId) {
  let after = null;
  let attempt = 0;
  const connect = async () => {
    const token = await getToken({ interactive: false }).catch(() => null);
    if (!token) {
      $("live-state").textContent = t("history.liveOff");
      return;
    }
    const socket = new WebSocket(socketUrl());
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "auth", token, after }));
    });
    socket.addEventListener("message", (frame) => {
      let data;
      try {
        data = JSON.parse(frame.data);
      } catch {
        return;
      }
      if (data.type === "ready") {
        attempt = 0;
        after = after ?? data.after ?? null;
        $("live-state").textContent = t("history.live");
        document.body.dataset.live = "true";
      } else if (data.type === "notification") {
        after = data.id;
        if (data.message_id === messageId) {
          $("events").prepend(eventRow(data));
          $("events-empty").hidden = true;
          refreshSoon(messageId);
        }
      }
    });
    socket.addEventListener("close", (closed) => {
      document.body.dataset.live = "false";
      if (closed.code === 4401) {
        $("live-state").textContent = t("history.liveOff");
        return;
      }
      $("live-state").textContent = t("history.reconnecting");
      const delay = RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)];
      attempt += 1;
      setTimeout(connect, delay);
    });
  };
  connect();
}

async function showTrackedHistory() {
  const messageId = await trackedMessageId();
  if (!messageId) {
    return;
  }
  try {
    showHistory(await message(messageId));
    followLive(messageId);
  } catch (error) {
    if (error.status !== 404) {
      showError(describeError(error));
    }
  }
}

// --- The connected mailbox: offered where single sign-on is configured ----------------------------

// The server connects Microsoft 365 by exchanging the pane's single sign-on token, so the card is
// shown only when the server has an Entra app; without one the web UI's Settings is the way.
async function showMailbox(config) {
  if (!config.entraClientId) {
    return;
  }
  try {
    renderMailbox(await myMailbox());
  } catch (error) {
    console.warn(`tracklog: mailbox state unavailable (${error.message})`);
  }
}

function renderMailbox(mailbox) {
  const revoked = mailbox.error_code === "consent_revoked";
  $("mailbox").hidden = false;
  $("mailbox-state").textContent = revoked
    ? mailbox.error
    : mailbox.connected
      ? t("mailbox.connected", { address: mailbox.address })
      : t("mailbox.explain");
  $("mailbox-button").hidden = mailbox.connected && !revoked;
}

async function connectThisMailbox() {
  const button = $("mailbox-button");
  button.disabled = true;
  showStatus(t("mailbox.connecting"));
  try {
    renderMailbox(await connectMailbox());
    showStatus(t("mailbox.done"));
  } catch (error) {
    showStatus("");
    showError(t("mailbox.failed", { message: describeError(error) }));
  } finally {
    button.disabled = false;
  }
}

// --- Start -------------------------------------------------------------------------------------------

async function main() {
  let started;
  try {
    started = await startPane();
  } catch (error) {
    await showStartFailure(error);
    return;
  }
  const item = await readItem();
  $("log-button").addEventListener("click", () => logThisMail(item));
  $("mailbox-button").addEventListener("click", connectThisMailbox);
  if (!started.online) {
    showError(describeError(started.error));
    $("log-button").disabled = true;
    document.body.dataset.ready = "true";
    return;
  }
  baseUrl = started.config.baseUrl;
  // A mail the user sent: its recipients matter, not the user's own contact card.
  const own = item.from && item.from === (await userEmail().catch(() => ""));
  $("sender").hidden = Boolean(own);
  await Promise.all([
    own ? null : showSender(item),
    showTrackedHistory(),
    showMailbox(started.config),
  ]);
  document.body.dataset.ready = "true";
}

main();
