// Hands the new API token to the add-in that opened this dialog, then lets Outlook close it.
const message = document.getElementById("tracklog-token").textContent;
Office.onReady(() => Office.context.ui.messageParent(message));
