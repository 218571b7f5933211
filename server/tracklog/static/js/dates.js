// Dates and times as the reader reads them: the page's language and the user's time zone
// (the server puts both on <html>), so scripts write the same times as the server's pages.

const root = document.documentElement;

function formatter(options) {
  try {
    return new Intl.DateTimeFormat(root.lang || undefined, { ...options, timeZone: root.dataset.timeZone || undefined });
  } catch {
    return new Intl.DateTimeFormat(root.lang || undefined, options);
  }
}

const dateTime = formatter({ dateStyle: "medium", timeStyle: "short" });
const dateOnly = formatter({ dateStyle: "medium" });

/** A moment (ISO 8601 text) as a date and time. */
export function formatDateTime(iso) {
  return dateTime.format(new Date(iso));
}

/** A moment (ISO 8601 text) as a day. */
export function formatDate(iso) {
  return dateOnly.format(new Date(iso));
}
