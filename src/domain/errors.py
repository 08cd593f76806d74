"""Domain errors. Each has a stable `code` that the edges map to a status of their own."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken. `code` is stable and part of the API contract."""

    code = "domain_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """The request is well-formed but its content breaks a rule (HTTP 422)."""

    code = "invalid_input"


class InvalidState(DomainError):
    """The operation is not allowed in the aggregate's current state (HTTP 409)."""

    code = "invalid_state"


class NotYourTurn(InvalidState):
    code = "not_your_turn"


class AlreadyActed(InvalidState):
    code = "already_acted"


class AlreadySigned(AlreadyActed):
    """The recipient signed (or approved) already, and asks for something else now."""

    code = "already_signed"


class AlreadyDeclined(AlreadyActed):
    """The recipient declined already, and asks for something else now."""

    code = "already_declined"


class NotFound(DomainError):
    code = "not_found"


class ConcurrencyConflict(DomainError):
    """Someone else changed the aggregate since it was read."""

    code = "conflict"
