// The pane's shell, shared by compose.js and read.js: Office start-up, language, sign-in and
// the status and error lines.
import { configureApi } from "../addin/api.js";
import { getToken, loadConfig } from "../addin/auth.js";
import { displayLanguage } from "../addin/office.js";
import { loadLanguage, t, translatePage } from "./i18n.js";

const OFFICE_TIMEOUT_MS = 15000;

/** Resolves when Office has initialised the add-in (rejects outside Outlook). */
export function officeReady() {
  return new Promise((resolve, reject) => {
    if (typeof Office === "undefined" || typeof Office.onReady !== "function") {
      reject(new Error("office.js did not load"));
      return;
    }
    const timer = setTimeout(() => reject(new Error("Office did not start")), OFFICE_TIMEOUT_MS);
    Office.onReady((info) => {
      clearTimeout(timer);
      resolve(info);
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
