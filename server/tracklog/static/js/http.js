// The one helper for every call the web pages make to tracklog: the session cookie, the CSRF token
// when the method changes something, and `response.ok` checked every time.
//
//   import { api, fetchText, request } from "./http.js";
//   const page = await api("GET", "/contacts?q=ini");       // JSON, or throws an ApiError
//   const { ok, status, data, error } = await request("POST", url, body);   // never throws on 4xx
//   const html = await fetchText(url);                       // a page fragment, or throws

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

function headersFor(method, hasBody, accept) {
  const headers = { Accept: accept };
  if (hasBody) headers["Content-Type"] = "application/json";
  if (!["GET", "HEAD"].includes(method)) headers["X-CSRFToken"] = csrfToken();
  return headers;
}

// A JSON call: answers {ok, status, data, error} and never throws for an HTTP error (the boards
// inspect 422 answers); `error` is the contract's error object when the server sent one.
export async function request(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: headersFor(method, body !== undefined, "application/json"),
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data, error: data?.error ?? null };
}

function failure(answer) {
  const error = answer.error ?? {};
  return new ApiError(answer.status, error.code ?? "http_error", error.message ?? `HTTP ${answer.status}`, error.details);
}

// A JSON call that answers the data, or throws an ApiError from the contract's error shape.
export async function json(method, url, body) {
  const answer = await request(method, url, body);
  if (!answer.ok) throw failure(answer);
  return answer.data;
}

// A call to /api/v1 (the path without its prefix).
export function api(method, path, body) {
  return json(method, `/api/v1${path}`, body);
}

// An HTML page or fragment of the web app, or an ApiError when it could not be had.
export async function fetchText(url) {
  const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (!response.ok) throw new ApiError(response.status, "http_error", response.statusText || `HTTP ${response.status}`);
  return response.text();
}
