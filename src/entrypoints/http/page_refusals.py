"""What the signer's page says when it cannot do what was asked: a message for each refusal of the use
cases (as catalogue message ids, translated where shown), and the pages for links that do not work."""

from __future__ import annotations

from litestar import Request, Response

from undersign.application.shared.errors import (
    CodeExpired,
    EnvelopeClosed,
    LinkExpired,
    LinkRevoked,
    ServiceUnavailable,
    SignerAuthenticationRequired,
    SignerLocked,
    TooManyRequests,
    WrongCode,
)
from undersign.domain.errors import DomainError, InvalidInput, InvalidState, NotFound
from undersign.entrypoints.http.page_language import N_, Language
from undersign.entrypoints.http.page_render import gone_page


def message_of(error: DomainError) -> str:
    """What the page says about a refusal, as a catalogue message id (the page translates it)."""
    if isinstance(error, WrongCode):
        return (
            N_("That code is not right.") if error.attempts_left != 1 else N_("That code is not right. One try left.")
        )
    for kind, message in _MESSAGES:
        if isinstance(error, kind):
            return message
    return N_("This could not be done. Please check the page and try again.")


_MESSAGES: tuple[tuple[type[DomainError], str], ...] = (
    (CodeExpired, N_("That code has expired or was replaced. Ask for a new one.")),
    (SignerLocked, N_("Too many wrong codes: ask the sender to let you in again or to send you a new link.")),
    (TooManyRequests, N_("A code was sent a moment ago. Please wait a little before asking for another.")),
    (SignerAuthenticationRequired, N_("Please confirm who you are first.")),
    (ServiceUnavailable, N_("This could not be done just now. Please try again in a moment.")),
    (InvalidState, N_("This cannot be done any more: the page now shows where things stand.")),
    (InvalidInput, N_("Please check what you entered: something did not fit.")),
)


def gone(request: Request, language: Language, error: DomainError) -> Response[str]:
    """The 404 page for a link that never existed, the 410 page for one that no longer works, saying which."""
    if isinstance(error, NotFound):
        return gone_page(
            request,
            language,
            N_("This signing link does not exist. Check that you opened the whole link from your email."),
            status=404,
        )
    reason = N_("This signing link no longer works.")
    if isinstance(error, LinkExpired):
        reason = N_("This signing link has expired. Ask the sender for a new one.")
    elif isinstance(error, LinkRevoked):
        reason = N_("A newer link was sent to you for this envelope: please use the latest email.")
    elif isinstance(error, EnvelopeClosed):
        reason = N_(
            "This envelope is closed: it was declined, withdrawn by its sender or has expired. Nothing more can be signed."
        )
    return gone_page(request, language, reason, status=410)


def unavailable_page(request: Request, language: Language, error: ServiceUnavailable) -> Response[str]:
    """The 503 page, with when to come back, for a page that cannot be read now (its database, say)."""
    page = gone_page(
        request,
        language,
        N_("This could not be done just now. Please try again in a moment."),
        status=503,
        title=N_("Please try again in a moment"),
    )
    page.headers["Retry-After"] = str(error.retry_after_seconds)
    return page


# Back from the identity provider (entrypoints/http/signer_sign_in.py) with `?sign_in=...`.
SIGN_IN_OUTCOMES = {
    "refused": N_(
        "The account you signed in with is not the one this envelope was sent to. Sign in with that account."
    ),
    "locked": N_("Too many wrong codes: ask the sender to let you in again or to send you a new link."),
}
