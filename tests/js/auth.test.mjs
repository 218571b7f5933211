// Unit tests of addin/auth.js without single sign-on: the pane's personal token stays in its
// localStorage, and the roaming settings (read by the send handler) get a compose-scoped token.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";

import { createOffice } from "./office-stub.mjs";
import { startServer } from "./http-server.mjs";

let server;
let stub;
let loads = 0;
const storage = new Map();
const composeTokens = [];
const localStorageStub = {
  getItem: (key) => (storage.has(key) ? storage.get(key) : null),
  setItem: (key, value) => storage.set(key, String(value)),
  removeItem: (key) => storage.delete(key),
};

// A fresh copy of auth.js, as a pane opened again loads it (nothing remembered in memory).
async function openPane() {
  loads += 1;
  return import(`../../addin/auth.js?pane=${loads}`);
}

// The dialog answers with this message once the pane opens it.
function dialogAnswers(message) {
  const opened = [];
  stub.Office.context.ui.displayDialogAsync = (url, options, callback) => {
    opened.push(url);
    const listeners = {};
    const dialog = {
      addEventHandler: (kind, listener) => {
        listeners[kind] = listener;
      },
      close: () => {},
    };
    callback({ status: "succeeded", value: dialog });
    setTimeout(() => listeners.dialogMessageReceived({ message }), 0);
  };
  return opened;
}

function addinTokenCalls() {
  return server.requests.filter((request) => request.url === "/api/v1/me/addin-token");
}

before(async () => {
  server = await startServer((request) => {
    if (request.url === "/addin/config.json") {
      return { json: { baseUrl: server.url, entraClientId: null } };
    }
    if (request.url === "/api/v1/me/addin-token" && request.method === "POST") {
      const token = `tok-compose-${composeTokens.length + 1}`;
      composeTokens.push({ token, authorization: request.headers.authorization });
      return { status: 201, json: { token, scope: "compose" } };
    }
    return { status: 404, json: { error: { code: "not_found", message: "no" } } };
  });
  globalThis.location = { origin: server.url };
});

beforeEach(() => {
  storage.clear();
  composeTokens.length = 0;
  server.requests.length = 0;
  globalThis.localStorage = localStorageStub;
  stub = createOffice();
  globalThis.Office = stub.Office;
});

after(() => server.close());

test("without Entra and without a stored token, a quiet call answers null", async () => {
  const auth = await openPane();
  assert.equal(await auth.getToken(), null);
  assert.equal(server.requests[0].url, "/addin/config.json");
  assert.equal(addinTokenCalls().length, 0);
});

test("the dialog's full token stays in the pane; roaming gets a compose-scoped one", async () => {
  const auth = await openPane();
  const opened = dialogAnswers('{"token": "tok-local"}');
  assert.equal(await auth.getToken({ interactive: true }), "tok-local");
  assert.deepEqual(opened, [`${server.url}/addin/sign-in`]);
  assert.equal(storage.get("tracklog.token"), "tok-local");
  // The compose token was asked for with the pane's token, and only it reaches the handlers.
  assert.deepEqual(composeTokens, [{ token: "tok-compose-1", authorization: "Bearer tok-local" }]);
  assert.deepEqual(stub.state.roaming, {
    "tracklog.token": "tok-compose-1",
    "tracklog.tokenScope": "compose",
    "tracklog.baseUrl": server.url,
  });
  assert.equal(await auth.getToken(), "tok-local");
  assert.equal(addinTokenCalls().length, 1);
});

test("a sign-in in the dialog always replaces the handlers' token", async () => {
  stub.state.roaming = { "tracklog.token": "tok-someone", "tracklog.tokenScope": "compose" };
  const auth = await openPane();
  dialogAnswers('{"token": "tok-local"}');
  await auth.getToken({ interactive: true });
  assert.equal(stub.state.roaming["tracklog.token"], "tok-compose-1");
});

test("a pane opened again shares nothing new while the handlers hold a compose token", async () => {
  storage.set("tracklog.token", "tok-local");
  stub.state.roaming = { "tracklog.token": "tok-compose-7", "tracklog.tokenScope": "compose" };
  const auth = await openPane();
  assert.equal(await auth.getToken(), "tok-local");
  await auth.getToken();
  assert.equal(addinTokenCalls().length, 0);
  assert.equal(stub.state.roaming["tracklog.token"], "tok-compose-7");
});

test("a full token an older pane left in roaming settings is replaced by a compose one", async () => {
  storage.set("tracklog.token", "tok-local");
  stub.state.roaming = { "tracklog.token": "tok-local", "tracklog.baseUrl": server.url };
  const auth = await openPane();
  assert.equal(await auth.getToken(), "tok-local");
  await waitFor(() => stub.state.roaming["tracklog.token"] === "tok-compose-1");
  assert.equal(stub.state.roaming["tracklog.tokenScope"], "compose");
});

test("the pane never takes the handlers' compose token while it has localStorage", async () => {
  stub.state.roaming = { "tracklog.token": "tok-compose-7", "tracklog.tokenScope": "compose" };
  const auth = await openPane();
  assert.equal(await auth.getToken(), null);
});

test("without localStorage the pane keeps its token in memory, then falls back on roaming", async () => {
  Object.defineProperty(globalThis, "localStorage", {
    configurable: true,
    get() {
      throw new Error("SecurityError: access denied");
    },
  });
  try {
    const auth = await openPane();
    dialogAnswers('{"token": "tok-local"}');
    assert.equal(await auth.getToken({ interactive: true }), "tok-local");
    assert.equal(await auth.getToken(), "tok-local");
    assert.equal(stub.state.roaming["tracklog.token"], "tok-compose-1");
    const reopened = await openPane();
    assert.equal(await reopened.getToken(), "tok-compose-1");
    assert.equal(addinTokenCalls().length, 1);
  } finally {
    Object.defineProperty(globalThis, "localStorage", {
      configurable: true,
      writable: true,
      value: localStorageStub,
    });
  }
});

test("signing out forgets the pane's token and the handlers'", async () => {
  const auth = await openPane();
  dialogAnswers('{"token": "tok-local"}');
  await auth.getToken({ interactive: true });
  await auth.signOut();
  assert.equal(await auth.getToken(), null);
  assert.deepEqual(stub.state.roaming, {});
  assert.equal(storage.has("tracklog.token"), false);
});

test("the single sign-on scope names the server's host and the client id", async () => {
  const auth = await openPane();
  assert.equal(
    auth.ssoScope("https://crm.example.org:8443/", "abc"),
    "api://crm.example.org:8443/abc/access_as_user",
  );
});

// Waits until a condition holds (the handlers' token is shared in the background).
async function waitFor(condition, timeoutMs = 2000) {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < until, "timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
