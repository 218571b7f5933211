// Sign-in for the pane: nested app authentication (single sign-on with Microsoft Entra ID) when
// the server has a client id, else a personal API token from the local sign-in dialog.
import { addinConfig, addinToken, configureApi } from "./api.js";
import { openDialog, roamingGet, roamingSave, supports } from "./office.js";

// Where tokens live. The pane's personal token (everything the user may do) stays in the pane's
// localStorage. The roaming settings, which reach the event handlers on Windows classic (a
// JavaScript-only runtime without localStorage), hold only a token of scope "compose" from
// POST /api/v1/me/addin-token, marked by TOKEN_SCOPE_KEY, and the server's address.
export const TOKEN_KEY = "tracklog.token";
export const TOKEN_SCOPE_KEY = "tracklog.tokenScope";
export const BASE_URL_KEY = "tracklog.baseUrl";
export const SIGN_IN_PATH = "/addin/sign-in";
const HANDLER_SCOPE = "compose";

let config = null;
let nestable = null;
let sharing = null;
// The personal token for as long as this pane lives, where localStorage is missing.
let paneToken = null;

/** The server's add-in configuration, {entraClientId, baseUrl}, fetched once. */
export async function loadConfig() {
  if (!config) {
    configureApi({ baseUrl: globalThis.location ? globalThis.location.origin : "" });
    config = await addinConfig();
    configureApi({ baseUrl: config.baseUrl, getToken: () => getToken() });
  }
  return config;
}

/** The scope the server's Entra app exposes to this add-in. */
export function ssoScope(baseUrl, clientId) {
  return `api://${new URL(baseUrl).host}/${clientId}/access_as_user`;
}

// The pane's localStorage, or null where it has none (private mode, a locked-down web view).
function localStore() {
  try {
    const storage = globalThis.localStorage;
    storage.getItem(TOKEN_KEY); // some hosts refuse only when it is used
    return storage;
  } catch {
    return null;
  }
}

async function storedToken() {
  const storage = localStore();
  if (storage) {
    return paneToken || storage.getItem(TOKEN_KEY);
  }
  // Without localStorage, a pane opened again falls back on the handlers' compose-scoped token:
  // enough for the compose pane's preview, not for the rest (the user signs in again for that).
  return paneToken || (await roamingGet(TOKEN_KEY).catch(() => null));
}

/** Keeps the pane's personal token (null: forgets it) in localStorage only, never roaming. */
export async function storeToken(token) {
  paneToken = token || null;
  const storage = localStore();
  if (!storage) {
    return;
  }
  if (token) {
    storage.setItem(TOKEN_KEY, token);
  } else {
    storage.removeItem(TOKEN_KEY);
  }
}

// Gives the event handlers their compose-scoped token (null: none) and the server's address.
async function shareWithHandlers(token) {
  await roamingSave({
    [TOKEN_KEY]: token,
    [TOKEN_SCOPE_KEY]: token ? HANDLER_SCOPE : null,
    [BASE_URL_KEY]: token && config ? config.baseUrl : null,
  });
}

/** Forgets the pane's token and the handlers' (sign out); the server still lists both. */
export async function signOut() {
  sharing = null;
  await storeToken(null);
  await shareWithHandlers(null);
}

async function nestableApp(clientId) {
  if (!nestable) {
    // The UMD bundle sets globalThis.msal; it is loaded only when single sign-on is configured.
    await import("./vendor/msal-browser.min.js");
    nestable = await globalThis.msal.createNestablePublicClientApplication({
      auth: { clientId, authority: "https://login.microsoftonline.com/organizations" },
      cache: { cacheLocation: "localStorage" },
    });
  }
  return nestable;
}

// An Entra access token by nested app authentication, or null when it is not available.
async function ssoToken(settings, interactive) {
  if (!settings.entraClientId || !(await supports("NestedAppAuth", "1.1"))) {
    return null;
  }
  const request = { scopes: [ssoScope(settings.baseUrl, settings.entraClientId)] };
  const app = await nestableApp(settings.entraClientId);
  try {
    return (await app.acquireTokenSilent(request)).accessToken;
  } catch (error) {
    if (!interactive) {
      return null;
    }
    console.info(`tracklog: silent sign-in failed (${error.errorCode || error.message})`);
  }
  try {
    return (await app.acquireTokenPopup(request)).accessToken;
  } catch (error) {
    console.warn(`tracklog: single sign-on failed (${error.errorCode || error.message})`);
    return null;
  }
}

// The event handlers cannot sign in by themselves (no msal, no dialog on Windows classic): give
// them a compose-scoped token of their own, once per pane, or a fresh one after a sign-in in the
// dialog (whoever signed in before). A roaming token without the scope mark is an older full
// token and is replaced.
function shareTokenWithHandlers({ fresh = false } = {}) {
  if (fresh || !sharing) {
    sharing = shareOnce(fresh);
  }
  return sharing;
}

async function shareOnce(fresh) {
  const shared = await roamingGet(TOKEN_KEY).catch(() => null);
  const scope = await roamingGet(TOKEN_SCOPE_KEY).catch(() => null);
  if (!fresh && shared && scope === HANDLER_SCOPE) {
    return;
  }
  try {
    const answer = await addinToken();
    if (answer && answer.token) {
      await shareWithHandlers(answer.token);
    }
  } catch (error) {
    console.warn(`tracklog: no token for the send handler (${error.message})`);
  }
}

async function dialogToken(baseUrl) {
  const answer = JSON.parse(await openDialog(`${baseUrl}${SIGN_IN_PATH}`));
  if (!answer || !answer.token) {
    throw new Error("The sign-in dialog did not return a token");
  }
  await storeToken(answer.token);
  await shareTokenWithHandlers({ fresh: true });
  return answer.token;
}

/**
 * A bearer token for the tracklog API, or null when signed out.
 * Single sign-on first (silent, then a popup when interactive), then the stored personal token,
 * then (when interactive) the local sign-in dialog.
 */
export async function getToken({ interactive = false } = {}) {
  const settings = await loadConfig();
  const sso = await ssoToken(settings, interactive);
  if (sso) {
    shareTokenWithHandlers();
    return sso;
  }
  const stored = await storedToken();
  if (stored) {
    shareTokenWithHandlers();
    return stored;
  }
  return interactive ? dialogToken(settings.baseUrl) : null;
}
