"""The signer's page rendered on the server: Jinja templates, the page's own assets, its headers.

Everything a person needs to read and to act is in the HTML: the page's script only adds the
rendered documents, the fields drawn on them, guidance and a drawn signature. Templates are
autoescaped; messages come from the catalogues (page_language) through `_`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request, Response
from litestar.datastructures import Cookie

from undersign.application.signing.sessions import SigningSession
from undersign.domain.field import Field
from undersign.domain.policy import SignerAuth
from undersign.entrypoints.http.page_forms import FIELD_PREFIX, csrf_token
from undersign.entrypoints.http.page_language import LANGUAGES, N_, Language
from undersign.entrypoints.http.static_assets import StaticAssets

HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

# The page's script, stylesheet and pdf.js, served by Undersign itself (its CSP allows nothing else).
# The page links them with their content's digest, so a browser may keep them for good.
ASSET_FILES = {
    "sign.js": ("static/sign.js", "text/javascript"),  # Litestar adds "; charset=utf-8"
    "sign.css": ("static/sign.css", "text/css"),
    "pdf.min.mjs": ("static/pdfjs/pdf.min.mjs", "text/javascript"),
    "pdf.worker.min.mjs": ("static/pdfjs/pdf.worker.min.mjs", "text/javascript"),
}
ASSETS = StaticAssets(HERE, ASSET_FILES, url_prefix="/sign/assets", what="the signing page")
ASSET_URLS = ASSETS.urls

# What the page does: its own script (and pdf.js's worker), calls to this origin, form posts to
# itself, pictures it draws (data:/blob:), nothing inline, no eval (pdf.js runs with isEvalSupported
# false), and Trusted Types for the few sinks a script could misuse (sign.js defines the one policy).
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; worker-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "require-trusted-types-for 'script'; trusted-types undersign-pdfjs"
)

KIND_LABELS = {
    "signature": N_("Signature"),
    "initials": N_("Initials"),
    "date_signed": N_("Date signed"),
    "text": N_("Text"),
    "checkbox": N_("Tick box"),
}


def page_headers(request: Request, *, embedded: bool = False) -> dict[str, str]:
    """No caching, no referrer (the URL is the credential), and framing only for an embedded session's sites."""
    ancestors = request.app.state.container.settings().signing_frame_ancestors if embedded else ()
    headers = {
        "Content-Security-Policy": f"{_CSP}; frame-ancestors {' '.join(ancestors) or chr(39) + 'none' + chr(39)}",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    if not ancestors:
        headers["X-Frame-Options"] = "DENY"
    return headers


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    embedded: bool = False,
    cookies: list[Cookie] | None = None,
) -> Response[str]:
    html = TEMPLATES.get_template(template).render(assets=ASSET_URLS, **context)
    return Response(
        content=html,
        status_code=status,
        media_type="text/html",
        headers=page_headers(request, embedded=embedded),
        cookies=cookies or [],
    )


def language_links(language: Language, offered: tuple[str, ...]) -> list[dict[str, str]]:
    """The other languages the page is offered in, each named in its own language."""
    return [
        {"code": code, "name": LANGUAGES[code].gettext("language-name"), "current": str(code == language.code)}
        for code in offered
        if code in LANGUAGES
    ]


def gone_page(
    request: Request, language: Language, reason: str, *, status: int, title: str = N_("This link does not work")
) -> Response[str]:
    """The page for a link that leads nowhere (404), no longer works (410), or cannot be served now (503)."""
    context = {
        "lang": language.code,
        "dir": language.direction,
        "_": language.gettext,
        "reason": reason,
        "title": title,
        "languages": [],
    }
    return render(request, "gone.html", context, status=status)


@dataclass(kw_only=True)
class Notice:
    """What the page says after a post: an error (role=alert) or news (role=status), maybe about one input."""

    message: str
    error: bool = True
    input_name: str | None = None  # the form input the message is about
    values: dict[str, Any] = field(default_factory=dict)


def session_context(
    request: Request, token: str, session: SigningSession, language: Language, binding: str, notice: Notice | None
) -> dict[str, Any]:
    """The template's view of the session: what it says, what the recipient may do, in `language`."""
    _ = language.gettext
    envelope, signer, auth = session.envelope, session.signer, session.authentication
    secret = request.app.state.container.gateways.secret_key()
    offered = tuple(getattr(envelope.policy, "languages", ("en",)))
    documents, fields, script_documents = [], [], []
    for document in session.documents:
        mine = sorted(envelope.fields_of(signer.id, document.id), key=_reading_order)
        content_url = f"/v1/signing/{token}/documents/{document.id}/content"
        documents.append(
            {"id": document.id, "filename": document.filename, "pages": len(document.pages), "url": content_url}
        )
        for f in mine:
            fields.append(_field_view(f, document.filename, len(fields) + 1, language, notice))
        script_documents.append({
            "id": document.id, "url": content_url, "filename": document.filename,
            "pages": [{"width": p.width, "height": p.height} for p in document.pages],
            "fields": [
                {"id": f.id, "kind": f.kind.value, "required": f.required, "page": f.placement.page,
                 "x": f.placement.x, "y": f.placement.y, "width": f.placement.width, "height": f.placement.height,
                 "input": f"input-{f.id}", "label": _(KIND_LABELS[f.kind.value])}
                for f in mine
            ],
        })  # fmt: skip
    values = notice.values if notice else {}
    return {
        "lang": language.code,
        "dir": language.direction,
        "_": _,
        "token": token,
        "languages": language_links(language, offered) if len(offered) > 1 else [],
        "envelope": envelope,
        "signer": signer,
        # Who asks, when the session can say (the tenant's display name); until then the page names nobody.
        "sender": session.sender_name or None,
        "auth": auth,
        "method": auth.method.value,
        "embedded": session.embedded,
        "can_act": session.can_act,
        "done": _done(session, language),
        "decline_allowed": bool(getattr(envelope.policy, "decline_allowed", True)),
        "consent_text": envelope.policy.consent_text if envelope.policy else "",
        "documents": documents,
        "fields": fields,
        "notice": notice,
        "signature_text": values.get("signature_text", signer.name),
        "reason": values.get("reason", ""),
        "csrf": {
            purpose: csrf_token(secret, purpose, token, binding) for purpose in ("sign", "decline", "code", "verify")
        },
        "code_methods": (SignerAuth.EMAIL_OTP.value, SignerAuth.SMS_OTP.value),
        "script_data": json.dumps(
            {
                "documents": script_documents,
                "pdf": ASSET_URLS["pdf.min.mjs"],
                "worker": ASSET_URLS["pdf.worker.min.mjs"],
                "messages": {key: _(key) for key in SCRIPT_MESSAGES},
            }
        ).replace("<", "\\u003c"),  # fmt: skip
    }


SCRIPT_MESSAGES = (
    N_("Next field"),
    N_("All required fields are filled in."),
    N_("Page %(page)s of %(pages)s"),
    N_("Draw"),
    N_("Type"),
    N_("Upload"),
    N_("Clear"),
    N_("Draw your signature with your finger, a pen or the mouse."),
    N_("The document could not be shown here."),
    N_("Choose a picture of your signature (PNG or JPEG)."),
    N_("Filled"),
    N_("Required"),
    N_("Loading the document"),
    N_("Your drawn signature will be used."),
    N_("Signature drawing area"),
    N_("%(done)s of %(total)s required fields filled in"),
)


def _reading_order(f: Field) -> tuple[int, float, float]:
    return f.placement.page, f.placement.y, f.placement.x


def _field_view(f: Field, filename: str, number: int, language: Language, notice: Notice | None) -> dict[str, Any]:
    _ = language.gettext
    name = FIELD_PREFIX + f.id
    submitted = notice.values.get(name) if notice else None
    error = notice.message if notice and notice.input_name == name else None
    return {
        "id": f.id,
        "kind": f.kind.value,
        "required": f.required,
        "name": name,
        "input_id": f"input-{f.id}",
        "label": _(
            "%(kind)s, page %(page)s of %(document)s",
            kind=_(KIND_LABELS[f.kind.value]),
            page=f.placement.page,
            document=filename,
        ),
        "number": number,
        "value": submitted if submitted is not None else (f.value or ""),
        "checked": submitted == "true",
        "error": error and _(error),
        "today": datetime.now(UTC).date().isoformat(),
    }


def _done(session: SigningSession, language: Language) -> str | None:
    """What the page says instead of the forms when the recipient cannot act (None when they can)."""
    if session.can_act or not session.authentication.passed:
        return None
    _ = language.gettext
    signer, envelope = session.signer, session.envelope
    when = signer.acted_at.date().isoformat() if signer.acted_at else ""
    status = signer.status.value
    if status == "signed":
        done = _("You signed this on %(date)s.", date=when)
        return (
            done + " " + _("Everyone has signed: the completed document is on its way to you.")
            if envelope.status.value == "completed"
            else done
        )
    if status == "approved":
        return _("You approved this on %(date)s.", date=when)
    if status == "declined":
        return _("You declined to sign this on %(date)s.", date=when)
    return _("It is not your turn yet: you will get an email when it is.")
