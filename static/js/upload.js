// Upload page: for each file, check it fits, hash it, ask Kite for a presigned
// POST, send the bytes straight to storage with a progress bar, confirm, then
// follow the document's state while Kite files it. Files above the multipart
// threshold go up in parts, several at once, each PUT pinned to its SHA-256;
// the upload is remembered in localStorage, so after a reload (or a lost
// connection) the same file picked again goes on from the parts storage holds.
import { StateWatcher, formatBytes, isPending, swapIn } from "./live.js";
import { Sha256 } from "./sha256.js";

const PARALLEL_UPLOADS = 3;
const PARALLEL_PARTS = 4;
const PART_ATTEMPTS = 4;
const MAX_PARTS = 10000;
const HASH_CHUNK_BYTES = 4 * 1024 * 1024;
const form = document.getElementById("upload-form");
const input = document.getElementById("files");
const dropzone = document.getElementById("dropzone");
const section = document.getElementById("uploads-section");
const list = document.getElementById("uploads");
const summary = document.getElementById("uploads-summary");
const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
const maxUploadBytes = Number(form.dataset.maxUploadBytes);
const multipartThreshold = Number(form.dataset.multipartThreshold);
const multipartPartSize = Number(form.dataset.partSize);
const partsUrl = (id) => form.dataset.partsUrl.replace("00000000-0000-0000-0000-000000000000", id);
const documentUrl = (id) => `${form.dataset.documentsUrl}${id}/`;

const uploads = [];
const waiting = [];
let running = 0;
const recent = document.getElementById("recent-uploads");
const recentRows = new Map(
  [...(recent?.querySelectorAll("li[data-document-id]") ?? [])].map((li) => [li.dataset.documentId, li]),
);
const watcher = new StateWatcher(form.dataset.statesUrl, (doc) => {
  const upload = uploads.find((u) => u.documentId === doc.id);
  if (upload) {
    upload.showState(doc);
    updateSummary();
    return;
  }
  // A row of the last day's uploads, still being read when the page was drawn.
  const row = recentRows.get(doc.id);
  if (!row) return;
  row.dataset.state = doc.state;
  row.classList.toggle("failed", doc.state === "failed");
  swapIn(row.querySelector("[data-state-slot]"), doc.state_html);
  const topics = row.querySelector("[data-topics]");
  if (topics) swapIn(topics, doc.topics_html);
  const note = row.querySelector("[data-error]");
  if (note) {
    note.textContent = doc.error;
    note.hidden = !doc.error;
  }
});
for (const [id, row] of recentRows) if (isPending(row.dataset.state)) watcher.watch(id);

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
  // Trying again cannot help until something is deleted: no Retry, a way to make room instead.
  return new UploadError(
    `Not enough storage: this file needs ${formatBytes(size)} and you have ${formatBytes(Math.max(remaining, 0))} left.`,
    { retry: false, link: { href: form.dataset.documentsUrl, text: "Make room among your documents" }, code: "quota" },
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

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64OfHex(hexDigest) {
  return btoa(String.fromCharCode(...hexDigest.match(/../g).map((h) => parseInt(h, 16))));
}

// The part size Kite proposes (documents.services.multipart_part_size): the configured one, or more where
// that would need over 10,000 parts.
function partSizeFor(size) {
  return Math.max(multipartPartSize, Math.ceil(size / MAX_PARTS));
}

async function partHashes(file, partSize, onProgress) {
  // One pass: each part's SHA-256 (what its URL is pinned to) and the whole file's (for duplicates), a part
  // in memory at a time.
  const whole = new Sha256();
  const parts = [];
  for (let offset = 0; offset < file.size; offset += partSize) {
    const bytes = new Uint8Array(await file.slice(offset, offset + partSize).arrayBuffer());
    whole.update(bytes);
    if (globalThis.crypto?.subtle) {
      parts.push(hex(await crypto.subtle.digest("SHA-256", bytes)));
    } else {
      const sha = new Sha256();
      sha.update(bytes);
      parts.push(sha.hex());
    }
    onProgress(Math.min(offset + partSize, file.size) / file.size);
  }
  return { sha256: whole.hex(), parts };
}

// Multipart uploads under way, by file: the document they fill, so a reload can go on with them.
const resumeKey = (file) => `kite-upload:${file.name}:${file.size}:${file.lastModified}`;

function remembered(file) {
  try {
    return JSON.parse(localStorage.getItem(resumeKey(file)) || "null");
  } catch {
    return null;
  }
}

function remember(file, value) {
  try {
    if (value) localStorage.setItem(resumeKey(file), JSON.stringify(value));
    else localStorage.removeItem(resumeKey(file));
  } catch {
    // Private browsing without storage: the upload still works, it only cannot resume after a reload.
  }
}

function putPart(url, blob, checksum, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("x-amz-checksum-sha256", checksum);
    xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded));
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "");
      reject(new UploadError(`Storage refused a part${code ? ` (${code[1]})` : ` (${xhr.status})`}.`));
    });
    xhr.addEventListener("error", () => reject(new UploadError("Storage could not be reached. Retry in a moment.")));
    xhr.send(blob);
  });
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
    // Where keyboard focus goes when the button that had it is replaced (Retry).
    name.tabIndex = -1;
    this.name = name;
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
    // An upload under way already holds its reservation: resume it without counting it twice.
    if (file.size > multipartThreshold && remembered(file)) return this.sendInParts();
    const quota = await api(form.dataset.quotaUrl, { method: "GET" });
    const remaining = quota.remaining_bytes - reservedBytes();
    if (file.size > remaining) throw quotaError(file.size, remaining);
    if (file.size > multipartThreshold) return this.sendInParts();
    this.reserved = true;
    const sha256 = await sha256Hex(file);
    const { document: doc, upload: presigned } = await api(form.dataset.uploadUrl, {
      body: { filename: file.name, size_bytes: file.size, content_type: file.type || "application/octet-stream", sha256 },
    });
    this.reserved = false; // Kite holds the reservation now
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

  async sendInParts() {
    const file = this.file;
    let saved = remembered(file);
    let state = null;
    if (saved) {
      // The same file picked again after a reload: go on from the parts storage holds, if Kite still has them.
      this.setStatus("Resuming…");
      try {
        state = await api(partsUrl(saved.documentId), { method: "GET" });
      } catch (error) {
        if (error.code === "unreachable" || error.code === "storage_unavailable") throw error;
        remember(file, null);
        saved = null;
      }
    }
    if (!saved) {
      this.reserved = true;
      this.stage = "hashing";
      const partSize = partSizeFor(file.size);
      const hashes = await partHashes(file, partSize, (fraction) => {
        this.setStatus(`Preparing… ${Math.floor(fraction * 100)}%`);
      });
      const { document: doc, upload } = await api(form.dataset.uploadUrl, {
        body: {
          filename: file.name,
          size_bytes: file.size,
          content_type: file.type || "application/octet-stream",
          sha256: hashes.sha256,
          part_size: partSize,
          part_sha256: hashes.parts,
        },
      });
      this.reserved = false; // Kite holds the reservation now
      saved = { documentId: doc.id, partSize: upload.part_size, checksums: hashes.parts.map(base64OfHex) };
      remember(file, saved);
      state = { uploaded: [], parts: upload.parts };
    }
    await this.sendParts(saved, state);
    this.documentId = saved.documentId;
  }

  async sendParts(saved, state) {
    const file = this.file;
    const { partSize, checksums } = saved;
    this.stage = "uploading";
    let done = state.uploaded.reduce((sum, part) => sum + part.size, 0);
    const sending = new Map();
    const show = () => {
      const sent = done + [...sending.values()].reduce((sum, n) => sum + n, 0);
      this.bar.value = sent / file.size;
      this.setStatus(`Uploading… ${Math.floor((100 * sent) / file.size)}%`);
    };
    show();
    for (let attempt = 1; state.parts.length > 0; attempt += 1) {
      const queue = [...state.parts];
      let failure = null;
      const worker = async () => {
        while (queue.length > 0 && !failure) {
          const { number, url } = queue.shift();
          const blob = file.slice((number - 1) * partSize, number * partSize);
          sending.set(number, 0);
          try {
            await putPart(url, blob, checksums[number - 1], (loaded) => {
              sending.set(number, loaded);
              show();
            });
            done += blob.size;
          } catch (error) {
            failure = error;
          } finally {
            sending.delete(number);
            show();
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL_PARTS }, worker));
      if (!failure) break;
      if (attempt >= PART_ATTEMPTS || /BadDigest/.test(failure.message)) {
        // A part whose bytes differ from the ones hashed (the file changed): only a new upload can help.
        if (/BadDigest/.test(failure.message)) remember(file, null);
        throw failure;
      }
      // Expired URLs or a dropped connection: ask which parts storage holds, with fresh URLs for the rest.
      state = await api(partsUrl(saved.documentId), { method: "GET" });
      done = state.uploaded.reduce((sum, part) => sum + part.size, 0);
    }
    this.bar.value = 1;
  }

  async confirm() {
    this.stage = "confirming";
    this.setStatus("Confirming…");
    let doc;
    try {
      doc = await api(form.dataset.confirmUrl.replace("00000000-0000-0000-0000-000000000000", this.documentId));
    } catch (error) {
      // Unless Kite or storage was merely out of reach, only a new upload can help.
      if (error.code !== "unreachable" && error.code !== "storage_unavailable") {
        this.documentId = null;
        if (error.code !== "upload_missing") remember(this.file, null); // missing parts: a retry resumes
      }
      throw error;
    }
    remember(this.file, null);
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
    this.readFailed = doc.state === "failed";
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
        // The button goes with the status it sat in: keep focus on this file rather than lose it to the page.
        this.name.focus();
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
    // Failed files first, where they are seen without scrolling past the ones that went through.
    if (list.firstElementChild !== this.li && !this.li.contains(document.activeElement)) list.prepend(this.li);
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

// "3 of 5 uploaded (1 could not be read), 2 not uploaded": each file counted once, under what happened to it.
function updateSummary() {
  const done = uploads.filter((u) => u.stage === "done");
  const notUploaded = uploads.filter((u) => u.stage === "failed").length;
  const unreadable = done.filter((u) => u.readFailed).length;
  const parts = [`${done.length} of ${uploads.length} uploaded${unreadable ? ` (${unreadable} could not be read)` : ""}`];
  if (notUploaded) parts.push(`${notUploaded} not uploaded`);
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
