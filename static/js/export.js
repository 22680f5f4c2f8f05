import { POLL_INTERVAL_MS, swapIn } from "./live.js";

// The settings page's export box: while the export is queued or being written, ask Kite for the box as it
// renders it and swap it in, until the export is ready or has failed. (The import comes first: collectstatic
// reads the word "export" followed by a space as the start of an `export ... from` and rewrites what follows.)

const ACTIVE = new Set(["queued", "running"]);

async function poll(box) {
  const url = box.querySelector("[data-export-poll]")?.dataset.exportPoll;
  if (!url) return;
  let answer;
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok || response.redirected) return; // logged out: a reload shows the truth
    answer = await response.json();
  } catch {
    setTimeout(() => poll(box), POLL_INTERVAL_MS); // a network hiccup: try again
    return;
  }
  swapIn(box, answer.html);
  if (ACTIVE.has(answer.state)) setTimeout(() => poll(box), POLL_INTERVAL_MS);
}

const box = document.getElementById("export-box");
if (box?.querySelector("[data-export-poll]")) setTimeout(() => poll(box), POLL_INTERVAL_MS);
