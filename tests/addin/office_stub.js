// A stand-in for Office.js in browser tests, installed before any page script runs.
// The test configures it with window.__officeConfig (set by an earlier init script) and reads
// what the add-in did from window.__office: body, BCC, session data, notifications, calls.
// config.dialogMessage, when set, is what a dialog the add-in opens answers (a sign-in's token).
(() => {
  const config = window.__officeConfig || {};
  const mode = config.mode || "compose";
  const recorded = {
    calls: [],
    notifications: {},
    sessionData: { ...(config.sessionData || {}) },
    customProperties: { ...(config.customProperties || {}) },
    internetHeaders: {},
    roaming: { ...(config.roaming || {}) },
    actions: {},
    recipients: {
      to: [...((config.recipients || {}).to || [])],
      cc: [...((config.recipients || {}).cc || [])],
      bcc: [...((config.recipients || {}).bcc || [])],
    },
    body: config.body || "<html><body><p>Hello</p></body></html>",
    subject: config.subject ?? "Proposal",
    completed: [],
  };
  window.__office = recorded;

  const succeeded = (value) => ({ status: "succeeded", value });
  const failed = (message) => ({ status: "failed", error: { name: "Failed", message } });
  const later = (callback, result) => setTimeout(() => callback && callback(result), 0);
  const record = (name, ...args) => recorded.calls.push({ name, args });
  const lastCallback = (args) => [...args].reverse().find((arg) => typeof arg === "function");
  const details = (list) => list.map((address) => ({ emailAddress: address, displayName: address }));

  function recipientField(name) {
    return {
      getAsync(...args) {
        later(lastCallback(args), succeeded(details(recorded.recipients[name])));
      },
      setAsync(list, ...args) {
        record(`${name}.setAsync`, list);
        recorded.recipients[name] = list.map((entry) =>
          typeof entry === "string" ? entry : entry.emailAddress,
        );
        later(lastCallback(args), succeeded());
      },
    };
  }

  function customProperties() {
    return {
      get: (name) => recorded.customProperties[name],
      set: (name, value) => {
        record("customProperties.set", name, value);
        recorded.customProperties[name] = value;
      },
      remove: (name) => delete recorded.customProperties[name],
      saveAsync: (...args) => later(lastCallback(args), succeeded()),
    };
  }

  const common = {
    itemType: "message",
    sessionData: {
      getAsync(key, callback) {
        if (key in recorded.sessionData) {
          later(callback, succeeded(recorded.sessionData[key]));
        } else {
          later(callback, failed("The key was not found"));
        }
      },
      setAsync(key, value, callback) {
        record("sessionData.setAsync", key, value);
        recorded.sessionData[key] = value;
        later(callback, succeeded());
      },
      getAllAsync: (callback) => later(callback, succeeded({ ...recorded.sessionData })),
      removeAsync(key, callback) {
        delete recorded.sessionData[key];
        later(callback, succeeded());
      },
      clearAsync(callback) {
        recorded.sessionData = {};
        later(callback, succeeded());
      },
    },
    notificationMessages: {
      replaceAsync(key, message, ...args) {
        record("notificationMessages.replaceAsync", key, message);
        recorded.notifications[key] = message;
        later(lastCallback(args), succeeded());
      },
      addAsync(key, message, ...args) {
        recorded.notifications[key] = message;
        later(lastCallback(args), succeeded());
      },
      removeAsync(key, ...args) {
        delete recorded.notifications[key];
        later(lastCallback(args), succeeded());
      },
    },
    loadCustomPropertiesAsync: (...args) =>
      later(lastCallback(args), succeeded(customProperties())),
  };

  const composeItem = {
    ...common,
    subject: {
      getAsync: (...args) => later(lastCallback(args), succeeded(recorded.subject)),
      setAsync(value, ...args) {
        recorded.subject = value;
        later(lastCallback(args), succeeded());
      },
    },
    from: {
      getAsync: (...args) =>
        later(lastCallback(args), succeeded({ emailAddress: config.userEmail || "" })),
    },
    to: recipientField("to"),
    cc: recipientField("cc"),
    bcc: recipientField("bcc"),
    body: {
      getAsync: (...args) => later(lastCallback(args), succeeded(recorded.body)),
      setAsync(html, ...args) {
        record("body.setAsync", html);
        recorded.body = html;
        later(lastCallback(args), succeeded());
      },
      setSelectedDataAsync(html, ...args) {
        record("body.setSelectedDataAsync", html);
        recorded.body = recorded.body.replace(/<body>/i, (tag) => `${tag}${html}`);
        later(lastCallback(args), succeeded());
      },
    },
    internetHeaders: {
      setAsync(headers, ...args) {
        record("internetHeaders.setAsync", headers);
        Object.assign(recorded.internetHeaders, headers);
        later(lastCallback(args), succeeded());
      },
    },
    delayDeliveryTime: {
      setAsync(date, ...args) {
        record("delayDeliveryTime.setAsync", date.toISOString());
        recorded.delayDeliveryTime = date.toISOString();
        later(lastCallback(args), succeeded());
      },
    },
    addFileAttachmentFromBase64Async(base64, name, ...args) {
      record("addFileAttachmentFromBase64Async", name, base64);
      recorded.attachments = [...(recorded.attachments || []), { name, base64 }];
      later(lastCallback(args), succeeded(`attachment-${recorded.attachments.length}`));
    },
    getItemIdAsync: (...args) => later(lastCallback(args), succeeded(config.itemId || "draft-1")),
    saveAsync: (...args) => later(lastCallback(args), succeeded(config.itemId || "draft-1")),
  };

  const read = config.read || {};
  const readItem = {
    ...common,
    subject: recorded.subject,
    from: { emailAddress: read.from || "", displayName: read.fromName || "" },
    to: details(recorded.recipients.to),
    cc: details(recorded.recipients.cc),
    bcc: [],
    internetMessageId: read.internetMessageId || "<m1@example.test>",
    itemId: config.itemId || "read-1",
    dateTimeCreated: new Date(read.date || "2026-05-04T09:30:00Z"),
    body: {
      getAsync: (...args) => later(lastCallback(args), succeeded(recorded.body)),
    },
    getAllInternetHeadersAsync: (...args) =>
      later(lastCallback(args), succeeded(read.headers || "")),
  };
  if (read.eml) {
    readItem.getAsFileAsync = (...args) => later(lastCallback(args), succeeded(read.eml));
  }

  const roamingSettings = {
    get: (name) => recorded.roaming[name],
    set: (name, value) => {
      recorded.roaming[name] = value;
    },
    remove: (name) => delete recorded.roaming[name],
    saveAsync: (...args) => later(lastCallback(args), succeeded()),
  };

  const supported = { Mailbox: "1.14" };
  window.Office = {
    onReady(callback) {
      // office.js loaded in a plain browser tab reports no host: config.host null.
      const info = { host: config.host === undefined ? "Outlook" : config.host, platform: "PC" };
      return new Promise((resolve) => {
        setTimeout(() => {
          if (callback) {
            callback(info);
          }
          resolve(info);
        }, 0);
      });
    },
    CoercionType: { Html: "html", Text: "text" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: {
      DialogMessageReceived: "dialogMessageReceived",
      DialogEventReceived: "dialogEventReceived",
      RecipientsChanged: "olkRecipientsChanged",
    },
    MailboxEnums: {
      ItemNotificationMessageType: {
        InformationalMessage: "informationalMessage",
        ErrorMessage: "errorMessage",
        ProgressIndicator: "progressIndicator",
      },
    },
    actions: {
      associate(name, handler) {
        recorded.actions[name] = handler;
      },
    },
    context: {
      displayLanguage: config.displayLanguage || "en-US",
      diagnostics: { platform: config.platform || "PC", hostName: "Outlook" },
      requirements: {
        isSetSupported(name, version) {
          const have = supported[name];
          const minor = (text) => Number(String(text).split(".")[1] || 0);
          return Boolean(have) && minor(version || "1.1") <= minor(have);
        },
      },
      roamingSettings,
      ui: {
        displayDialogAsync(url, options, callback) {
          record("ui.displayDialogAsync", url);
          if (config.dialogMessage === undefined) {
            later(callback, failed("dialogs are not available in tests"));
            return;
          }
          // A dialog that answers config.dialogMessage, as the sign-in page does on success.
          const listeners = {};
          const dialog = {
            addEventHandler: (kind, listener) => {
              listeners[kind] = listener;
            },
            close: () => record("dialog.close"),
          };
          later(callback, succeeded(dialog));
          setTimeout(() => listeners.dialogMessageReceived({ message: config.dialogMessage }), 10);
        },
      },
      mailbox: {
        userProfile: {
          emailAddress: config.userEmail || "",
          displayName: config.userName || "",
        },
        item: mode === "read" ? readItem : composeItem,
      },
    },
  };

  /** Lets a test change the draft's recipients as a user typing in Outlook would. */
  window.__office.setRecipients = (lines) => {
    for (const name of ["to", "cc", "bcc"]) {
      if (lines[name]) {
        recorded.recipients[name] = [...lines[name]];
      }
    }
  };
})();
