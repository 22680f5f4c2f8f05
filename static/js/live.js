// Live document states: poll Kite for the documents that are still queued or
// processing, swap in the badges and topics it renders, and stop when none is.

export const POLL_INTERVAL_MS = 2000;

export function isPending(state) {
  return state === "queued" || state === "processing";
}

export function formatBytes(bytes) {
  // The same shape as Django's filesizeformat, so server- and browser-made numbers match.
  const units = ["KB", "MB", "GB", "TB"];
  if (bytes < 1024) return `${bytes}\u00a0byte${bytes === 1 ? "" : "s"}`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)}\u00a0${units[unit]}`;
}

// Put the server's rendered fragment (`doc.state_html`, `doc.topics_html`) in place: Kite renders every
// badge and topic chip once, in its templates, and escapes them there.
export function swapIn(container, html) {
  container.innerHTML = html;
}

// Polls `url?ids=…` every `interval` ms while some watched document is pending;
// `onChange(doc)` gets each answer.
export class StateWatcher {
  #timer = null;

  constructor(url, onChange, interval = POLL_INTERVAL_MS) {
    this.url = url;
    this.onChange = onChange;
    this.interval = interval;
    this.ids = new Set();
  }

  // `now`: ask at once (a document just confirmed), not after the interval.
  watch(id, { now = false } = {}) {
    this.ids.add(id);
    if (now && this.#timer !== null) clearTimeout(this.#timer);
    if (now) this.#timer = setTimeout(() => this.#poll(), 0);
    else this.#schedule();
  }

  get active() {
    return this.#timer !== null;
  }

  #schedule() {
    if (this.#timer === null && this.ids.size > 0) this.#timer = setTimeout(() => this.#poll(), this.interval);
  }

  async #poll() {
    const ids = [...this.ids];
    let answer;
    try {
      const url = new URL(this.url, window.location.href);
      url.searchParams.set("ids", ids.join(","));
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok || response.redirected) {
        // Logged out or gone: a reload shows the truth, polling would not.
        this.ids.clear();
        this.#timer = null;
        return;
      }
      answer = await response.json();
    } catch {
      this.#timer = null; // a network hiccup: try again on the next tick
      this.#schedule();
      return;
    }
    this.#timer = null;
    const found = new Map(answer.documents.map((doc) => [doc.id, doc]));
    for (const id of ids) {
      const doc = found.get(id);
      if (!doc || !isPending(doc.state)) this.ids.delete(id);
      if (doc) this.onChange(doc);
    }
    this.#schedule();
  }
}
