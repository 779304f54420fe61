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
//   `alluvium:apply` event that deposit.js saves with the same PATCH as any typed change.

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

function start(file) {
  const d = form.dataset;
  const key = file.webkitRelativePath || file.name;
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
      pause.textContent = d.resumeLabel;
    },
    async onSuccess() {
      running = false;
      bar.value = 100;
      li.dataset.state = "done";
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
      upload.start();
    }
  });
  cancel.addEventListener("click", async () => {
    running = false;
    await upload.abort(true).catch(() => {}); // terminates the upload on the server
    status.textContent = fill(d.cancelled, { name: key });
    li.dataset.state = "cancelled";
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
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    form.classList.remove("dragging");
    for (const file of event.dataTransfer.files) start(file);
  });
}
