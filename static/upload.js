// The upload page, enhanced. Without script it posts one file as a form. With it, several files
// are dropped or picked at once; each is sent on its own request (two at a time) to the same route,
// asking for JSON, with a progress bar fed by the bytes sent and its outcome shown in place:
// created (a link to it), refused (the server's reason), or already in the library (a link).
// Titles come from the file names; the metadata is shared by the batch, and each file may have
// its own. The server decides everything: this script only reports what it answered.
(() => {
  const form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const PARALLEL = 2;
  const input = form.querySelector("input[type=file][name=file]");
  const list = form.querySelector("[data-batch]");
  const shared = form.querySelector("[data-shared-fields]");
  const titleField = form.querySelector("[data-field=title]");
  const dropZone = form.querySelector("[data-drop-zone]");
  const submit = form.querySelector("[data-submit]");
  const summary = form.querySelector("[data-batch-summary]");
  const limit = Number(form.dataset.limitBytes) || Infinity;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const items = [];
  let counter = 0;
  let running = false;

  // "atlas-pricing_deck.pptx" -> "Atlas pricing deck"
  function titleFromName(name) {
    const words = name.replace(/\.[^.]*$/, "").replace(/[_\-.\s]+/g, " ").trim();
    return words ? words.charAt(0).toUpperCase() + words.slice(1) : name;
  }

  // As the pages write sizes (collateral/template_filters.py): "812 bytes", "3.2 MB", "60 MB".
  function sizeText(bytes) {
    if (bytes < 1024) return `${Math.floor(bytes)} byte${Math.floor(bytes) === 1 ? "" : "s"}`;
    let value = bytes;
    let unit = "";
    for (unit of ["KB", "MB", "GB", "TB"]) {
      value /= 1024;
      if (Math.round(value * 10) / 10 < 1024) break;
    }
    const text = Math.round(value * 10) / 10 < 10 ? value.toFixed(1).replace(/\.0$/, "") : value.toFixed(0);
    return `${text} ${unit}`;
  }

  function element(tag, attributes = {}, text = "") {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  }

  // --- errors beside the field they concern -------------------------------------------------
  function clearError(container) {
    container.querySelectorAll(".field-error[data-script]").forEach((node) => node.remove());
    container.querySelectorAll("[aria-invalid]").forEach((node) => {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
  }

  function showError(target, id, message) {
    const note = element("span", { class: "field-error", id, "data-script": "" }, message);
    if (target.tagName === "FIELDSET") target.appendChild(note);
    else target.insertAdjacentElement("afterend", note);
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", id);
  }

  // The control (or group of checkboxes) named `field` within a set of fields.
  function fieldIn(container, field) {
    const control = container.querySelector(`[name="${CSS.escape(field)}"]`);
    if (!control) return null;
    return control.type === "checkbox" ? control.closest("fieldset") || control : control;
  }

  // --- the batch ---------------------------------------------------------------------------
  function ownFieldsFor(item) {
    const copy = shared.cloneNode(true);
    copy.removeAttribute("data-shared-fields");
    copy.classList.add("own-fields");
    copy.querySelectorAll("[id], .hint, .field-error").forEach((node) => {
      if (node.matches(".hint, .field-error")) node.remove();
      else node.removeAttribute("id");
    });
    clearError(copy);
    const from = shared.querySelectorAll("input, select, textarea");
    copy.querySelectorAll("input, select, textarea").forEach((control, i) => {
      if (control.type === "checkbox") control.checked = from[i].checked;
      else control.value = from[i].value;
    });
    item.own = copy;
    return copy;
  }

  function addFile(file) {
    counter += 1;
    const key = `batch-${counter}`;
    const row = element("li", {
      class: "batch-item", "data-state": "waiting", "data-progress-events": "0",
      "data-loaded": "0", "data-name": file.name,
    });
    const head = element("div", { class: "batch-head" });
    head.append(element("span", { class: "batch-name" }, file.name), " ",
      element("span", { class: "batch-size" }, sizeText(file.size)));
    const remove = element("button", { type: "button", class: "link batch-link", "data-remove": "" }, "Remove");
    remove.setAttribute("aria-label", `Remove ${file.name} from the batch`);
    head.append(" ", remove);

    const titleLabel = element("label", { class: "batch-title" }, "Title ");
    titleLabel.append(element("span", { class: "required-mark", "aria-hidden": "true" }, "required"), " ");
    const title = element("input", {
      type: "text", required: "", "aria-required": "true", maxlength: "300", "data-title": "",
    });
    title.value = titleFromName(file.name);
    titleLabel.append(title);

    const details = element("details", { class: "batch-edit" });
    details.append(element("summary", {}, "Edit this file’s metadata"));
    const ownLabel = element("label", { class: "check" });
    const ownToggle = element("input", { type: "checkbox", "data-own": "" });
    ownLabel.append(ownToggle, " Give this file its own metadata instead of the shared one");
    details.append(ownLabel);

    const progress = element("progress", { max: String(file.size || 1), value: "0" });
    progress.setAttribute("aria-label", `Upload of ${file.name}`);
    const bytes = element("span", { class: "batch-bytes" }, `0 bytes of ${sizeText(file.size)}`);
    const meter = element("div", { class: "batch-progress" });
    meter.append(progress, " ", bytes);
    const outcome = element("p", { class: "batch-outcome", id: `${key}-outcome` });

    row.append(head, titleLabel, details, meter, outcome);
    list.append(row);
    const item = { key, file, row, title, ownToggle, details, progress, bytes, outcome, own: null, allowDuplicate: false };
    ownToggle.addEventListener("change", () => {
      if (ownToggle.checked) details.append(item.own || ownFieldsFor(item));
      else if (item.own) item.own.remove();
    });
    remove.addEventListener("click", () => {
      if (row.dataset.state === "sending") return;
      items.splice(items.indexOf(item), 1);
      row.remove();
      refresh();
    });
    items.push(item);
  }

  function addFiles(files) {
    Array.from(files).forEach(addFile);
    clearError(dropZone);
    refresh();
  }

  function pending() {
    // A refused file is sent again (its title or metadata may have been fixed), unless the
    // file itself was refused: its type, size or content would be answered the same.
    return items.filter((item) => item.row.dataset.state === "waiting"
      || (item.row.dataset.state === "refused" && !item.fileRefused));
  }

  function refresh() {
    list.hidden = items.length === 0;
    const count = pending().length;
    submit.textContent = count > 1 ? `Upload ${count} files` : "Upload";
    submit.disabled = running;
  }

  // --- sending -----------------------------------------------------------------------------
  function fieldsOf(container, data) {
    container.querySelectorAll("input[name], select[name], textarea[name]").forEach((control) => {
      if (control.type === "checkbox" && !control.checked) return;
      data.append(control.name, control.value);
    });
  }

  function setState(item, state) {
    item.row.dataset.state = state;
  }

  function report(item, state, parts) {
    setState(item, state);
    item.outcome.replaceChildren(...parts);
    item.outcome.className = `batch-outcome batch-${state}`;
  }

  function link(href, text) {
    const anchor = element("a", { href }, text);
    return anchor;
  }

  function answered(item, status, body) {
    if (status === 201 && body && body.url) {
      item.title.disabled = true;
      item.ownToggle.disabled = true;
      item.row.querySelector("[data-remove]").hidden = true;
      const said = body.level === "warning" ? ` ${body.message}` : " (indexed).";
      report(item, "created", ["Created ", link(body.url, `“${body.title}”`), said]);
      return;
    }
    const error = (body && body.error) || {};
    if (error.code === "duplicate" && error.asset) {
      const keep = element("button", { type: "button", class: "link batch-link" }, "keep a second copy");
      keep.addEventListener("click", () => {
        item.allowDuplicate = true;
        keep.remove();
        setState(item, "waiting");
        item.outcome.textContent = "Will be kept as a second copy when you upload.";
        refresh();
      });
      report(item, "duplicate", [
        "Already in the library as ", link(error.asset.url, `“${error.asset.title}”`),
        ". Upload a new version of that asset instead, or ", keep, ".",
      ]);
      return;
    }
    const message = error.message || `The server answered ${status} without a reason; try again.`;
    report(item, "refused", [`Refused: ${message}`]);
    item.row.dataset.refusal = message;
    item.fileRefused = error.field === "file" || [413, 415, 422].includes(status);
    if (error.field === "title") {
      showError(item.title, `${item.key}-title-error`, message);
    } else if (error.field) {
      const container = item.ownToggle.checked && item.own ? item.own : shared;
      const target = fieldIn(container, error.field);
      if (target) showError(target, `${item.key}-${error.field}-error`, message);
    }
  }

  function send(item) {
    return new Promise((resolve) => {
      const data = new FormData();
      data.append("file", item.file, item.file.name);
      data.append("title", item.title.value.trim());
      fieldsOf(item.ownToggle.checked && item.own ? item.own : shared, data);
      if (item.allowDuplicate) data.append("allow_duplicate", "true");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.upload.addEventListener("progress", (event) => {
        const row = item.row;
        row.dataset.progressEvents = String(Number(row.dataset.progressEvents) + 1);
        row.dataset.loaded = String(Math.max(Number(row.dataset.loaded), event.loaded));
        const total = event.lengthComputable ? event.total : item.file.size;
        item.progress.max = total || 1;
        item.progress.value = Math.min(event.loaded, total);
        item.bytes.textContent = `${sizeText(Math.min(event.loaded, total))} of ${sizeText(total)}`;
      });
      xhr.addEventListener("load", () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON: said below */ }
        answered(item, xhr.status, body);
        resolve();
      });
      const failed = () => {
        report(item, "refused", ["The connection failed before the server answered; upload again."]);
        resolve();
      };
      xhr.addEventListener("error", failed);
      xhr.addEventListener("abort", failed);
      setState(item, "sending");
      item.outcome.textContent = "";
      xhr.send(data);
    });
  }

  function ready(item) {
    clearError(item.row);
    if (!item.title.value.trim()) {
      showError(item.title, `${item.key}-title-error`, "Give this file a title.");
      report(item, "refused", ["Not sent: it needs a title."]);
      return false;
    }
    if (item.file.size > limit) {
      item.fileRefused = true;
      report(item, "refused", [`Not sent: the file is ${sizeText(item.file.size)}; the limit is ${sizeText(limit)}.`]);
      return false;
    }
    return true;
  }

  async function upload() {
    clearError(dropZone);
    clearError(shared);
    if (items.length === 0) {
      showError(input, "file-error", "Choose or drop at least one file.");
      input.focus();
      return;
    }
    const queue = pending().filter(ready);
    running = true;
    refresh();
    summary.textContent = `Uploading ${queue.length} file${queue.length === 1 ? "" : "s"}…`;
    const worker = async () => {
      while (queue.length) await send(queue.shift());
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
    running = false;
    refresh();
    const count = (state) => items.filter((item) => item.row.dataset.state === state).length;
    summary.textContent = `${count("created")} uploaded, ${count("duplicate")} already in the library, ${count("refused")} refused.`;
  }

  // --- wiring ------------------------------------------------------------------------------
  form.noValidate = true; // checked here, each file's title beside it, not in a browser bubble
  input.multiple = true;
  input.required = false;
  input.removeAttribute("aria-required");
  form.querySelector("[data-field=file] .required-mark")?.remove();
  const titleInput = titleField?.querySelector("input");
  if (titleInput) titleInput.disabled = true; // each file has its own title
  if (titleField) titleField.hidden = true;
  form.querySelector(".batch-only")?.removeAttribute("hidden");
  shared.insertAdjacentElement("beforebegin",
    element("h2", { class: "batch-shared-heading" }, "Metadata for every file"));
  shared.insertAdjacentElement("beforebegin", element("p", { class: "hint" },
    "Each file may have its own instead: open “Edit this file’s metadata” beside it."));
  form.classList.add("batch-enabled");

  input.addEventListener("change", () => {
    addFiles(input.files);
    input.value = "";
  });
  const carriesFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
  form.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dropZone.classList.add("drop-active");
  });
  form.addEventListener("dragleave", (event) => {
    if (!form.contains(event.relatedTarget)) dropZone.classList.remove("drop-active");
  });
  form.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dropZone.classList.remove("drop-active");
    addFiles(event.dataTransfer.files);
  });
  // A file dropped beside the form is not opened in place of the page.
  document.addEventListener("dragover", (event) => { if (carriesFiles(event)) event.preventDefault(); });
  document.addEventListener("drop", (event) => { if (carriesFiles(event)) event.preventDefault(); });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!running) upload();
  });
  refresh();
})();
