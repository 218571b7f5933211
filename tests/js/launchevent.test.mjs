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

// Loads the handler file into a fresh JavaScript-only context; answers the stub and handlers.
function loadHandlers(options = {}) {
  const stub = createOffice({
    to: ["Buyer@Customer.example"],
    roaming: { "tracklog.token": "tok-9", "tracklog.baseUrl": server.url },
    ...options,
  });
  const context = vm.createContext({
    Office: stub.Office,
    fetch,
    console: { error: () => {}, info: () => {}, log: () => {}, warn: () => {} },
    setTimeout,
    clearTimeout,
    AbortController,
    JSON,
  });
  vm.runInContext(SOURCE, context, { filename: "launchevent.js" });
  return stub;
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

test("a server that does not answer within the timeout never holds the send for long", {
  timeout: 15000,
}, async () => {
  answer = () => ({ hang: true });
  const stub = loadHandlers({
    session: { "tracklog.choices": JSON.stringify({ track: true, log: true }) },
  });
  assert.deepEqual(await send(stub), { allowEvent: true });
  assert.match(stub.state.notifications.tracklog.message, /could not be reached/);
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
