// The one wrapper around Office's callback APIs: every export is async and rejects with an Error
// naming the Office call that failed and why. Other modules never call Office.* callbacks directly.

const LANGUAGES = ["en", "ja", "sv"];

/** The sessionData key where the pane leaves {track, log, associations, create_contacts}. */
export const CHOICES_KEY = "tracklog.choices";

function office() {
  if (typeof Office === "undefined") {
    throw new Error("Office is not loaded (office.js missing)");
  }
  return Office;
}

function mailbox() {
  return office().context.mailbox;
}

function item() {
  const current = mailbox().item;
  if (!current) {
    throw new Error("Office.context.mailbox.item: no item is selected");
  }
  return current;
}

// Turns one callback-style Office call into a promise; `call` names it in the error message.
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

function htmlCoercion() {
  return office().CoercionType ? office().CoercionType.Html : "html";
}

function addresses(details) {
  return (details || [])
    .map((detail) => (typeof detail === "string" ? detail : detail.emailAddress || ""))
    .map((address) => address.trim().toLowerCase())
    .filter(Boolean);
}

// Reads one recipient field in compose (getAsync) or read mode (a plain array).
async function field(name) {
  const value = item()[name];
  if (!value) {
    return [];
  }
  if (typeof value.getAsync === "function") {
    return addresses(await officeCall(`item.${name}.getAsync`, (done) => value.getAsync(done)));
  }
  return addresses(value);
}

/** Lower-case addresses of the item's recipients. */
export async function recipients() {
  const [to, cc, bcc] = await Promise.all([field("to"), field("cc"), field("bcc")]);
  return { to, cc, bcc };
}

/** The subject in compose and read mode. */
export async function subject() {
  const value = item().subject;
  if (value && typeof value.getAsync === "function") {
    return (await officeCall("item.subject.getAsync", (done) => value.getAsync(done))) || "";
  }
  return value || "";
}

/** The body as HTML. */
export async function bodyHtml() {
  const body = item().body;
  return officeCall("item.body.getAsync", (done) => body.getAsync(htmlCoercion(), done));
}

/** Replaces the subject of the mail being written. */
export async function setSubject(text) {
  const value = item().subject;
  await officeCall("item.subject.setAsync", (done) => value.setAsync(text, done));
}

/** Inserts HTML where the cursor is in the body (at the start when it has not been placed). */
export async function insertHtml(html) {
  const body = item().body;
  await officeCall("item.body.setSelectedDataAsync", (done) =>
    body.setSelectedDataAsync(html, { coercionType: htmlCoercion() }, done),
  );
}

/** Replaces the body with this HTML. */
export async function setBodyHtml(html) {
  const body = item().body;
  await officeCall("item.body.setAsync", (done) =>
    body.setAsync(html, { coercionType: htmlCoercion() }, done),
  );
}

/** Attaches a file to the mail as it is, from its bytes in base64 (Mailbox 1.8). */
export async function attachFile(name, base64) {
  const current = item();
  await officeCall("item.addFileAttachmentFromBase64Async", (done) =>
    current.addFileAttachmentFromBase64Async(base64, name, { isInline: false }, done),
  );
}

/** Holds the mail in the Outbox until this moment (Mailbox 1.13, item.delayDeliveryTime). */
export async function delayDelivery(date) {
  const delay = item().delayDeliveryTime;
  await officeCall("item.delayDeliveryTime.setAsync", (done) => delay.setAsync(date, done));
}

function sessionData() {
  const data = item().sessionData;
  if (!data) {
    throw new Error("item.sessionData failed: needs Mailbox 1.11");
  }
  return data;
}

/** The JSON value stored under key in the item's session data, or null. */
export async function sessionGet(key) {
  const data = sessionData();
  let raw;
  try {
    raw = await officeCall("item.sessionData.getAsync", (done) => data.getAsync(key, done));
  } catch (error) {
    // Outlook answers a missing key with a failure, not with an empty value.
    if (/not ?found|does not exist|invalid/i.test(error.message)) {
      return null;
    }
    throw error;
  }
  if (raw === undefined || raw === null || raw === "") {
    return null;
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`item.sessionData.getAsync failed: "${key}" does not hold JSON`);
  }
}

/** Stores a JSON value under key in the item's session data (shared with the event handlers). */
export async function sessionSet(key, value) {
  const data = sessionData();
  await officeCall("item.sessionData.setAsync", (done) =>
    data.setAsync(key, JSON.stringify(value), done),
  );
}

/** The best supported language for Office's display language: "en", "ja" or "sv". */
export async function displayLanguage() {
  const tag = String(office().context.displayLanguage || "en").toLowerCase();
  const primary = tag.split(/[-_]/)[0];
  return LANGUAGES.includes(primary) ? primary : "en";
}

/** The signed-in mailbox's address. */
export async function userEmail() {
  return String(mailbox().userProfile.emailAddress || "").toLowerCase();
}

/** Which Outlook this is, in the compose flow's client.host words. */
export async function hostName() {
  const diagnostics = office().context.diagnostics || {};
  const platform = String(diagnostics.platform || "").toLowerCase();
  const hosts = {
    pc: "outlook-desktop",
    officeonline: "outlook-web",
    mac: "outlook-mac",
    ios: "outlook-mobile",
    android: "outlook-mobile",
    universal: "outlook-desktop",
  };
  return hosts[platform] || "outlook-desktop";
}

/** The received mail the pane is showing: {from, subject, internetMessageId, itemId}. */
export async function readItem() {
  const current = item();
  const from = current.from ? String(current.from.emailAddress || "").toLowerCase() : "";
  return {
    from,
    subject: current.subject || "",
    internetMessageId: current.internetMessageId || null,
    itemId: current.itemId || null,
  };
}

/** A value the pane saved in the mailbox's roaming settings (also readable on Windows classic). */
export async function roamingGet(name) {
  const value = office().context.roamingSettings.get(name);
  return value === undefined ? null : value;
}

/** Saves (or, with null, removes) several roaming settings for this add-in and mailbox at once. */
export async function roamingSave(values) {
  const settings = office().context.roamingSettings;
  for (const [name, value] of Object.entries(values)) {
    if (value === null || value === undefined) {
      settings.remove(name);
    } else {
      settings.set(name, value);
    }
  }
  await officeCall("roamingSettings.saveAsync", (done) => settings.saveAsync(done));
}

/** Whether this Outlook supports a requirement set, e.g. ("Mailbox", "1.11"). */
export async function supports(name, version) {
  const requirements = office().context.requirements;
  return Boolean(requirements && requirements.isSetSupported(name, version));
}

/** Opens url in an Office dialog; answers the first message it posts with messageParent. */
export async function openDialog(url, { height = 60, width = 30 } = {}) {
  const dialog = await officeCall("ui.displayDialogAsync", (done) =>
    office().context.ui.displayDialogAsync(url, { height, width, promptBeforeOpen: false }, done),
  );
  return new Promise((resolve, reject) => {
    const kinds = office().EventType || {};
    dialog.addEventHandler(kinds.DialogMessageReceived || "dialogMessageReceived", (arg) => {
      dialog.close();
      resolve(arg.message);
    });
    dialog.addEventHandler(kinds.DialogEventReceived || "dialogEventReceived", (arg) => {
      // 12006: the user closed the dialog; anything else is a failure to load it.
      const why = arg.error === 12006 ? "the dialog was closed" : `dialog error ${arg.error}`;
      reject(new Error(`ui.displayDialogAsync failed: ${why}`));
    });
  });
}
