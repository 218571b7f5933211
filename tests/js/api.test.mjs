// Unit tests of addin/api.js against a real local HTTP server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as api from "../../addin/api.js";
import { deadUrl, startServer } from "./http-server.mjs";

let server;
let answer;

before(async () => {
  server = await startServer((request) => answer(request));
  api.configureApi({ baseUrl: `${server.url}/`, getToken: async () => "tok-1", timeoutMs: 2000 });
});

after(() => server.close());

test("compose posts JSON with the bearer token and answers the parsed body", async () => {
  answer = () => ({ status: 200, json: { message_id: "tl_1", bcc: "log+k@bcc.example" } });
  const result = await api.compose({ subject: "Hi", to: ["a@x.com"] });
  assert.deepEqual(result, { message_id: "tl_1", bcc: "log+k@bcc.example" });
  const seen = server.requests.at(-1);
  assert.equal(seen.method, "POST");
  assert.equal(seen.url, "/api/v1/compose");
  assert.equal(seen.headers.authorization, "Bearer tok-1");
  assert.equal(seen.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(seen.body), { subject: "Hi", to: ["a@x.com"] });
});

test("the contract's error shape becomes an ApiError with status, code and message", async () => {
  answer = () => ({
    status: 422,
    json: { error: { code: "invalid_recipient", message: "a@ is not an address", details: {} } },
  });
  await assert.rejects(api.compose({}), (error) => {
    assert.ok(error instanceof api.ApiError);
    assert.equal(error.status, 422);
    assert.equal(error.code, "invalid_recipient");
    assert.equal(error.message, "a@ is not an address");
    return true;
  });
});

test("an error answer that is not JSON still becomes an ApiError", async () => {
  answer = () => ({ status: 502, text: "<html>Bad gateway</html>" });
  await assert.rejects(api.message("tl_1"), { name: "ApiError", status: 502, code: "http_502" });
});

test("a server that cannot be reached gives status 0 and code unreachable", async () => {
  api.configureApi({ baseUrl: await deadUrl() });
  try {
    await assert.rejects(api.defaults(), { name: "ApiError", status: 0, code: "unreachable" });
  } finally {
    api.configureApi({ baseUrl: server.url });
  }
});

test("a server that does not answer in time gives status 0 and code unreachable", async () => {
  answer = () => ({ hang: true });
  api.configureApi({ timeoutMs: 150 });
  const started = Date.now();
  try {
    await assert.rejects(api.defaults(), (error) => {
      assert.equal(error.status, 0);
      assert.equal(error.code, "unreachable");
      assert.match(error.message, /no answer within/);
      return true;
    });
    assert.ok(Date.now() - started < 1500);
  } finally {
    api.configureApi({ timeoutMs: 2000 });
  }
});

test("searchRecords queries the record type with q and refuses unknown types", async () => {
  answer = () => ({ status: 200, json: { items: [{ id: 1 }], next_cursor: null } });
  const found = await api.searchRecords("deals", "acme & co");
  assert.deepEqual(found.items, [{ id: 1 }]);
  assert.equal(server.requests.at(-1).url, "/api/v1/deals?q=acme+%26+co");
  await assert.rejects(api.searchRecords("users", "x"), { code: "bad_type" });
});

test("logMail sends message/rfc822 and uploadAttachment sends multipart", async () => {
  answer = () => ({ status: 201, json: { id: 5 } });
  await api.logMail(new Blob(["Subject: hi\r\n\r\nbody"]));
  let seen = server.requests.at(-1);
  assert.equal(seen.url, "/api/v1/log");
  assert.equal(seen.headers["content-type"], "message/rfc822");
  assert.equal(seen.body.toString(), "Subject: hi\r\n\r\nbody");
  await api.uploadAttachment(new File(["%PDF"], "quote.pdf"), "tl_1");
  seen = server.requests.at(-1);
  assert.equal(seen.url, "/api/v1/attachments");
  assert.match(seen.headers["content-type"], /^multipart\/form-data; boundary=/);
  assert.match(seen.body.toString(), /filename="quote.pdf"/);
  assert.match(seen.body.toString(), /name="message_id"\r\n\r\ntl_1/);
});

test("message, defaults and addinConfig use the endpoint table", async () => {
  answer = () => ({ status: 200, json: {} });
  await api.message("tl_1/x");
  assert.equal(server.requests.at(-1).url, "/api/v1/messages/tl_1%2Fx");
  await api.defaults();
  assert.equal(server.requests.at(-1).url, api.ENDPOINTS.defaults);
  await api.addinConfig();
  const seen = server.requests.at(-1);
  assert.equal(seen.url, "/addin/config.json");
  assert.equal(seen.headers.authorization, undefined);
});

test("the mailbox is read and connected with the pane's bearer token", async () => {
  answer = () => ({ status: 200, json: { connected: true, provider: "graph" } });
  assert.equal((await api.myMailbox()).connected, true);
  assert.equal(server.requests.at(-1).url, "/api/v1/me/mailbox");
  await api.connectMailbox();
  const seen = server.requests.at(-1);
  assert.equal(seen.method, "POST");
  assert.equal(seen.url, "/api/v1/me/mailbox/graph");
  assert.equal(seen.headers.authorization, "Bearer tok-1");
});
