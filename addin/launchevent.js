// Event-based activation handlers: OnNewMessageCompose applies the user's defaults, OnMessageSend
// (SoftBlock) tracks and logs the mail through POST /api/v1/compose, even with the pane closed.
//
// A classic script on purpose, not an ES module: on Windows classic Outlook this file runs alone in
// a JavaScript-only runtime (no DOM, no localStorage, no imports), so it carries its own small
// copies of the few Office calls and the one server call it needs. They mirror office.js and
// api.js by name; docs/addin.md explains the choice. It never blocks a send.

/* global Office */

const CHOICES_KEY = "tracklog.choices";
const DEFAULTS_KEY = "tracklog.defaults";
const TOKEN_KEY = "tracklog.token";
const BASE_URL_KEY = "tracklog.baseUrl";
const MESSAGE_HEADER = "X-Tracklog-Message";
const MESSAGE_PROPERTY = "tracklogMessageId";
const NOTE_KEY = "tracklog";
const DEADLINE_MS = 3500;

// A note is a reason followed by what became of the mail; the last two depend on whether the
// logging BCC is still on the mail (the BCC copy can be logged without the server's compose).
const NOTES = {
  en: {
    signedOut: "tracklog: not signed in, so ",
    unreachable: "tracklog could not be reached: ",
    refused: "tracklog refused this mail ({reason}): ",
    unlogged: "this mail was sent without tracking or logging.",
    mayBeLogged:
      "this mail was sent without tracking; the logging BCC is on it, so a copy may be logged.",
    outlook: "tracklog could not prepare this mail in Outlook: it was sent untracked.",
    noDefaults: "tracklog could not load your defaults; they will be applied when you send.",
  },
  ja: {
    signedOut: "tracklog: サインインしていないため、",
    unreachable: "tracklog に接続できません。",
    refused: "tracklog がこのメールを拒否しました（{reason}）。",
    unlogged: "このメールは追跡・記録なしで送信されました。",
    mayBeLogged:
      "このメールは追跡なしで送信されました。記録用 BCC が付いているため、コピーは記録される可能性があります。",
    outlook: "tracklog は Outlook でこのメールを準備できませんでした。追跡なしで送信されました。",
    noDefaults: "tracklog の既定値を読み込めませんでした。送信時に適用されます。",
  },
  sv: {
    signedOut: "tracklog: inte inloggad, så ",
    unreachable: "tracklog kunde inte nås: ",
    refused: "tracklog avvisade brevet ({reason}): ",
    unlogged: "brevet skickades utan spårning och loggning.",
    mayBeLogged:
      "brevet skickades utan spårning; loggnings-BCC:n finns kvar, så en kopia kan ändå loggas.",
    outlook: "tracklog kunde inte förbereda brevet i Outlook: det skickades utan spårning.",
    noDefaults: "tracklog kunde inte läsa dina standardval; de tillämpas när du skickar.",
  },
};

// ---- Office calls (the same behaviour as office.js, for a runtime without imports) ----

function officeCall(call, start) {
  return new Promise((resolve, reject) => {
    try {
      start((result) => {
        if (result && result.status === "failed") {
          const why = result.error ? result.error.message || result.error.name : "unknown error";
          reject(new Error(`${call} failed: ${why}`));
        } else {
          resolve(result ? result.value : undefined);
        }
      });
    } catch (error) {
      reject(new Error(`${call} failed: ${error.message}`));
    }
  });
}

function item() {
  return Office.context.mailbox.item;
}

function note(key) {
  const tag = String(Office.context.displayLanguage || "en").toLowerCase().split(/[-_]/)[0];
  return (NOTES[tag] || NOTES.en)[key];
}

async function recipientField(name) {
  const field = item()[name];
  if (!field) {
    return [];
  }
  const details = await officeCall(`item.${name}.getAsync`, (done) => field.getAsync(done));
  return (details || [])
    .map((detail) => String(detail.emailAddress || "").trim().toLowerCase())
    .filter(Boolean);
}

async function setBcc(list) {
  await officeCall("item.bcc.setAsync", (done) => item().bcc.setAsync(list, done));
}

// Office has no "add" for BCC: read the line, change it, set it back; keep everyone else.
async function updateBcc(add, remove) {
  const current = await recipientField("bcc");
  const dropped = current.filter((address) => !remove.includes(address));
  const wanted = add ? add.trim().toLowerCase() : null;
  const next = wanted && !dropped.includes(wanted) ? [...dropped, wanted] : dropped;
  if (next.length !== current.length || next.some((address, i) => address !== current[i])) {
    await setBcc(next);
  }
}

async function sessionGet(key) {
  const data = item().sessionData;
  if (!data) {
    return null;
  }
  try {
    const raw = await officeCall("item.sessionData.getAsync", (done) => data.getAsync(key, done));
    return raw ? JSON.parse(raw) : null;
  } catch {
    // A missing key answers a failure; a broken value counts as missing too.
    return null;
  }
}

async function sessionSet(key, value) {
  const data = item().sessionData;
  if (data) {
    await officeCall("item.sessionData.setAsync", (done) =>
      data.setAsync(key, JSON.stringify(value), done),
    );
  }
}

async function subject() {
  return (await officeCall("item.subject.getAsync", (done) => item().subject.getAsync(done))) || "";
}

async function bodyHtml() {
  return officeCall("item.body.getAsync", (done) =>
    item().body.getAsync(Office.CoercionType.Html, done),
  );
}

async function setBodyHtml(html) {
  await officeCall("item.body.setAsync", (done) =>
    item().body.setAsync(html, { coercionType: Office.CoercionType.Html }, done),
  );
}

async function setInternetHeader(name, value) {
  await officeCall("item.internetHeaders.setAsync", (done) =>
    item().internetHeaders.setAsync({ [name]: value }, done),
  );
}

async function setCustomProperty(name, value) {
  const properties = await officeCall("item.loadCustomPropertiesAsync", (done) =>
    item().loadCustomPropertiesAsync(done),
  );
  properties.set(name, value);
  await officeCall("customProperties.saveAsync", (done) => properties.saveAsync(done));
}

// The draft's id makes POST /compose idempotent; a new draft gets one by being saved.
async function draftId() {
  const current = item();
  try {
    if (typeof current.getItemIdAsync === "function") {
      return await officeCall("item.getItemIdAsync", (done) => current.getItemIdAsync(done));
    }
  } catch {
    // Not saved yet: saving gives it an id.
  }
  try {
    return await officeCall("item.saveAsync", (done) => current.saveAsync(done));
  } catch {
    return null;
  }
}

async function sender() {
  const from = item().from;
  if (from && typeof from.getAsync === "function") {
    try {
      const detail = await officeCall("item.from.getAsync", (done) => from.getAsync(done));
      if (detail && detail.emailAddress) {
        return detail.emailAddress.toLowerCase();
      }
    } catch {
      // Older Outlook: the mailbox owner is the sender.
    }
  }
  return String(Office.context.mailbox.userProfile.emailAddress || "").toLowerCase();
}

function hostName() {
  const platform = String((Office.context.diagnostics || {}).platform || "").toLowerCase();
  const hosts = { officeonline: "outlook-web", mac: "outlook-mac", ios: "outlook-mobile" };
  return hosts[platform] || (platform === "android" ? "outlook-mobile" : "outlook-desktop");
}

async function notify(message) {
  await officeCall("item.notificationMessages.replaceAsync", (done) =>
    item().notificationMessages.replaceAsync(
      NOTE_KEY,
      { type: Office.MailboxEnums.ItemNotificationMessageType.ErrorMessage, message },
      done,
    ),
  );
}

// ---- the server (the same behaviour as api.js: one helper, ApiError shape, one deadline) ----

// The pane stores the token and base URL; roaming settings reach the Windows classic runtime.
function stored(key) {
  const roamed = Office.context.roamingSettings ? Office.context.roamingSettings.get(key) : null;
  if (roamed) {
    return roamed;
  }
  try {
    return typeof localStorage === "undefined" ? null : localStorage.getItem(key);
  } catch {
    return null;
  }
}

function serverUrl() {
  const base = stored(BASE_URL_KEY);
  if (base) {
    return String(base).replace(/\/+$/, "");
  }
  return typeof location === "undefined" ? null : location.origin;
}

function apiError(status, code, message) {
  const error = new Error(message);
  error.name = "ApiError";
  error.status = status;
  error.code = code;
  return error;
}

// Outlook shows its own "taking longer than expected" dialog about 5 s into a send: every server
// call of one event shares this one deadline, so the handler has given up well before that.
function startDeadline() {
  const controller = typeof AbortController === "undefined" ? null : new AbortController();
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => {
      if (controller) {
        controller.abort();
      }
      reject(apiError(0, "unreachable", `no answer within ${DEADLINE_MS / 1000} s`));
    }, DEADLINE_MS);
  });
  expired.catch(() => {}); // an event that made no server call leaves it unobserved
  return {
    signal: controller ? controller.signal : undefined,
    expired,
    stop: () => clearTimeout(timer),
  };
}

async function exchange(method, path, json, signal) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${stored(TOKEN_KEY)}` };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(`${serverUrl()}${path}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
    signal,
  });
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    if (signal && signal.aborted) {
      throw error;
    }
    body = null;
  }
  if (!response.ok) {
    const error = body && body.error ? body.error : {};
    throw apiError(response.status, error.code || `http_${response.status}`, error.message || "");
  }
  return body;
}

// An aborted fetch (AbortError, a DOMException with code 20) and a network failure (TypeError)
// carry no HTTP status: both mean the server was not reached.
async function request(method, path, json, deadline) {
  if (!serverUrl() || !stored(TOKEN_KEY)) {
    throw apiError(401, "signed_out", "not signed in");
  }
  try {
    return await Promise.race([exchange(method, path, json, deadline.signal), deadline.expired]);
  } catch (error) {
    throw error.name === "ApiError" ? error : apiError(0, "unreachable", error.message);
  }
}

// ---- the handlers ----

// Resolves to the error of a failed step, or null: the handlers test the failure branch first.
function settle(promise) {
  return promise.then(
    () => null,
    (error) => error || new Error("unknown failure"),
  );
}

function handleError(event, userMessage, logMessage) {
  console.error(`tracklog: ${logMessage}`);
  const finish = () => event.completed({ allowEvent: true });
  if (!userMessage) {
    finish();
    return;
  }
  notify(userMessage).then(finish, finish);
}

// The contract's logging address is log+<key>@<domain>: the account's or one compose returned.
function isLoggingAddress(address) {
  return address.startsWith("log+") && address.includes("@");
}

async function loggingBccOnMail() {
  try {
    return (await recipientField("bcc")).some(isLoggingAddress);
  } catch {
    return false;
  }
}

// Never claims "without logging" while the logging BCC can still carry a copy to tracklog.
function sendNote(error, bccOnMail) {
  const outcome = note(bccOnMail ? "mayBeLogged" : "unlogged");
  if (error.code === "signed_out" || error.status === 401) {
    return note("signedOut") + outcome;
  }
  if (error.status === 0) {
    return note("unreachable") + outcome;
  }
  if (error.status) {
    return note("refused").replace("{reason}", error.message || error.code) + outcome;
  }
  return note("outlook");
}

async function applyDefaults(deadline) {
  if (await sessionGet(CHOICES_KEY)) {
    return; // The pane chose already (an add-in reload keeps the item's session data).
  }
  const me = await request("GET", "/api/v1/me", undefined, deadline);
  await sessionSet(DEFAULTS_KEY, { bcc: me.bcc || null });
  await sessionSet(CHOICES_KEY, {
    track: Boolean(me.track_by_default),
    log: Boolean(me.log_by_default),
    associations: [],
    create_contacts: Boolean(me.create_contacts),
  });
  if (me.log_by_default && me.bcc) {
    await updateBcc(me.bcc, []);
  }
}

/** OnNewMessageCompose: puts the user's defaults into the item's session data. */
function onNewMessageComposeHandler(event) {
  const deadline = startDeadline();
  settle(applyDefaults(deadline)).then((error) => {
    deadline.stop();
    if (error) {
      const quiet = error.code === "signed_out";
      handleError(event, quiet ? null : note("noDefaults"), `defaults: ${error.message}`);
      return;
    }
    event.completed();
  });
}

async function choicesForSend(deadline) {
  const choices = await sessionGet(CHOICES_KEY);
  if (choices) {
    return choices;
  }
  // Neither the pane nor OnNewMessageCompose ran for this item: use the defaults now.
  const me = await request("GET", "/api/v1/me", undefined, deadline);
  await sessionSet(DEFAULTS_KEY, { bcc: me.bcc || null });
  return {
    track: Boolean(me.track_by_default),
    log: Boolean(me.log_by_default),
    associations: [],
    create_contacts: Boolean(me.create_contacts),
  };
}

async function trackAndLog(deadline) {
  const choices = await choicesForSend(deadline);
  const defaults = (await sessionGet(DEFAULTS_KEY)) || {};
  const defaultBcc = defaults.bcc ? defaults.bcc.toLowerCase() : null;
  if (!choices.track && !choices.log) {
    await updateBcc(null, defaultBcc ? [defaultBcc] : []);
    return;
  }
  const [to, cc, bcc] = await Promise.all([
    recipientField("to"),
    recipientField("cc"),
    recipientField("bcc"),
  ]);
  const logging = [defaultBcc].filter(Boolean);
  const payload = {
    subject: await subject(),
    from: await sender(),
    to,
    cc,
    bcc: bcc.filter((address) => !logging.includes(address)),
    html: await bodyHtml(),
    track: Boolean(choices.track),
    log: Boolean(choices.log),
    associations: choices.associations || [],
    create_contacts: choices.create_contacts !== false,
    client: { host: hostName(), item_id: await draftId() },
    ...(choices.template_id ? { template_id: choices.template_id } : {}),
  };
  const answer = await request("POST", "/api/v1/compose", payload, deadline);
  const returnedBcc = answer.bcc ? answer.bcc.toLowerCase() : null;
  if (choices.log && returnedBcc) {
    await updateBcc(returnedBcc, logging.filter((address) => address !== returnedBcc));
  } else {
    await updateBcc(null, [...logging, returnedBcc].filter(Boolean));
  }
  await setInternetHeader(MESSAGE_HEADER, answer.message_id);
  await setCustomProperty(MESSAGE_PROPERTY, answer.message_id);
  if (answer.html) {
    await setBodyHtml(answer.html);
  }
  await remindLater(choices.remind, answer.message_id, deadline);
}

// The pane's "Remind me" choice ({in_days, unless}) becomes the message's follow-up reminder once
// compose has given the message its id. The mail is tracked and logged by then: a reminder that
// fails is only logged, never a reason to tell the user the mail went untracked.
async function remindLater(remind, messageId, deadline) {
  if (!remind || !remind.in_days) {
    return;
  }
  const path = `/api/v1/messages/${encodeURIComponent(messageId)}/reminders`;
  const body = { in_days: remind.in_days, unless: remind.unless || "reply" };
  try {
    await request("POST", path, body, deadline);
  } catch (error) {
    console.error(`tracklog: reminder: ${error.code || "office"} ${error.message}`);
  }
}

/** OnMessageSend (SoftBlock): tracks and logs the mail, then always lets it go. */
function onMessageSendHandler(event) {
  const deadline = startDeadline();
  settle(trackAndLog(deadline)).then(async (error) => {
    deadline.stop();
    if (error) {
      const userMessage = sendNote(error, await loggingBccOnMail());
      handleError(event, userMessage, `send: ${error.code || "office"} ${error.message}`);
      return;
    }
    event.completed({ allowEvent: true });
  });
}

Office.actions.associate("onNewMessageComposeHandler", onNewMessageComposeHandler);
Office.actions.associate("onMessageSendHandler", onMessageSendHandler);
