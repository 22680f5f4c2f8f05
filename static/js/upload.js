// Upload page: for each file, check it fits, hash it, ask Kite for a presigned
// POST, send the bytes straight to storage with a progress bar, confirm, then
// follow the document's state while Kite files it.
import { StateWatcher, formatBytes, swapIn } from "./live.js";
import { Sha256 } from "./sha256.js";

const PARALLEL_UPLOADS = 3;
const HASH_CHUNK_BYTES = 4 * 1024 * 1024;
const form = document.getElementById("upload-form");
const input = document.getElementById("files");
const dropzone = document.getElementById("dropzone");
const section = document.getElementById("uploads-section");
const list = document.getElementById("uploads");
const summary = document.getElementById("uploads-summary");
const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
const maxUploadBytes = Number(form.dataset.maxUploadBytes);
const documentUrl = (id) => `${form.dataset.documentsUrl}${id}/`;

const uploads = [];
const waiting = [];
let running = 0;
const watcher = new StateWatcher(form.dataset.statesUrl, (doc) => {
  const upload = uploads.find((u) => u.documentId === doc.id);
  if (upload) upload.showState(doc);
});

class UploadError extends Error {
  constructor(message, { retry = true, link = null, code = "" } = {}) {
    super(message);
    this.retry = retry;
    this.link = link;
    this.code = code;
  }
}

async function api(url, { method = "POST", body } = {}) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new UploadError("Kite could not be reached. Check your connection and retry.", { code: "unreachable" });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw errorFor(response.status, data);
  return data;
}

function errorFor(status, data) {
  switch (data.code) {
    case "quota_exceeded":
      return quotaError(data.size_bytes, data.remaining_bytes);
    case "file_too_large":
      return tooLargeError(data.size_bytes, data.max_bytes);
    case "duplicate":
      return new UploadError(`You already have this file${data.filename ? ` as “${data.filename}”` : ""}.`, {
        retry: false,
        link: data.document_id ? { href: documentUrl(data.document_id), text: "Open the existing document" } : null,
      });
    case "storage_unavailable":
      return new UploadError("Storage is unavailable right now; nothing was changed. Retry in a moment.", {
        code: data.code,
      });
    default:
      return new UploadError(data.detail || `Kite answered ${status}; the file was not stored.`, { code: data.code });
  }
}

function quotaError(size, remaining) {
  return new UploadError(
    `Not enough storage: this file needs ${formatBytes(size)} and you have ${formatBytes(Math.max(remaining, 0))} left. ` +
      "Delete documents to make room, then retry.",
  );
}

function tooLargeError(size, max) {
  return new UploadError(`Too large: this file is ${formatBytes(size)}; the most Kite accepts is ${formatBytes(max)}.`, {
    retry: false,
  });
}

async function sha256Hex(file) {
  if (!globalThis.crypto?.subtle) {
    // Plain HTTP on a LAN address has no crypto.subtle: hash here, a few megabytes at a time, so storage
    // still pins the upload to these exact bytes.
    const sha = new Sha256();
    for (let offset = 0; offset < file.size; offset += HASH_CHUNK_BYTES) {
      sha.update(new Uint8Array(await file.slice(offset, offset + HASH_CHUNK_BYTES).arrayBuffer()));
    }
    return sha.hex();
  }
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function reservedBytes() {
  // Files past the quota check but not yet charged by a confirm.
  return uploads.filter((u) => u.reserved).reduce((sum, u) => sum + u.file.size, 0);
}

function postToStorage(presigned, file, onProgress) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(presigned.fields)) body.append(name, value);
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", presigned.url);
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "");
      reject(new UploadError(`Storage refused the file${code ? ` (${code[1]})` : ` (${xhr.status})`}.`));
    });
    xhr.addEventListener("error", () => reject(new UploadError("Storage could not be reached. Retry in a moment.")));
    xhr.send(body);
  });
}

class Upload {
  constructor(file) {
    this.file = file;
    this.documentId = null;
    this.confirmed = false;
    this.reserved = false;
    this.stage = "waiting";
    this.li = document.createElement("li");
    this.li.className = "upload-item";
    const head = document.createElement("div");
    head.className = "upload-head";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    const size = document.createElement("span");
    size.className = "size muted";
    size.textContent = formatBytes(file.size);
    this.badge = document.createElement("span");
    this.badge.hidden = true;
    head.append(name, " ", size, " ", this.badge);
    this.bar = document.createElement("progress");
    this.bar.max = 1;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", `Upload progress of ${file.name}`);
    this.status = document.createElement("div");
    this.status.className = "status";
    this.note = document.createElement("p");
    this.note.className = "note muted";
    this.note.hidden = true;
    this.topics = document.createElement("p");
    this.topics.className = "topic-chips";
    this.topics.hidden = true;
    this.li.append(head, this.bar, this.status, this.note, this.topics);
    list.append(this.li);
    this.setStatus("Waiting…");
  }

  setStatus(text) {
    this.status.replaceChildren(text);
  }

  async run() {
    this.li.classList.remove("failed");
    try {
      if (!this.confirmed && !this.documentId) await this.send();
      if (!this.confirmed) await this.confirm();
      this.stage = "done";
    } catch (error) {
      this.fail(error instanceof UploadError ? error : new UploadError(String(error.message || error)));
    } finally {
      this.reserved = false;
      updateSummary();
    }
  }

  async send() {
    const file = this.file;
    this.stage = "checking";
    this.setStatus("Checking…");
    if (file.size > maxUploadBytes) throw tooLargeError(file.size, maxUploadBytes);
    const quota = await api(form.dataset.quotaUrl, { method: "GET" });
    const remaining = quota.remaining_bytes - reservedBytes();
    if (file.size > remaining) throw quotaError(file.size, remaining);
    this.reserved = true;
    const sha256 = await sha256Hex(file);
    const { document: doc, upload: presigned } = await api(form.dataset.uploadUrl, {
      body: { filename: file.name, size_bytes: file.size, content_type: file.type || "application/octet-stream", sha256 },
    });
    this.stage = "uploading";
    this.setStatus("Uploading… 0%");
    await postToStorage(presigned, file, (fraction) => {
      this.bar.value = fraction;
      this.setStatus(`Uploading… ${Math.floor(fraction * 100)}%`);
    });
    this.bar.value = 1;
    // Storage holds the bytes now: a retry after a failed confirm only confirms again.
    this.documentId = doc.id;
  }

  async confirm() {
    this.stage = "confirming";
    this.setStatus("Confirming…");
    let doc;
    try {
      doc = await api(form.dataset.confirmUrl.replace("00000000-0000-0000-0000-000000000000", this.documentId));
    } catch (error) {
      // Unless Kite or storage was merely out of reach, only a new upload can help.
      if (error.code !== "unreachable" && error.code !== "storage_unavailable") this.documentId = null;
      throw error;
    }
    this.confirmed = true;
    this.li.classList.add("done");
    const link = document.createElement("a");
    link.href = documentUrl(doc.id);
    link.textContent = "Uploaded: open the document";
    this.status.replaceChildren(link);
    // Kite renders the badge and topics: ask for them now, and again while it files the document.
    watcher.watch(doc.id, { now: true });
    refreshQuota();
  }

  showState(doc) {
    this.badge.hidden = false;
    this.li.dataset.state = doc.state;
    swapIn(this.badge, doc.state_html);
    if (doc.topic_ids.length > 0 || doc.state === "classified") {
      this.topics.hidden = false;
      swapIn(this.topics, doc.topics_html);
    }
    this.note.textContent = doc.error;
    this.note.hidden = !doc.error;
  }

  fail(error) {
    this.stage = "failed";
    this.li.classList.add("failed");
    const message = document.createElement("span");
    message.className = "error-text";
    message.setAttribute("role", "alert");
    message.textContent = error.message;
    const parts = [message];
    if (error.link) {
      const link = document.createElement("a");
      link.href = error.link.href;
      link.textContent = error.link.text;
      parts.push(" ", link);
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small secondary";
    if (error.retry) {
      button.textContent = "Retry";
      button.setAttribute("aria-label", `Retry ${this.file.name}`);
      button.addEventListener("click", () => {
        this.setStatus("Waiting…");
        this.li.classList.remove("failed");
        enqueue(this);
      });
    } else {
      button.textContent = "Dismiss";
      button.setAttribute("aria-label", `Dismiss ${this.file.name}`);
      button.addEventListener("click", () => {
        uploads.splice(uploads.indexOf(this), 1);
        this.li.remove();
        updateSummary();
        input.focus();
      });
    }
    parts.push(" ", button);
    this.status.replaceChildren(...parts);
  }
}

function enqueue(upload) {
  upload.stage = "waiting";
  waiting.push(upload);
  pump();
}

function pump() {
  while (running < PARALLEL_UPLOADS && waiting.length > 0) {
    const upload = waiting.shift();
    running += 1;
    upload.run().finally(() => {
      running -= 1;
      pump();
    });
  }
  updateSummary();
}

function busy() {
  return uploads.some((u) => u.stage !== "done" && u.stage !== "failed");
}

function updateSummary() {
  const done = uploads.filter((u) => u.stage === "done").length;
  const failed = uploads.filter((u) => u.stage === "failed").length;
  const parts = [`${done} of ${uploads.length} uploaded`];
  if (failed) parts.push(`${failed} failed`);
  summary.textContent = parts.join(", ");
}

async function refreshQuota() {
  let quota;
  try {
    quota = await api(form.dataset.quotaUrl, { method: "GET" });
  } catch {
    return; // the meter catches up on the next page
  }
  const meter = document.getElementById("quota-progress");
  if (meter) meter.value = quota.used_bytes;
  const used = document.querySelector("[data-quota-used]");
  if (used) used.textContent = formatBytes(quota.used_bytes);
}

function addFiles(files) {
  if (files.length === 0) return;
  section.hidden = false;
  for (const file of files) {
    const upload = new Upload(file);
    uploads.push(upload);
    enqueue(upload);
  }
}

input.addEventListener("change", () => {
  addFiles([...input.files]);
  input.value = "";
});
for (const type of ["dragenter", "dragover"]) {
  dropzone.addEventListener(type, (e) => {
    e.preventDefault();
    dropzone.classList.add("over");
  });
}
dropzone.addEventListener("dragleave", (e) => {
  if (!dropzone.contains(e.relatedTarget)) dropzone.classList.remove("over");
});
dropzone.addEventListener("drop", (e) => {
  e.preventDefault();
  dropzone.classList.remove("over");
  addFiles([...e.dataTransfer.files]);
});
// A file dropped beside the zone would otherwise replace the page (and stop the uploads).
for (const type of ["dragover", "drop"]) {
  document.addEventListener(type, (e) => {
    if (!dropzone.contains(e.target)) e.preventDefault();
  });
}
window.addEventListener("beforeunload", (e) => {
  if (busy()) e.preventDefault();
});
// Files picked before this module ran (while the page was still loading) are uploaded all the same.
if (input.files.length > 0) {
  addFiles([...input.files]);
  input.value = "";
}
