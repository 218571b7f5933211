// Sign-in for the pane: nested app authentication (single sign-on with Microsoft Entra ID) when
// the server has a client id, else a personal API token from the local sign-in dialog.
import { addinConfig, addinToken, configureApi } from "./api.js";
import { openDialog, roamingGet, roamingSet, supports } from "./office.js";

// Where the personal token lives: localStorage for the pane, roaming settings for the event
// handlers on Windows classic, whose JavaScript-only runtime has no localStorage.
export const TOKEN_KEY = "tracklog.token";
export const BASE_URL_KEY = "tracklog.baseUrl";
export const SIGN_IN_PATH = "/addin/sign-in";

let config = null;
let nestable = null;
let sharing = null;

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

function storedLocally() {
  try {
    return globalThis.localStorage ? globalThis.localStorage.getItem(TOKEN_KEY) : null;
  } catch {
    return null;
  }
}

async function storedToken() {
  return storedLocally() || (await roamingGet(TOKEN_KEY).catch(() => null));
}

/** Keeps a personal token where the pane and the event handlers both find it. */
export async function storeToken(token) {
  try {
    if (token) {
      globalThis.localStorage.setItem(TOKEN_KEY, token);
    } else {
      globalThis.localStorage.removeItem(TOKEN_KEY);
    }
  } catch {
    // No localStorage (private mode, JavaScript-only runtime): roaming settings still hold it.
  }
  await roamingSet(TOKEN_KEY, token || null);
  if (config && config.baseUrl) {
    await roamingSet(BASE_URL_KEY, config.baseUrl);
  }
}

/** Forgets the personal token (sign out). */
export async function signOut() {
  await storeToken(null);
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

// The event handlers cannot run msal on Windows classic: give them a personal token of their own.
function shareTokenWithHandlers() {
  sharing = sharing || shareOnce();
  return sharing;
}

async function shareOnce() {
  if (await roamingGet(TOKEN_KEY).catch(() => null)) {
    return;
  }
  try {
    const answer = await addinToken();
    if (answer && answer.token) {
      await storeToken(answer.token);
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
  if (stored || !interactive) {
    return stored;
  }
  return dialogToken(settings.baseUrl);
}
