// The deposit form's file uploads, enhanced: resumable uploads through tus (tus-js-client,
// vendored as app/static/vendor/tus/tus.min.js, global `tus`) and the metadata proposals read
// from the uploaded files.
//
// Without this file the upload form posts the files to /records/<id>/edit/files. Here:
// * each chosen file is sent to POST /api/records/<id>/draft/uploads (tus 1.0: creation,
//   termination), the CSRF token in X-CSRFToken; the file key is its name (or its path inside
//   a dropped folder); one progress bar per file with pause / resume and cancel;
// * an interrupted upload resumes from the last stored byte: tus-js-client keeps the upload URL
//   in localStorage by file fingerprint, so choosing the same file again (after a cut, a
//   reload, a browser restart) continues where it stopped;
// * when a file is stored, its SHA-256 (computed by the server) is shown, and what the
//   extraction job read from it is shown as "use / ignore" suggestions. "Use" dispatches an
//   `alluvium:apply` event that deposit.js saves with the same PATCH as any typed change;
// * one overall progress bar over all uploads of the page; a failed upload offers "Retry",
//   which continues from the last stored byte;
// * dropped folders are walked (webkitGetAsEntry): each file's key is its path in the folder;
// * the "Rename" and "Delete" forms of each listed file call PATCH / DELETE
//   /api/records/<id>/draft/files/<key> (after a confirmation for delete) and update the list
//   in place; without JavaScript they post to the form routes instead.

const form = document.getElementById("upload-form");
const root = document.querySelector(".deposit");

const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;
const ignoredKey = () => `alluvium-ignored-${root?.dataset.record}`;

function ignored() {
  try {
    return new Set(JSON.parse(localStorage.getItem(ignoredKey()) || "[]"));
  } catch {
    return new Set();
  }
}

function ignore(id) {
  const set = ignored();
  set.add(id);
  try {
    localStorage.setItem(ignoredKey(), JSON.stringify([...set]));
  } catch {
    /* storage disabled: ignored for this page only */
  }
}

// --- proposals ------------------------------------------------------------------------------

async function loadProposals(box, url, key, tries = 0) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch {
    return;
  }
  if (!response.ok && response.status !== 202) return;
  box.innerHTML = await response.text();
  const skip = ignored();
  for (const row of box.querySelectorAll("li.proposal")) {
    if (skip.has(`${key}#${row.dataset.value}`)) row.remove();
  }
  const list = box.querySelector(".proposal-list");
  if (list && !list.children.length) box.replaceChildren();
  if (response.status === 202 && tries < 40) {
    setTimeout(() => loadProposals(box, url, key, tries + 1), Math.min(500 * 2 ** tries, 3000));
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("li.proposal button");
  if (!button) return;
  const row = button.closest("li.proposal");
  const key = row.closest("li.file, li.upload")?.dataset.key || "";
  if ("ignore" in button.dataset) {
    ignore(`${key}#${row.dataset.value}`);
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    next?.querySelector("button")?.focus();
  } else if ("use" in button.dataset) {
    ignore(`${key}#${row.dataset.value}`); // once used, it is in the description: not offered again
    button.disabled = true;
    document.dispatchEvent(
      new CustomEvent("alluvium:apply", {
        detail: { field: row.dataset.field, list: row.dataset.list === "true", value: JSON.parse(row.dataset.value) },
      }),
    );
  }
});

for (const li of document.querySelectorAll("#file-list li.file")) {
  loadProposals(li.querySelector(".proposals"), li.dataset.proposalsUrl, li.dataset.key);
}

// --- uploads --------------------------------------------------------------------------------

function button(label) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  return b;
}

// --- overall progress ----------------------------------------------------------------------

const progress = new Map(); // key -> { sent, total, state }

function updateOverall() {
  const d = form.dataset;
  const box = document.getElementById("overall");
  const bar = document.getElementById("overall-bar");
  const live = [...progress.values()].filter((p) => p.state !== "cancelled");
  if (!box || !live.length) {
    if (box) box.hidden = true;
    return;
  }
  box.hidden = false;
  const total = live.reduce((n, p) => n + p.total, 0);
  const sent = live.reduce((n, p) => n + (p.state === "done" ? p.total : p.sent), 0);
  const percent = total ? Math.floor((sent / total) * 100) : 100;
  bar.value = percent;
  bar.setAttribute("aria-label", d.overallLabel);
  const done = live.filter((p) => p.state === "done").length;
  const text = fill(d.overall, { percent, done, total: live.length });
  // The status line is a live region: it is rewritten when a file ends, not at every chunk.
  const status = document.getElementById("overall-status");
  if (status.dataset.done !== String(done) || !status.textContent || percent === 100) {
    status.textContent = text;
    status.dataset.done = String(done);
  }
  box.dataset.percent = String(percent);
  box.title = text;
}

// --- uploads (continued) --------------------------------------------------------------------

function start(file, path) {
  const d = form.dataset;
  const key = path || file.webkitRelativePath || file.name;
  const track = { sent: 0, total: file.size, state: "uploading" };
  progress.set(`${key}#${progress.size}`, track);
  updateOverall();
  const li = document.createElement("li");
  li.className = "upload";
  li.dataset.key = key;
  const status = document.createElement("p");
  status.setAttribute("role", "status");
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", fill(d.progressLabel, { name: key }));
  const pause = button(d.pauseLabel);
  const cancel = button(d.cancelLabel);
  const proposals = document.createElement("div");
  proposals.className = "proposals";
  proposals.setAttribute("aria-live", "polite");
  li.append(status, bar, " ", pause, " ", cancel, proposals);
  document.getElementById("uploads").append(li);
  status.textContent = fill(d.uploading, { name: key, percent: 0 });

  let running = true;
  const upload = new window.tus.Upload(file, {
    endpoint: d.tus,
    chunkSize: 8 * 1024 * 1024,
    retryDelays: [0, 1000, 3000, 5000, 10000],
    metadata: { filename: key, filetype: file.type || "application/octet-stream" },
    storeFingerprintForResuming: true,
    // The key is part of the fingerprint: same-named files of two folders resume separately.
    fingerprint: (f) => Promise.resolve(["alluvium", d.tus, key, f.size, f.lastModified].join("|")),
    removeFingerprintOnSuccess: true,
    onBeforeRequest(req) {
      // Set here, not in `headers` (XHR would send both values): the token of the page now.
      req.setHeader("X-CSRFToken", csrfToken());
      const xhr = req.getUnderlyingObject();
      if (xhr && "withCredentials" in xhr) xhr.withCredentials = true;
    },
    onProgress(sent, total) {
      const percent = total ? Math.floor((sent / total) * 100) : 100;
      bar.value = percent;
      status.textContent = fill(d.uploading, { name: key, percent });
      track.sent = sent;
      updateOverall();
    },
    onError(error) {
      running = false;
      const why = error?.originalResponse?.getBody?.() || error?.message || String(error);
      let message = why;
      try {
        message = JSON.parse(why).message || why;
      } catch {
        /* not JSON */
      }
      status.textContent = fill(d.failed, { name: key, why: message });
      li.dataset.state = "failed";
      track.state = "failed";
      pause.textContent = d.retryLabel; // starts again from the last stored byte
      updateOverall();
    },
    async onSuccess() {
      running = false;
      bar.value = 100;
      li.dataset.state = "done";
      track.state = "done";
      updateOverall();
      document.getElementById("no-files")?.remove();
      pause.remove();
      cancel.remove();
      const listing = await fetch(d.files, { credentials: "same-origin" }).then((r) => r.json()).catch(() => null);
      const entry = listing?.entries?.find((e) => e.key === key);
      status.textContent = fill(d.done, { name: key });
      if (entry) {
        const code = document.createElement("code");
        code.className = "sha256";
        code.textContent = entry.checksum.sha256;
        status.append(" ", code);
      }
      loadProposals(proposals, d.proposals.replace("KEY", encodeURIComponent(key)), key);
      refreshList(); // the stored file can now be renamed or deleted from the list
    },
  });

  pause.addEventListener("click", () => {
    if (running) {
      upload.abort(false); // keeps the stored bytes: resume continues from them
      running = false;
      pause.textContent = d.resumeLabel;
      status.textContent = fill(d.paused, { name: key });
      li.dataset.state = "paused";
    } else {
      running = true;
      pause.textContent = d.pauseLabel;
      li.dataset.state = "uploading";
      track.state = "uploading";
      upload.start();
    }
  });
  cancel.addEventListener("click", async () => {
    running = false;
    await upload.abort(true).catch(() => {}); // terminates the upload on the server
    status.textContent = fill(d.cancelled, { name: key });
    li.dataset.state = "cancelled";
    track.state = "cancelled";
    updateOverall();
    bar.remove();
    pause.remove();
    cancel.remove();
  });

  li.dataset.state = "uploading";
  // A previous, interrupted upload of the same file resumes from its last stored byte.
  upload.findPreviousUploads().then((previous) => {
    if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
    upload.start();
  });
}

if (form && window.tus?.isSupported) {
  const input = form.querySelector('input[type="file"]');
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const file of input.files) start(file);
    input.value = "";
  });
  input.addEventListener("change", () => {
    for (const file of input.files) start(file);
    input.value = "";
  });
  // Drag and drop onto the upload area.
  form.addEventListener("dragover", (event) => {
    event.preventDefault();
    form.classList.add("dragging");
  });
  form.addEventListener("dragleave", () => form.classList.remove("dragging"));
  form.addEventListener("drop", async (event) => {
    event.preventDefault();
    form.classList.remove("dragging");
    // Folders are walked; the entries must be taken before the first await.
    const items = [...(event.dataTransfer.items || [])]
      .filter((item) => item.kind === "file")
      .map((item) => item.webkitGetAsEntry?.());
    if (items.length && items.every(Boolean)) {
      for (const entry of items) {
        for (const { file, path } of await walk(entry, "")) start(file, path);
      }
    } else {
      for (const file of event.dataTransfer.files) start(file);
    }
  });
}

// A dropped file or folder (FileSystemEntry) as [{file, path}], the path relative to the drop.
async function walk(entry, prefix) {
  if (entry.isFile) {
    const file = await new Promise((resolve) => entry.file(resolve, () => resolve(null)));
    return file ? [{ file, path: prefix + file.name }] : [];
  }
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const children = [];
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise((resolve) => reader.readEntries(resolve, () => resolve([])));
    if (!batch.length) break;
    children.push(...batch);
  }
  const found = [];
  for (const child of children) found.push(...(await walk(child, `${prefix}${entry.name}/`)));
  return found;
}

// --- rename and delete while draft ----------------------------------------------------------

const filesBox = document.getElementById("files");
const fileList = document.getElementById("file-list");

function announce(text) {
  const live = document.getElementById("files-status");
  if (live) live.textContent = text;
}

function fileUrl(key) {
  const listing = form?.dataset.files || "";
  return listing.replace(/\/files$/, "/draft/files/") + key.split("/").map(encodeURIComponent).join("/");
}

async function failure(response) {
  try {
    const body = await response.json();
    const first = body.errors?.[0];
    return first?.localized?.[0] || first?.messages?.[0] || body.message || String(response.status);
  } catch {
    return String(response.status);
  }
}

// The list as the server renders it now (names, sizes, checksums, the forms of each file).
async function refreshList(focusKey) {
  let text;
  try {
    text = await fetch(window.location.pathname, { credentials: "same-origin" }).then((r) => r.text());
  } catch {
    return;
  }
  const fresh = new DOMParser().parseFromString(text, "text/html").getElementById("file-list");
  if (!fresh || !fileList) return;
  const open = new Set([...fileList.querySelectorAll("li.file")].map((li) => li.dataset.key));
  fileList.replaceChildren(...[...fresh.children].map((n) => document.importNode(n, true)));
  fileList.hidden = !fileList.children.length;
  for (const li of fileList.querySelectorAll("li.file")) {
    if (open.has(li.dataset.key) && li.dataset.key !== focusKey) {
      li.querySelector(".proposals")?.remove(); // already offered once on this page
    } else {
      loadProposals(li.querySelector(".proposals"), li.dataset.proposalsUrl, li.dataset.key);
    }
  }
  if (focusKey) {
    const li = [...fileList.querySelectorAll("li.file")].find((n) => n.dataset.key === focusKey);
    li?.querySelector(".file-actions > summary")?.focus();
  }
}

document.addEventListener("submit", async (event) => {
  const target = event.target;
  if (!filesBox || !form || !target.matches("#file-list form.delete-form, #file-list form.rename-form")) return;
  event.preventDefault();
  const d = filesBox.dataset;
  const li = target.closest("li.file");
  const key = li.dataset.key;
  const headers = { "X-CSRFToken": csrfToken() };
  if (target.matches(".delete-form")) {
    if (!window.confirm(fill(d.confirmDelete, { name: key }))) return;
    const response = await fetch(fileUrl(key), { method: "DELETE", headers, credentials: "same-origin" });
    if (response.status !== 204) {
      announce(fill(d.notChanged, { name: key, why: await failure(response) }));
      return;
    }
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    fileList.hidden = !fileList.children.length;
    announce(fill(d.deleted, { name: key }));
    (next?.querySelector(".file-actions > summary") || document.getElementById("/file"))?.focus();
    return;
  }
  const input = target.querySelector('input[name="new_key"]');
  const error = target.querySelector(".error-message");
  const newKey = input.value.trim();
  const response = await fetch(fileUrl(key), {
    method: "PATCH",
    headers: { ...headers, "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ key: newKey }),
  });
  if (!response.ok) {
    const why = await failure(response);
    error.textContent = why;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  const renamed = (await response.json()).key;
  announce(fill(d.renamed, { name: key, new: renamed }));
  await refreshList(renamed);
});
