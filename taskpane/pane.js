// The pane's shell, shared by compose.js and read.js: Office start-up, language, sign-in and
// the status and error lines.
import { configureApi } from "../addin/api.js";
import { getToken, loadConfig } from "../addin/auth.js";
import { displayLanguage } from "../addin/office.js";
import { loadLanguage, t, translatePage } from "./i18n.js";

const OFFICE_TIMEOUT_MS = 15000;

/** The pane was opened somewhere other than Outlook (a browser tab, say). */
export class NotInOutlook extends Error {
  constructor(why) {
    super(why);
    this.name = "NotInOutlook";
  }
}

/** Resolves when Office has initialised the add-in; rejects with NotInOutlook outside Outlook. */
export function officeReady() {
  return new Promise((resolve, reject) => {
    if (typeof Office === "undefined" || typeof Office.onReady !== "function") {
      reject(new NotInOutlook("office.js did not load"));
      return;
    }
    const giveUp = () => reject(new NotInOutlook("Office did not start"));
    const timer = setTimeout(giveUp, OFFICE_TIMEOUT_MS);
    Office.onReady((info) => {
      clearTimeout(timer);
      // office.js in a plain browser tab starts too, with no host.
      if (info && info.host) {
        resolve(info);
      } else {
        reject(new NotInOutlook("not running in an Office host"));
      }
    });
  });
}

/** Shows a passing message in the polite live region (empty text clears it). */
export function showStatus(text) {
  document.getElementById("status").textContent = text || "";
}

/** Shows an error in the alert region (empty text clears it). */
export function showError(text) {
  const box = document.getElementById("error");
  box.textContent = text || "";
  box.hidden = !text;
}

/** A sentence for the user about a failed call, in the pane's language. */
export function describeError(error) {
  if (error && error.name === "ApiError") {
    if (error.status === 0) {
      return t("error.unreachable");
    }
    if (error.status === 401) {
      return t("error.signedOut");
    }
    return t("error.server", { message: error.message });
  }
  return t("error.unexpected", { message: error ? error.message : "" });
}

/** Whether the error means the server could not be reached at all. */
export function isUnreachable(error) {
  return Boolean(error && error.name === "ApiError" && error.status === 0);
}

/** Creates an element with attributes (event handlers as on*) and children (nodes or text). */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "className") {
      node.className = value;
    } else {
      node.setAttribute(name, value === true ? "" : value);
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

// Waits for the user to press the sign-in button, then signs in with a dialog.
function interactiveSignIn() {
  const section = document.getElementById("sign-in");
  const button = document.getElementById("sign-in-button");
  section.hidden = false;
  button.focus();
  return new Promise((resolve) => {
    const attempt = async () => {
      button.disabled = true;
      showError("");
      try {
        const token = await getToken({ interactive: true });
        if (token) {
          section.hidden = true;
          button.removeEventListener("click", attempt);
          resolve(token);
          return;
        }
        showError(t("error.signInFailed", { message: "" }));
      } catch (error) {
        showError(t("error.signInFailed", { message: error.message }));
      } finally {
        button.disabled = false;
      }
    };
    button.addEventListener("click", attempt);
  });
}

/**
 * Explains a pane that could not start, in the browser's language when Office gave none: outside
 * Outlook it says the pane runs inside Outlook, and hides the controls that could not work there.
 */
export async function showStartFailure(error) {
  const browser = String(navigator.language || "en").toLowerCase().split(/[-_]/)[0];
  await loadLanguage(browser).catch(() => null);
  translatePage();
  document.body.classList.remove("is-loading");
  if (error instanceof NotInOutlook) {
    for (const card of document.querySelectorAll("main > section")) {
      card.hidden = true;
    }
    showError(t("error.outsideOutlook"));
  } else {
    showError(t("error.office", { message: error.message }));
  }
  document.body.dataset.ready = "true";
}

/**
 * Starts a pane: waits for Office, loads the display language, translates the page and signs in.
 * Answers {language, config, online}; online is false when the server could not be reached.
 */
export async function startPane() {
  await officeReady();
  const language = await loadLanguage(await displayLanguage().catch(() => "en"));
  translatePage();
  // The server's reasons, steps and errors follow Outlook's language, not the browser's.
  configureApi({ language });
  document.body.classList.remove("is-loading");
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    return { language, config: null, online: false, error };
  }
  const token = (await getToken({ interactive: false }).catch(() => null)) || (await interactiveSignIn());
  return { language, config, online: Boolean(token) };
}
