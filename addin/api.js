// The one HTTP helper for every call to the tracklog server, and the table of its endpoints.

/** Every server endpoint the add-in calls, in one place. */
export const ENDPOINTS = {
  compose: "/api/v1/compose",
  composePreview: "/api/v1/compose/preview",
  record: (type, id) => `/api/v1/${type}/${encodeURIComponent(id)}`,
  search: (type) => `/api/v1/${type}`,
  log: "/api/v1/log",
  attachments: "/api/v1/attachments",
  message: (id) => `/api/v1/messages/${encodeURIComponent(id)}`,
  defaults: "/api/v1/me",
  addinToken: "/api/v1/me/addin-token",
  mailbox: "/api/v1/me/mailbox",
  mailboxGraph: "/api/v1/me/mailbox/graph",
  templates: "/api/v1/templates",
  sendTime: (id) => `/api/v1/contacts/${encodeURIComponent(id)}/send-time`,
  config: "/addin/config.json",
};

const RECORD_TYPES = ["contacts", "companies", "deals", "tickets"];
const DEFAULT_TIMEOUT_MS = 10000;
const UPLOAD_BYTES_PER_SECOND = 100 * 1024;

const settings = {
  baseUrl: "",
  getToken: async () => null,
  timeoutMs: DEFAULT_TIMEOUT_MS,
  language: null,
};

/** A failed call: HTTP status (0 when the server was not reached), snake_case code, sentence. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Sets the server's base URL, the token source (async, may return null), the timeout and the
 * language the server answers in (Outlook's, so reasons and errors match the pane). */
export function configureApi({ baseUrl, getToken, timeoutMs, language } = {}) {
  if (language !== undefined) {
    settings.language = language;
  }
  if (baseUrl !== undefined) {
    settings.baseUrl = String(baseUrl).replace(/\/+$/, "");
  }
  if (getToken !== undefined) {
    settings.getToken = getToken;
  }
  if (timeoutMs !== undefined) {
    settings.timeoutMs = timeoutMs;
  }
}

// Turns an error answer into an ApiError, from the contract's {"error": {code, message}} shape.
async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body && body.error ? body.error : {};
  return new ApiError(
    response.status,
    error.code || `http_${response.status}`,
    error.message || `The server answered ${response.status} ${response.statusText}`.trim(),
    error.details || {},
  );
}

/** Sends one request to the server; answers the parsed JSON (or null for an empty answer). */
export async function request(method, path, { json, body, headers = {}, timeoutMs, auth = true } = {}) {
  const sent = { ...headers, Accept: "application/json" };
  if (settings.language) {
    sent["Accept-Language"] = settings.language;
  }
  if (auth) {
    const token = await settings.getToken();
    if (token) {
      sent.Authorization = `Bearer ${token}`;
    }
  }
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    sent["Content-Type"] = "application/json";
  }
  const controller = new AbortController();
  const limit = timeoutMs ?? settings.timeoutMs;
  const timer = setTimeout(() => controller.abort(), limit);
  let response;
  try {
    response = await fetch(`${settings.baseUrl}${path}`, {
      method,
      headers: sent,
      body: payload,
      signal: controller.signal,
    });
  } catch (error) {
    const why = controller.signal.aborted
      ? `no answer within ${Math.round(limit / 1000)} s`
      : error.message;
    throw new ApiError(0, "unreachable", `The tracklog server could not be reached: ${why}`);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  const text = await response.text();
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(response.status, "bad_response", "The server's answer was not JSON");
  }
}

/** POST /api/v1/compose: tracking, logging BCC and rewritten body for a draft. */
export function compose(payload) {
  return request("POST", ENDPOINTS.compose, { json: payload });
}

/** What compose would decide for a draft (recipients, records with reasons), saving nothing. */
export function composePreview(payload) {
  return request("POST", ENDPOINTS.composePreview, { json: payload });
}

/** GET /api/v1/templates: the user's and the team's templates with their results ({items}). */
export function listTemplates() {
  return request("GET", ENDPOINTS.templates);
}

/** GET /api/v1/contacts/<id>/send-time: {suggested_at, time_zone, basis, reason}. */
export function sendTime(contactId) {
  return request("GET", ENDPOINTS.sendTime(contactId));
}

/** One record: type is contacts, companies, deals or tickets. */
export function getRecord(type, id) {
  if (!RECORD_TYPES.includes(type)) {
    return Promise.reject(new ApiError(0, "unknown_type", `Unknown record type ${type}`));
  }
  return request("GET", ENDPOINTS.record(type, id));
}

/** Creates a contact from {email, first_name, last_name, ...}. */
export function createContact(fields) {
  return request("POST", ENDPOINTS.search("contacts"), { json: fields });
}

/** GET /api/v1/{contacts|companies|deals|tickets}?q=: records matching q ({items, next_cursor}). */
export function searchRecords(type, q) {
  if (!RECORD_TYPES.includes(type)) {
    return Promise.reject(new ApiError(0, "bad_type", `Unknown record type "${type}"`));
  }
  const query = new URLSearchParams({ q: q || "" });
  return request("GET", `${ENDPOINTS.search(type)}?${query}`);
}

/** POST /api/v1/log: logs a received mail from its raw MIME (message/rfc822). */
export function logMail(mimeBlob) {
  // The pane may upload as large a mail as a BCC copy carries: allow for a slow uplink.
  const uploadMs = (mimeBlob.size / UPLOAD_BYTES_PER_SECOND) * 1000;
  return request("POST", ENDPOINTS.log, {
    body: mimeBlob,
    headers: { "Content-Type": "message/rfc822" },
    timeoutMs: Math.max(settings.timeoutMs, 30000 + uploadMs),
  });
}

/** POST /api/v1/attachments (multipart): stores a file as a tracked attachment link. */
export function uploadAttachment(file, messageId) {
  const form = new FormData();
  form.append("file", file, file.name || "attachment");
  if (messageId) {
    form.append("message_id", messageId);
  }
  return request("POST", ENDPOINTS.attachments, {
    body: form,
    timeoutMs: Math.max(settings.timeoutMs, 60000),
  });
}

/** GET /api/v1/messages/<id>: one tracked message with KPIs and events. */
export function message(id) {
  return request("GET", ENDPOINTS.message(id));
}

/** GET /api/v1/me: the user and their defaults (track_by_default, log_by_default, bcc, ...). */
export function defaults() {
  return request("GET", ENDPOINTS.defaults);
}

/** GET /addin/config.json (no token): {entraClientId, baseUrl}. */
export function addinConfig() {
  return request("GET", ENDPOINTS.config, { auth: false });
}

/** POST /api/v1/me/addin-token: a personal token for the send handler ({token}), made once. */
export function addinToken() {
  return request("POST", ENDPOINTS.addinToken, { json: { name: "Outlook add-in" } });
}

/** GET /api/v1/me/mailbox: whether your mailbox is connected, which one, and its last error. */
export function myMailbox() {
  return request("GET", ENDPOINTS.mailbox);
}

/** POST /api/v1/me/mailbox/graph: connects your Microsoft 365 mailbox; the server exchanges the
 * pane's single sign-on token (the bearer of the call) on your behalf. */
export function connectMailbox() {
  return request("POST", ENDPOINTS.mailboxGraph);
}
