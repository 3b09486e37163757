"""Domain errors: a stable ``code`` for programs and a ``message`` people can act on."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the store makes; never a bare ``Exception``."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """A value that can never be stored (negative quantity, unknown stage, ...)."""

    code = "invalid_input"


class NotFound(DomainError):
    """The order, channel or user named does not exist."""

    code = "not_found"


class TransitionRefused(DomainError):
    """A stage move that the transition table does not allow."""

    code = "transition_refused"


class Conflict(DomainError):
    """The thing to create exists already."""

    code = "conflict"
