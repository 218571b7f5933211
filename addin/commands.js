// The function file's script: no function commands yet, so only initialise Office.js.
Office.onReady(() => {});
