// Tests of addin/launchevent.js run the way classic Outlook on Windows runs it: one classic script
// in a JavaScript-only runtime (no DOM, no localStorage, no modules), with fetch.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, test } from "node:test";
import vm from "node:vm";

import { createEvent, createOffice } from "./office-stub.mjs";
import { deadUrl, startServer } from "./http-server.mjs";

const SOURCE = readFileSync(new URL("../../addin/launchevent.js", import.meta.url), "utf8");
const MANIFEST = readFileSync(new URL("../../manifest.xml", import.meta.url), "utf8");
const COMPOSED = {
  message_id: "tl_42",
  html: "<html><body><p>Hello</p><img src='https://t/o/x.gif'></body></html>",
  bcc: "log+k42@bcc.example",
  tracking: "individual",
  recipients: [],
  associations: [{ type: "deal", id: 12, why: "explicitly selected" }],
};
const ME = {
  email: "rep@example.com",
  track_by_default: true,
  log_by_default: true,
  create_contacts: true,
  bcc: "log+acct@bcc.example",
};

let server;
let answer;

before(async () => {
  server = await startServer((request) => answer(request));
});

after(() => server.close());

beforeEach(() => {
  server.requests.length = 0;
  answer = (request) =>
    request.url === "/api/v1/me" ? { json: ME } : { status: 200, json: COMPOSED };
});

// Outlook shows its "taking longer than expected" dialog about 5 s into a send.
const OUTLOOK_PATIENCE_MS = 5000;

// A fetch that rejects the moment its signal aborts, as the fetch standard (and so Outlook's
// browser runtimes) does; Node's own fetch settles a few ticks later. It is defined inside the
// handler's context so that its promise is that realm's, as in Outlook.
const BROWSER_FETCH = `
globalThis.fetch = (url, init) =>
  new Promise((resolve, reject) => {
    init.signal.addEventListener("abort", () =>
      reject(new DOMException("This operation was aborted", "AbortError")),
    );
    nodeFetch(url, init).then(resolve, reject);
  });
`;

/**
 * Loads the handler file into a fresh JavaScript-only context; answers the Office stub and the
 * handlers. The file's timers are the test's: stub.timerDelays lists the delays it asked for, and
 * with manualClock they fire only when the test calls stub.expireTimers(): no test waits on time.
 */
function loadHandlers(options = {}) {
  const { manualClock = false, browserFetch = false, fetcher = fetch, ...officeOptions } = options;
  const stub = createOffice({
    to: ["Buyer@Customer.example"],
    roaming: { "tracklog.token": "tok-9", "tracklog.baseUrl": server.url },
    ...officeOptions,
  });
  const pending = new Map();
  stub.timerDelays = [];
  stub.expireTimers = () => {
    const due = [...pending.values()];
    pending.clear();
    due.forEach((callback) => callback());
  };
  const context = vm.createContext({
    Office: stub.Office,
    fetch: fetcher,
    console: { error: () => {}, info: () => {}, log: () => {}, warn: () => {} },
    setTimeout: (callback, delay) => {
      stub.timerDelays.push(delay);
      if (!manualClock) {
        return setTimeout(callback, delay);
      }
      const id = Symbol("timer");
      pending.set(id, callback);
      return id;
    },
    clearTimeout: (id) => (manualClock ? pending.delete(id) : clearTimeout(id)),
    AbortController,
    DOMException,
    JSON,
    nodeFetch: fetcher,
  });
  if (browserFetch) {
    vm.runInContext(BROWSER_FETCH, context);
  }
  vm.runInContext(SOURCE, context, { filename: "launchevent.js" });
  return stub;
}

// A server that keeps this request waiting: the handler's deadline passes while it waits.
function stall(stub) {
  setImmediate(() => stub.expireTimers());
  return { hang: true };
}

async function send(stub) {
  const { event, done } = createEvent();
  stub.handlers.onMessageSendHandler(event);
  return done;
}

function composeRequests() {
  return server.requests.filter((request) => request.url === "/api/v1/compose");
}

test("the file is a classic script: no import or export statements", () => {
  assert.doesNotMatch(SOURCE, /^\s*(import|export)\s/m);
});

test("handler names in the manifest are the ones the file associates", () => {
  const stub = loadHandlers();
  const named = [...MANIFEST.matchAll(/<LaunchEvent Type="(\w+)" FunctionName="(\w+)"/g)];
  assert.deepEqual(
    named.map((match) => match[1]),
    ["OnNewMessageCompose", "OnMessageSend"],
  );
  assert.deepEqual(named.map((match) => match[2]).sort(), Object.keys(stub.handlers).sort());
  assert.match(MANIFEST, /<LaunchEvent Type="OnMessageSend" [^>]*SendMode="SoftBlock"/);
});

test("OnMessageSend composes with the pane's choices, rewrites the mail and allows the send", async () => {
  const choices = {
    track: true,
    log: true,
    associations: [{ type: "deal", id: 12 }],
    create_contacts: false,
  };
  const stub = loadHandlers({
    cc: ["Boss@Example.com"],
    bcc: ["archive@example.com"],
    session: { "tracklog.choices": JSON.stringify(choices) },
  });
  const completed = await send(stub);

  assert.deepEqual(completed, { allowEvent: true });
  const [request] = composeRequests();
  assert.equal(request.headers.authorization, "Bearer tok-9");
  const payload = JSON.parse(request.body);
  assert.deepEqual(payload, {
    subject: "Quote for Q3",
    from: "rep@example.com",
    to: ["buyer@customer.example"],
    cc: ["boss@example.com"],
    bcc: ["archive@example.com"],
    html: "<html><body><p>Hello</p></body></html>",
    track: true,
    log: true,
    associations: [{ type: "deal", id: 12 }],
    create_contacts: false,
    client: { host: "outlook-desktop", item_id: "AAMkAGI2draft" },
  });
  assert.equal(stub.state.body, COMPOSED.html);
  assert.deepEqual(stub.state.bcc, ["archive@example.com", "log+k42@bcc.example"]);
  assert.deepEqual(stub.state.headers, { "X-Tracklog-Message": "tl_42" });
  assert.deepEqual(stub.state.customProperties, { tracklogMessageId: "tl_42" });
  assert.deepEqual(stub.state.notifications, {});
});

test("the pane's reminder is set on the message compose returned, after composing", async () => {
  const choices = { track: true, log: true, remind: { in_days: 3, unless: "open" } };
  const stub = loadHandlers({ session: { "tracklog.choices": JSON.stringify(choices) } });
  assert.deepEqual(await send(stub), { allowEvent: true });
  const urls = server.requests.map((request) => request.url);
  assert.deepEqual(urls, ["/api/v1/compose", "/api/v1/messages/tl_42/reminders"]);
  const reminder = server.requests[1];
  assert.equal(reminder.method, "POST");
  assert.equal(reminder.headers.authorization, "Bearer tok-9");
  assert.deepEqual(JSON.parse(reminder.body), { in_days: 3, unless: "open" });
  assert.deepEqual(stub.state.notifications, {});
});

test("no reminder chosen: no reminder request", async () => {
  const choices = { track: true, log: true, remind: null };
  const stub = loadHandlers({ session: { "tracklog.choices": JSON.stringify(choices) } });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.deepEqual(
    server.requests.map((request) => request.url),
    ["/api/v1/compose"],
  );
});

test("a refused reminder still sends the tracked mail, without a note", async () => {
  answer = (request) =>
    request.url === "/api/v1/compose"
      ? { status: 200, json: COMPOSED }
      : { status: 422, json: { error: { code: "validation_failed", message: "bad" } } };
  const choices = { track: true, log: true, remind: { in_days: 3, unless: "reply" } };
  const stub = loadHandlers({ session: { "tracklog.choices": JSON.stringify(choices) } });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.equal(stub.state.body, COMPOSED.html);
  assert.deepEqual(stub.state.headers, { "X-Tracklog-Message": "tl_42" });
  assert.deepEqual(stub.state.notifications, {});
});

test("OnMessageSend does not add the logging BCC twice", async () => {
  const stub = loadHandlers({
    bcc: ["log+k42@bcc.example"],
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
  });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.deepEqual(stub.state.bcc, ["log+k42@bcc.example"]);
});

test("a server that cannot be reached: the mail goes untracked, with a note", async () => {
  const stub = loadHandlers({
    roaming: { "tracklog.token": "tok-9", "tracklog.baseUrl": await deadUrl() },
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
  });
  const original = stub.state.body;
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.equal(stub.state.body, original);
  assert.deepEqual(stub.state.bcc, []);
  assert.deepEqual(stub.state.headers, {});
  const note = stub.state.notifications.tracklog;
  assert.equal(note.type, "errorMessage");
  assert.match(note.message, /could not be reached.*without tracking/);
});

test("an error answer from the server: the mail goes untracked, with the reason", async () => {
  answer = () => ({
    status: 422,
    json: { error: { code: "not_a_user", message: "sender is not a user of this account" } },
  });
  const stub = loadHandlers({
    session: { "tracklog.choices": JSON.stringify({ track: true, log: false }) },
  });
  const original = stub.state.body;
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.equal(stub.state.body, original);
  assert.deepEqual(stub.state.customProperties, {});
  assert.match(stub.state.notifications.tracklog.message, /sender is not a user of this account/);
});

test("a server that never answers: one deadline for the whole send, well inside 5 s", async () => {
  const stub = loadHandlers({ manualClock: true }); // no choices yet: GET /me, then POST /compose
  answer = (request) => (request.url === "/api/v1/me" ? { json: ME } : stall(stub));
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.equal(composeRequests().length, 1);
  const waited = stub.timerDelays.reduce((total, delay) => total + delay, 0);
  assert.ok(waited <= OUTLOOK_PATIENCE_MS - 1000, `the handler may wait ${waited} ms`);
  assert.match(stub.state.notifications.tracklog.message, /^tracklog could not be reached: /);
});

test("a server that sends headers and then stalls: given up on, not reached", async () => {
  answer = () => ({ status: 200, json: COMPOSED, stallBody: true });
  // The deadline passes once the headers are in, while the body is awaited.
  const fetcher = (url, init) =>
    fetch(url, init).then((response) => {
      setImmediate(() => stub.expireTimers());
      return response;
    });
  const stub = loadHandlers({
    manualClock: true,
    fetcher,
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
  });
  const original = stub.state.body;
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.equal(stub.state.body, original);
  assert.match(stub.state.notifications.tracklog.message, /^tracklog could not be reached: /);
});

test("an aborted fetch (AbortError, no HTTP status) says not reached, not Outlook", async () => {
  const stub = loadHandlers({
    manualClock: true,
    browserFetch: true,
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
  });
  answer = () => stall(stub);
  assert.deepEqual(await send(stub), { allowEvent: true });
  const { message } = stub.state.notifications.tracklog;
  assert.match(message, /^tracklog could not be reached: /);
  assert.doesNotMatch(message, /Outlook/);
});

test("server down with the logging BCC on the mail: the copy may be logged", async () => {
  const stub = loadHandlers({
    bcc: ["log+acct@bcc.example"],
    roaming: { "tracklog.token": "tok-9", "tracklog.baseUrl": await deadUrl() },
    session: {
      "tracklog.choices": JSON.stringify({ track: true, log: true }),
      "tracklog.defaults": JSON.stringify({ bcc: "log+acct@bcc.example" }),
    },
  });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.deepEqual(stub.state.bcc, ["log+acct@bcc.example"]);
  const { message } = stub.state.notifications.tracklog;
  assert.match(message, /could not be reached.*may be logged/);
  assert.doesNotMatch(message, /logging\.$|without tracking or logging/);
});

test("a stalled server with the logging BCC on: not reached, the copy may be logged", async () => {
  const stub = loadHandlers({
    manualClock: true,
    browserFetch: true,
    displayLanguage: "ja-JP",
    bcc: ["log+acct@bcc.example"],
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
  });
  answer = () => stall(stub);
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.match(stub.state.notifications.tracklog.message, /接続できません.*記録される可能性/);
});

test("signed out (no token in roaming settings): the mail goes untracked, with a note", async () => {
  const stub = loadHandlers({
    roaming: {},
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
  });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.equal(composeRequests().length, 0);
  assert.match(stub.state.notifications.tracklog.message, /not signed in/);
});

test("an Office failure after composing still allows the send, with a note", async () => {
  const stub = loadHandlers({
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
    fail: { "item.internetHeaders.setAsync": "headers are read-only" },
  });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.match(stub.state.notifications.tracklog.message, /could not prepare/);
});

test("neither tracking nor logging: no server call, and the default logging BCC is removed", async () => {
  const stub = loadHandlers({
    bcc: ["log+acct@bcc.example", "archive@example.com"],
    session: {
      "tracklog.choices": JSON.stringify({ track: false, log: false }),
      "tracklog.defaults": JSON.stringify({ bcc: "log+acct@bcc.example" }),
    },
  });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.equal(composeRequests().length, 0);
  assert.deepEqual(stub.state.bcc, ["archive@example.com"]);
});

test("the draft's default logging BCC is replaced by the one compose returns", async () => {
  const stub = loadHandlers({
    bcc: ["log+acct@bcc.example"],
    session: {
      "tracklog.choices": JSON.stringify({ track: true, log: true }),
      "tracklog.defaults": JSON.stringify({ bcc: "log+acct@bcc.example" }),
    },
  });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.deepEqual(JSON.parse(composeRequests()[0].body).bcc, []);
  assert.deepEqual(stub.state.bcc, ["log+k42@bcc.example"]);
});

test("OnNewMessageCompose puts the defaults in session data and adds the logging BCC", async () => {
  const stub = loadHandlers();
  const { event, done } = createEvent();
  stub.handlers.onNewMessageComposeHandler(event);
  await done;
  assert.equal(event.completedWith, undefined);
  assert.deepEqual(JSON.parse(stub.state.session["tracklog.choices"]), {
    track: true,
    log: true,
    associations: [],
    create_contacts: true,
  });
  assert.deepEqual(stub.state.bcc, ["log+acct@bcc.example"]);
  assert.equal(server.requests[0].url, "/api/v1/me");
});

test("OnNewMessageCompose keeps choices the pane already made", async () => {
  const mine = JSON.stringify({ track: false, log: false, associations: [] });
  const stub = loadHandlers({ session: { "tracklog.choices": mine } });
  const { event, done } = createEvent();
  stub.handlers.onNewMessageComposeHandler(event);
  await done;
  assert.equal(stub.state.session["tracklog.choices"], mine);
  assert.equal(server.requests.length, 0);
});

test("OnMessageSend without choices (no pane, no compose event) uses the defaults", async () => {
  const stub = loadHandlers();
  assert.deepEqual(await send(stub), { allowEvent: true });
  const payload = JSON.parse(composeRequests()[0].body);
  assert.equal(payload.track, true);
  assert.equal(payload.log, true);
  assert.deepEqual(stub.state.bcc, ["log+k42@bcc.example"]);
});

test("notes follow Office's display language", async () => {
  const stub = loadHandlers({
    displayLanguage: "sv-SE",
    roaming: { "tracklog.token": "tok-9", "tracklog.baseUrl": await deadUrl() },
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
  });
  await send(stub);
  assert.match(stub.state.notifications.tracklog.message, /kunde inte nås/);
});
