// Live document states: poll Kite for the documents that are still queued or
// processing, update their badges and topics in place, and stop when none is.

export const POLL_INTERVAL_MS = 2000;

const SOURCES = {
  manual: ["you", "Chosen by you"],
  llm: ["AI", "Filed by your AI provider"],
  builtin: ["built-in", "Filed by the built-in classifier"],
};

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

export function renderBadge(badge, doc) {
  for (const name of [...badge.classList]) if (name.startsWith("state-")) badge.classList.remove(name);
  badge.classList.add(`state-${doc.state}`);
  badge.textContent = doc.label;
}

export function renderTopics(container, topics, { detailed = false } = {}) {
  container.replaceChildren();
  if (topics.length === 0) {
    const none = document.createElement("span");
    none.className = "muted";
    none.textContent = detailed ? "No topics yet." : "—";
    container.append(none);
    return;
  }
  for (const topic of topics) {
    const [short, long] = SOURCES[topic.source] ?? [topic.source, topic.source];
    const percent = topic.confidence === null ? "" : `${Math.round(topic.confidence * 100)}%`;
    const chip = document.createElement("span");
    chip.className = `topic source-${topic.source}`;
    chip.title = percent ? `${long}, confidence ${percent}` : long;
    chip.textContent = topic.name;
    if (detailed) {
      const small = document.createElement("small");
      small.textContent = percent ? `${short} · ${percent}` : short;
      chip.append(" ", small);
    }
    container.append(chip, " ");
  }
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

  watch(id) {
    this.ids.add(id);
    this.#schedule();
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
      const response = await fetch(`${this.url}?ids=${ids.join(",")}`, {
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
