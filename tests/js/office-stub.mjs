// A stub of the Office object for unit tests: one compose (or read) item whose async calls answer
// through callbacks on a later tick, record what they were asked, and can be told to fail.

function recipient(address) {
  return { emailAddress: address, displayName: address };
}

/**
 * Makes a fresh Office stub. options: {to, cc, bcc, subject, body, platform, displayLanguage,
 * email, session, roaming, fail: {"item.bcc.setAsync": "why", ...}, compose (default true)}.
 * Returns {Office, state, calls, handlers}.
 */
export function createOffice(options = {}) {
  const state = {
    to: (options.to || []).slice(),
    cc: (options.cc || []).slice(),
    bcc: (options.bcc || []).slice(),
    subject: options.subject ?? "Quote for Q3",
    body: options.body ?? "<html><body><p>Hello</p></body></html>",
    headers: {},
    customProperties: {},
    session: { ...(options.session || {}) },
    roaming: { ...(options.roaming || {}) },
    notifications: {},
    itemId: options.itemId ?? "AAMkAGI2draft",
  };
  const calls = [];
  const handlers = {};
  const fail = options.fail || {};

  // Answers a callback on a later tick, as Office does, or fails when the test asked for it.
  function answer(name, callback, value) {
    calls.push(name);
    setTimeout(() => {
      if (fail[name]) {
        callback({ status: "failed", error: { name: "Stub", message: fail[name] }, value: null });
      } else {
        callback({ status: "succeeded", value });
      }
    }, 0);
  }

  function recipientsField(name) {
    return {
      getAsync(callback) {
        answer(`item.${name}.getAsync`, callback, state[name].map(recipient));
      },
      setAsync(list, callback) {
        calls.push({ [`item.${name}.setAsync`]: list.slice() });
        if (!fail[`item.${name}.setAsync`]) {
          // Array.from: a list made in another realm (the handler's vm context) becomes a plain one.
          state[name] = Array.from(list, (entry) =>
            typeof entry === "string" ? entry : entry.emailAddress,
          );
        }
        answer(`item.${name}.setAsync`, callback);
      },
    };
  }

  const compose = options.compose !== false;
  const item = compose
    ? {
        itemType: "message",
        to: recipientsField("to"),
        cc: recipientsField("cc"),
        bcc: recipientsField("bcc"),
        subject: {
          getAsync(callback) {
            answer("item.subject.getAsync", callback, state.subject);
          },
        },
        from: {
          getAsync(callback) {
            answer("item.from.getAsync", callback, recipient(options.email || "rep@example.com"));
          },
        },
        getItemIdAsync(callback) {
          answer("item.getItemIdAsync", callback, state.itemId);
        },
        saveAsync(callback) {
          answer("item.saveAsync", callback, state.itemId);
        },
        internetHeaders: {
          setAsync(headers, callback) {
            if (!fail["item.internetHeaders.setAsync"]) {
              Object.assign(state.headers, headers);
            }
            answer("item.internetHeaders.setAsync", callback);
          },
        },
      }
    : {
        itemType: "message",
        to: (options.to || []).map(recipient),
        cc: (options.cc || []).map(recipient),
        from: recipient(options.from || "buyer@customer.example"),
        subject: state.subject,
        internetMessageId: "<abc@customer.example>",
        itemId: state.itemId,
      };

  item.body = {
    getAsync(coercion, callback) {
      answer("item.body.getAsync", callback, state.body);
    },
    setAsync(html, settings, callback) {
      if (!fail["item.body.setAsync"]) {
        state.body = html;
      }
      answer("item.body.setAsync", callback);
    },
  };
  item.loadCustomPropertiesAsync = (callback) => {
    const properties = {
      get: (name) => state.customProperties[name],
      set: (name, value) => {
        properties.pending = { ...properties.pending, [name]: value };
      },
      pending: {},
      saveAsync(done) {
        if (!fail["customProperties.saveAsync"]) {
          Object.assign(state.customProperties, properties.pending);
        }
        answer("customProperties.saveAsync", done);
      },
    };
    answer("item.loadCustomPropertiesAsync", callback, properties);
  };
  item.sessionData = {
    getAsync(key, callback) {
      if (!(key in state.session)) {
        calls.push("item.sessionData.getAsync");
        setTimeout(() => callback({ status: "failed", error: { message: "Key not found" } }), 0);
        return;
      }
      answer("item.sessionData.getAsync", callback, state.session[key]);
    },
    setAsync(key, value, callback) {
      if (!fail["item.sessionData.setAsync"]) {
        state.session[key] = value;
      }
      answer("item.sessionData.setAsync", callback);
    },
  };
  item.notificationMessages = {
    replaceAsync(key, details, callback) {
      state.notifications[key] = details;
      answer("item.notificationMessages.replaceAsync", callback);
    },
  };

  const roamingSettings = {
    get: (name) => state.roaming[name],
    set: (name, value) => {
      state.roaming[name] = value;
    },
    remove: (name) => {
      delete state.roaming[name];
    },
    saveAsync(callback) {
      answer("roamingSettings.saveAsync", callback);
    },
  };

  const Office = {
    CoercionType: { Html: "html", Text: "text" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: {
      DialogMessageReceived: "dialogMessageReceived",
      DialogEventReceived: "dialogEventReceived",
    },
    MailboxEnums: {
      ItemNotificationMessageType: {
        InformationalMessage: "informationalMessage",
        ErrorMessage: "errorMessage",
      },
    },
    context: {
      displayLanguage: options.displayLanguage || "en-US",
      diagnostics: { platform: options.platform || "PC" },
      requirements: { isSetSupported: (name, version) => Number(version) <= 1.12 },
      roamingSettings,
      ui: {},
      mailbox: {
        item,
        userProfile: { emailAddress: options.email || "Rep@Example.com" },
      },
    },
    actions: {
      associate(name, handler) {
        handlers[name] = handler;
      },
    },
    onReady: (callback) => Promise.resolve({ host: "Outlook" }).then(callback),
  };
  return { Office, state, calls, handlers };
}

/** An event object whose completed() resolves the returned promise with its options. */
export function createEvent() {
  let resolve;
  const done = new Promise((settle) => {
    resolve = settle;
  });
  const event = {
    completedWith: undefined,
    completed(options) {
      // A copy in this realm, so deepStrictEqual compares values, not the vm's prototypes.
      event.completedWith = options === undefined ? undefined : JSON.parse(JSON.stringify(options));
      resolve(event.completedWith);
    },
  };
  return { event, done };
}
