// The signing page's script: a file of its own, so the page's CSP needs no 'unsafe-inline'.
"use strict";
const token = decodeURIComponent(location.pathname.split("/").pop());
const api = `/v1/signing/${encodeURIComponent(token)}`;
const $ = (id) => document.getElementById(id);

function show(text, kind) { $("status").textContent = text; $("status").className = kind || ""; }

async function call(path, options) {
  const response = await fetch(api + path, { headers: { "content-type": "application/json" }, ...options });
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

function render(session) {
  $("subject").textContent = session.subject;
  $("message").textContent = session.message;
  $("document-list").replaceChildren(...session.documents.map((d) => {
    const item = document.createElement("li"), link = document.createElement("a");
    link.href = d.content_url; link.textContent = `${d.filename} (${d.pages} page${d.pages === 1 ? "" : "s"})`;
    item.append(link); return item;
  }));
  const fields = session.fields.filter((f) => f.kind === "text" || f.kind === "checkbox");
  $("fields").hidden = fields.length === 0;
  $("fields").replaceChildren($("fields").firstElementChild, ...fields.map((f) => {
    const label = document.createElement("label"), input = document.createElement("input");
    input.type = f.kind === "checkbox" ? "checkbox" : "text"; input.dataset.fieldId = f.id; input.required = f.required;
    label.append(`${f.kind === "checkbox" ? "Check" : "Text"} on page ${f.page}${f.required ? " (required)" : ""} `, input);
    return label;
  }));
  $("consent-text").textContent = session.consent_text;
  $("sign-form").hidden = !session.can_sign;
  if (!session.can_sign) {
    const state = session.signer.status;
    show(session.envelope_status !== "sent" ? `This envelope is ${session.envelope_status}.`
      : state === "pending" ? "It is not your turn yet: you will be able to sign once earlier recipients have."
      : `You have ${state}.`, state === "signed" || state === "approved" ? "done" : "muted");
  }
}

$("sign-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = {};
  for (const input of document.querySelectorAll("[data-field-id]")) {
    fields[input.dataset.fieldId] = input.type === "checkbox" ? input.checked : input.value;
  }
  try {
    render(await call("/sign", { method: "POST", body: JSON.stringify({
      fields, signature: { kind: "typed", text: $("signature").value }, consent: $("consent").checked }) }));
    show("Thank you: your signature has been added.", "done");
  } catch (error) { show(error.message, "error"); }
});

$("decline").addEventListener("click", async () => {
  const reason = prompt("Why do you decline to sign?");
  if (!reason) return;
  try { render(await call("/decline", { method: "POST", body: JSON.stringify({ reason }) })); }
  catch (error) { show(error.message, "error"); }
});

call("").then(render).catch((error) => show(error.message, "error"));
