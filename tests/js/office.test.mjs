// Unit tests of addin/office.js, the one wrapper around Office's callback APIs.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import * as office from "../../addin/office.js";
import { createOffice } from "./office-stub.mjs";

let stub;

function install(options) {
  stub = createOffice(options);
  globalThis.Office = stub.Office;
  return stub;
}

beforeEach(() => install());

test("a failed Office call rejects with an error naming the call and the reason", async () => {
  install({ fail: { "item.body.setAsync": "The item is read-only" } });
  await assert.rejects(office.setBodyHtml("<p>x</p>"), {
    message: "item.body.setAsync failed: The item is read-only",
  });
});

test("recipients answers lower-case addresses of to, cc and bcc", async () => {
  install({ to: ["A@X.com"], cc: ["b@y.COM"], bcc: [] });
  assert.deepEqual(await office.recipients(), { to: ["a@x.com"], cc: ["b@y.com"], bcc: [] });
});

test("body and subject go through the item", async () => {
  assert.equal(await office.subject(), "Quote for Q3");
  assert.match(await office.bodyHtml(), /Hello/);
  await office.setBodyHtml("<p>tracked</p>");
  assert.equal(stub.state.body, "<p>tracked</p>");
});

test("sessionGet answers null for a missing key and JSON values round-trip", async () => {
  assert.equal(await office.sessionGet(office.CHOICES_KEY), null);
  const choices = { track: true, log: false, associations: [{ type: "deal", id: 12 }] };
  await office.sessionSet(office.CHOICES_KEY, choices);
  assert.equal(typeof stub.state.session[office.CHOICES_KEY], "string");
  assert.deepEqual(await office.sessionGet(office.CHOICES_KEY), choices);
});

test("displayLanguage picks en, ja or sv and falls back to en", async () => {
  for (const [tag, expected] of [["ja-JP", "ja"], ["sv-SE", "sv"], ["de-DE", "en"], ["en-GB", "en"]]) {
    install({ displayLanguage: tag });
    assert.equal(await office.displayLanguage(), expected);
  }
});

test("hostName maps Office's platform to the compose flow's host names", async () => {
  const expected = {
    PC: "outlook-desktop",
    OfficeOnline: "outlook-web",
    Mac: "outlook-mac",
    iOS: "outlook-mobile",
    Android: "outlook-mobile",
  };
  for (const [platform, host] of Object.entries(expected)) {
    install({ platform });
    assert.equal(await office.hostName(), host);
  }
});

test("userEmail is the mailbox owner's address", async () => {
  assert.equal(await office.userEmail(), "rep@example.com");
});

test("readItem describes a received mail", async () => {
  install({ compose: false, from: "Buyer@Customer.example" });
  assert.deepEqual(await office.readItem(), {
    from: "buyer@customer.example",
    subject: "Quote for Q3",
    internetMessageId: "<abc@customer.example>",
    itemId: "AAMkAGI2draft",
  });
});

test("roaming settings are saved together with one saveAsync", async () => {
  const saves = () => stub.calls.filter((call) => call === "roamingSettings.saveAsync").length;
  const before = saves();
  await office.roamingSave({ "tracklog.token": "tok", "tracklog.tokenScope": "compose" });
  assert.equal(await office.roamingGet("tracklog.token"), "tok");
  assert.equal(await office.roamingGet("tracklog.tokenScope"), "compose");
  assert.equal(saves(), before + 1);
  await office.roamingSave({ "tracklog.token": null, "tracklog.tokenScope": undefined });
  assert.equal(await office.roamingGet("tracklog.token"), null);
  assert.equal(await office.roamingGet("tracklog.tokenScope"), null);
});
