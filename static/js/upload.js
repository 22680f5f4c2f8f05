// Upload page: hash each file, ask Kite for a presigned POST, send the bytes
// straight to storage with a progress bar, then confirm.

const form = document.getElementById("upload-form");
const input = document.getElementById("files");
const dropzone = document.getElementById("dropzone");
const list = document.getElementById("uploads");
const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
const confirmUrlFor = (id) => form.dataset.confirmUrl.replace("00000000-0000-0000-0000-000000000000", id);

function formatBytes(n) {
  const units = ["bytes", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

async function sha256Hex(file) {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function api(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.detail || `Kite answered ${response.status}`);
    error.data = data;
    throw error;
  }
  return data;
}

function postToStorage(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) body.append(name, value);
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "");
      reject(new Error(`Storage refused the file${code ? ` (${code[1]})` : ""}.`));
    });
    xhr.addEventListener("error", () => reject(new Error("Storage could not be reached.")));
    xhr.send(body);
  });
}

function row(file) {
  const li = document.createElement("li");
  li.className = "upload-item";
  li.innerHTML = `<span class="name"></span> <span class="muted size"></span>
    <progress max="1" value="0"></progress> <span class="status" role="status">Waiting…</span>`;
  li.querySelector(".name").textContent = file.name;
  li.querySelector(".size").textContent = formatBytes(file.size);
  const bar = li.querySelector("progress");
  bar.setAttribute("aria-label", `Upload progress of ${file.name}`);
  list.append(li);
  return li;
}

function showError(li, file, error) {
  const status = li.querySelector(".status");
  li.classList.add("failed");
  status.textContent = error.message;
  if (error.data?.code === "duplicate" && error.data.document_id) {
    const link = document.createElement("a");
    link.href = `${form.dataset.listUrl}${error.data.document_id}/`;
    link.textContent = "Open the existing document";
    status.append(" ", link);
    return;
  }
  const retry = document.createElement("button");
  retry.type = "button";
  retry.textContent = "Retry";
  retry.addEventListener("click", () => { li.remove(); uploadFile(file); });
  status.append(" ", retry);
}

async function uploadFile(file) {
  const li = row(file);
  const status = li.querySelector(".status");
  const bar = li.querySelector("progress");
  try {
    status.textContent = "Checking…";
    const sha256 = await sha256Hex(file);
    const { document: doc, upload } = await api(form.dataset.uploadUrl, {
      filename: file.name,
      size_bytes: file.size,
      content_type: file.type || "application/octet-stream",
      sha256,
    });
    status.textContent = "Uploading…";
    await postToStorage(upload, file, (fraction) => { bar.value = fraction; });
    status.textContent = "Confirming…";
    const confirmed = await api(confirmUrlFor(doc.id));
    bar.value = 1;
    li.classList.add("done");
    status.innerHTML = "";
    const link = document.createElement("a");
    link.href = `${form.dataset.listUrl}${confirmed.id}/`;
    link.textContent = `Uploaded — ${confirmed.state}`;
    status.append(link);
    refreshQuota();
  } catch (error) {
    showError(li, file, error);
  }
}

async function refreshQuota() {
  const response = await fetch("/api/quota/", { credentials: "same-origin" });
  if (!response.ok) return;
  const quota = await response.json();
  const meter = document.getElementById("quota-progress");
  if (meter) meter.value = quota.used_bytes;
  const used = document.querySelector("[data-quota-used]");
  if (used) used.textContent = formatBytes(quota.used_bytes);
}

function uploadAll(files) {
  for (const file of files) uploadFile(file);
}

input.addEventListener("change", () => { uploadAll(input.files); input.value = ""; });
for (const type of ["dragenter", "dragover"]) {
  dropzone.addEventListener(type, (e) => { e.preventDefault(); dropzone.classList.add("over"); });
}
for (const type of ["dragleave", "drop"]) {
  dropzone.addEventListener(type, () => dropzone.classList.remove("over"));
}
dropzone.addEventListener("drop", (e) => { e.preventDefault(); uploadAll(e.dataTransfer.files); });
