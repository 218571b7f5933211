// Unit tests of addin/auth.js without single sign-on: stored tokens and the local sign-in dialog.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createOffice } from "./office-stub.mjs";
import { startServer } from "./http-server.mjs";

let server;
let auth;
let stub;
const storage = new Map();

before(async () => {
  server = await startServer((request) =>
    request.url === "/addin/config.json"
      ? { json: { baseUrl: server.url, entraClientId: null } }
      : { status: 404, json: { error: { code: "not_found", message: "no" } } },
  );
  globalThis.location = { origin: server.url };
  globalThis.localStorage = {
    getItem: (key) => (storage.has(key) ? storage.get(key) : null),
    setItem: (key, value) => storage.set(key, String(value)),
    removeItem: (key) => storage.delete(key),
  };
  stub = createOffice();
  globalThis.Office = stub.Office;
  auth = await import("../../addin/auth.js");
});

after(() => server.close());

test("without Entra and without a stored token, a quiet call answers null", async () => {
  assert.equal(await auth.getToken(), null);
  assert.equal(server.requests[0].url, "/addin/config.json");
});

test("the local sign-in dialog's token is kept for the pane and for the send handler", async () => {
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
    setTimeout(() => listeners.dialogMessageReceived({ message: '{"token": "tok-local"}' }), 0);
  };
  assert.equal(await auth.getToken({ interactive: true }), "tok-local");
  assert.deepEqual(opened, [`${server.url}/addin/sign-in`]);
  assert.equal(storage.get("tracklog.token"), "tok-local");
  assert.equal(stub.state.roaming["tracklog.token"], "tok-local");
  assert.equal(stub.state.roaming["tracklog.baseUrl"], server.url);
  assert.equal(await auth.getToken(), "tok-local");
});

test("a token found only in roaming settings is used (Windows classic wrote none locally)", async () => {
  storage.clear();
  stub.state.roaming["tracklog.token"] = "tok-roamed";
  assert.equal(await auth.getToken(), "tok-roamed");
  await auth.signOut();
  assert.equal(await auth.getToken(), null);
});

test("the single sign-on scope names the server's host and the client id", () => {
  assert.equal(
    auth.ssoScope("https://crm.example.org:8443/", "abc"),
    "api://crm.example.org:8443/abc/access_as_user",
  );
});
