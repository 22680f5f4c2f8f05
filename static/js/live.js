// Live document states: poll Kite for the documents that are still queued or
// processing, swap in the badges and topics it renders, and stop when none is.

export const POLL_INTERVAL_MS = 2000;

export function isPending(state) {
  return state === "queued" || state === "processing";
}

export function formatBytes(bytes) {
  // The same shape as the templates' `filesize` (kite/templatetags/sizes.py), so server- and browser-made
  // numbers match: "100 MB", "1.5 GB".
  const units = ["KB", "MB", "GB", "TB"];
  if (bytes < 1024) return `${bytes}\u00a0byte${bytes === 1 ? "" : "s"}`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1).replace(/\.0$/, "")}\u00a0${units[unit]}`;
}

// Put the server's rendered fragment (`doc.state_html`, `doc.topics_html`) in place: Kite renders every
// badge and topic chip once, in its templates, and escapes them there.
export function swapIn(container, html) {
  container.innerHTML = html;
}

// Kite answers for at most this many documents per request (documents.views.MAX_POLLED_IDS).
export const MAX_IDS_PER_POLL = 100;

// Polls `url?ids=…` every `interval` ms while some watched document is pending;
// `onChange(doc)` gets each answer. One poll at a time: a request for an
// immediate answer while one is in flight makes the next poll come at once.
export class StateWatcher {
  #timer = null;
  #polling = false;
  #again = false;

  constructor(url, onChange, interval = POLL_INTERVAL_MS) {
    this.url = url;
    this.onChange = onChange;
    this.interval = interval;
    this.ids = new Set();
  }

  // `now`: ask at once (a document just confirmed), not after the interval.
  watch(id, { now = false } = {}) {
    this.ids.add(id);
    if (now) this.#soon();
    else this.#schedule();
  }

  get active() {
    return this.#timer !== null || this.#polling;
  }

  #soon() {
    if (this.#polling) {
      this.#again = true;
      return;
    }
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#poll(), 0);
  }

  #schedule() {
    if (this.#timer === null && !this.#polling && this.ids.size > 0) {
      this.#timer = setTimeout(() => this.#poll(), this.#again ? 0 : this.interval);
      this.#again = false;
    }
  }

  async #poll() {
    this.#timer = null;
    this.#polling = true;
    // The oldest watched first; the rest wait for the next poll rather than go unanswered.
    const ids = [...this.ids].slice(0, MAX_IDS_PER_POLL);
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
        this.#polling = false;
        return;
      }
      answer = await response.json();
    } catch {
      this.#polling = false; // a network hiccup: try again on the next tick
      this.#schedule();
      return;
    }
    const found = new Map(answer.documents.map((doc) => [doc.id, doc]));
    for (const id of ids) {
      const doc = found.get(id);
      this.ids.delete(id);
      // Still pending: back of the line, so past a hundred every watched document takes its turn.
      if (doc && isPending(doc.state)) this.ids.add(id);
      if (doc) this.onChange(doc);
    }
    this.#polling = false;
    this.#schedule();
  }
}
