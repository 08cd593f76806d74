// The signer's page, enhanced: the documents drawn with pdf.js, the recipient's fields placed on
// them with "next field" guidance, and a signature drawn or uploaded. The page works without this
// script (the server renders every field as a labelled input and a typed signature is enough).
//
// The page's CSP allows only this origin's scripts, no eval, no inline styles in the markup, and
// Trusted Types: pdf.js's worker is made here, through the one policy the CSP names.

const data = JSON.parse(document.getElementById("page-data").textContent);
const form = document.getElementById("sign-form");
const fields = data.documents.flatMap((d) => d.fields);
const overlays = new Map(); // field id -> the element drawn on the page
let drawnSignature = "";
const motion = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";

function t(message, values = {}) {
  const text = data.messages[message] || message;
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

function el(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

// -- which fields are filled ------------------------------------------------------------------------

function inputOf(field) {
  return document.getElementById(field.input);
}

function signatureText() {
  return document.getElementById("signature-text").value.trim();
}

function isFilled(field) {
  const input = inputOf(field);
  switch (field.kind) {
    case "checkbox":
      return Boolean(input && input.checked);
    case "text":
      return Boolean(input && input.value.trim());
    case "initials":
      return Boolean((input && input.value.trim()) || signatureText());
    case "signature":
      return Boolean(signatureText() || drawnSignature);
    default:
      return true; // the date signed is the platform's to fill
  }
}

function shownValue(field) {
  const input = inputOf(field);
  switch (field.kind) {
    case "checkbox":
      return input && input.checked ? "✓" : "";
    case "text":
      return input ? input.value : "";
    case "initials":
      return (input && input.value.trim()) || initialsOf(signatureText());
    case "signature":
      return drawnSignature ? "" : signatureText();
    default:
      return new Date().toISOString().slice(0, 10);
  }
}

function initialsOf(name) {
  return name.split(/\s+/).filter(Boolean).map((part) => part[0].toUpperCase()).join("");
}

function refresh() {
  const required = fields.filter((f) => f.required && f.kind !== "date_signed");
  const done = required.filter(isFilled).length;
  for (const field of fields) {
    const overlay = overlays.get(field.id);
    if (!overlay) continue;
    const filled = isFilled(field);
    overlay.classList.toggle("filled", filled);
    overlay.querySelector(".value").textContent = shownValue(field);
    const image = overlay.querySelector("img");
    if (image) image.hidden = !(field.kind === "signature" && drawnSignature);
    if (image && drawnSignature) image.src = drawnSignature;
    overlay.setAttribute("aria-label", `${field.label}: ${filled ? t("Filled") : field.required ? t("Required") : ""}`);
  }
  const progress = document.getElementById("progress");
  progress.textContent = done === required.length
    ? t("All required fields are filled in.")
    : t("%(done)s of %(total)s required fields filled in", { done, total: required.length });
}

// -- guidance -------------------------------------------------------------------------------------

function focusField(field) {
  const overlay = overlays.get(field.id);
  if (overlay) {
    for (const other of overlays.values()) other.classList.remove("current");
    overlay.classList.add("current");
    overlay.scrollIntoView({ block: "center", behavior: motion });
  }
  const target = field.kind === "signature" ? document.getElementById("signature-text") : inputOf(field);
  if (target) target.focus({ preventScroll: Boolean(overlay) });
}

function nextField() {
  const next = fields.find((f) => f.required && !isFilled(f));
  if (next) {
    focusField(next);
  } else {
    const consent = document.getElementById("consent");
    consent.scrollIntoView({ block: "center", behavior: motion });
    consent.focus({ preventScroll: true });
  }
}

// -- the documents --------------------------------------------------------------------------------

async function loadPdfjs() {
  const policy = window.trustedTypes
    ? window.trustedTypes.createPolicy("undersign-pdfjs", {
        createScriptURL: (url) => {
          if (url !== data.worker) throw new TypeError("only pdf.js's own worker may run here");
          return url;
        },
      })
    : { createScriptURL: (url) => url };
  const pdfjs = await import(data.pdf);
  pdfjs.GlobalWorkerOptions.workerPort = new Worker(policy.createScriptURL(data.worker), { type: "module" });
  return pdfjs;
}

function overlayFor(field, pageBox) {
  // Out of the tab order: the form's list of fields is the keyboard's path, this is the pointer's.
  const overlay = el("button", { type: "button", class: `overlay kind-${field.kind}`, "data-field": field.id, tabindex: "-1" });
  overlay.append(el("span", { class: "value" }));
  if (field.kind === "signature") {
    const image = el("img", { alt: "" });
    image.hidden = true;
    overlay.append(image);
  }
  // Percentages of the page as pdf.js measures it (scale 1: PDF points), so the field stays on its
  // spot at any zoom. Physical left/top: a PDF page is not mirrored in a right-to-left page.
  overlay.style.left = `${(field.x / pageBox.width) * 100}%`;
  overlay.style.top = `${(field.y / pageBox.height) * 100}%`;
  overlay.style.width = `${(field.width / pageBox.width) * 100}%`;
  overlay.style.height = `${(field.height / pageBox.height) * 100}%`;
  overlay.addEventListener("click", () => {
    const input = inputOf(field);
    if (field.kind === "checkbox" && input) {
      input.checked = !input.checked;
      refresh();
    }
    focusField(field);
  });
  return overlay;
}

async function renderDocument(pdfjs, documentData, viewer) {
  const status = el("p", { class: "loading", role: "status" }, t("Loading the document"));
  viewer.append(status);
  const pdf = await pdfjs.getDocument({ url: documentData.url, isEvalSupported: false, withCredentials: true }).promise;
  for (let number = 1; number <= pdf.numPages; number += 1) {
    const page = await pdf.getPage(number);
    const natural = page.getViewport({ scale: 1 });
    const box = el("div", { class: "page" });
    box.style.aspectRatio = `${natural.width} / ${natural.height}`;
    const label = t("Page %(page)s of %(pages)s", { page: number, pages: pdf.numPages });
    const canvas = el("canvas", { role: "img", "aria-label": `${documentData.filename}: ${label}` });
    box.append(canvas);
    viewer.append(box);
    // Sharp on this screen: as many canvas pixels as device pixels, up to a bound on memory.
    const cssWidth = Math.max(box.clientWidth, 1);
    const scale = Math.min((cssWidth / natural.width) * (window.devicePixelRatio || 1), 4);
    const viewport = page.getViewport({ scale });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    await page.render({ canvas, viewport }).promise;
    for (const field of documentData.fields.filter((f) => f.page === number)) {
      const overlay = overlayFor(field, natural);
      overlays.set(field.id, overlay);
      box.append(overlay);
    }
  }
  status.remove();
  refresh();
}

async function renderDocuments() {
  let pdfjs;
  try {
    pdfjs = await loadPdfjs();
  } catch (error) {
    console.error(error);
    for (const viewer of document.querySelectorAll(".viewer")) viewer.append(el("p", { class: "hint" }, t("The document could not be shown here.")));
    return;
  }
  for (const documentData of data.documents) {
    const viewer = document.querySelector(`.viewer[data-document="${CSS.escape(documentData.id)}"]`);
    try {
      await renderDocument(pdfjs, documentData, viewer);
    } catch (error) {
      console.error(error);
      viewer.replaceChildren(el("p", { class: "hint" }, t("The document could not be shown here.")));
    }
  }
  document.body.dataset.rendered = "true";
}

// -- a drawn or uploaded signature ----------------------------------------------------------------

function signaturePad() {
  const pad = document.getElementById("signature-pad");
  const hidden = document.getElementById("signature-image");
  const instructions = el("p", { class: "hint", id: "pad-hint" }, t("Draw your signature with your finger, a pen or the mouse."));
  const canvas = el("canvas", { class: "pad-canvas", role: "img", "aria-label": t("Signature drawing area"), "aria-describedby": "pad-hint" });
  canvas.width = 600;
  canvas.height = 200;
  const clear = el("button", { type: "button", class: "secondary" }, t("Clear"));
  const uploadLabel = el("label", { for: "signature-upload" }, t("Choose a picture of your signature (PNG or JPEG)."));
  const upload = el("input", { type: "file", id: "signature-upload", accept: "image/png,image/jpeg" });
  const used = el("p", { class: "hint", role: "status" });
  pad.append(instructions, canvas, clear, uploadLabel, upload, used);
  pad.hidden = false;
  const context = canvas.getContext("2d");
  context.lineWidth = 3;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#111";
  let drawing = false;

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return [((event.clientX - rect.left) / rect.width) * canvas.width, ((event.clientY - rect.top) / rect.height) * canvas.height];
  }
  function keep() {
    drawnSignature = canvas.toDataURL("image/png");
    hidden.value = drawnSignature;
    used.textContent = t("Your drawn signature will be used.");
    refresh();
  }
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    context.beginPath();
    context.moveTo(...point(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    context.lineTo(...point(event));
    context.stroke();
  });
  for (const end of ["pointerup", "pointercancel"]) {
    canvas.addEventListener(end, () => {
      if (!drawing) return;
      drawing = false;
      keep();
    });
  }
  clear.addEventListener("click", () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawnSignature = "";
    hidden.value = "";
    used.textContent = "";
    refresh();
  });
  upload.addEventListener("change", async () => {
    const file = upload.files && upload.files[0];
    if (!file || !["image/png", "image/jpeg"].includes(file.type)) return;
    // Redrawn on the canvas: what is sent is always a PNG of the pad's size, whatever was chosen.
    const bitmap = await createImageBitmap(file);
    const ratio = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, bitmap.width * ratio, bitmap.height * ratio);
    keep();
  });
}

// -- wiring ---------------------------------------------------------------------------------------

document.getElementById("guide").hidden = false;
document.getElementById("next-field").addEventListener("click", nextField);
form.addEventListener("input", refresh);
form.addEventListener("change", refresh);
form.addEventListener("submit", () => {
  form.querySelector('button[type="submit"]').disabled = true; // one signature per click
});
signaturePad();
refresh();
renderDocuments();
