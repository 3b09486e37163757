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
    """The order, channel or other thing named does not exist.

    Its code is ``unknown_<thing>`` (``unknown_order``, ``unknown_channel``, ...): the one
    vocabulary of every not-found answer, the same as a refused scan's ``unknown_order``."""

    code = "unknown"

    def __init__(self, thing: str, message: str) -> None:
        super().__init__(message, code=f"unknown_{thing}")


class TransitionRefused(DomainError):
    """A stage move that the transition table does not allow."""

    code = "transition_refused"


class Conflict(DomainError):
    """The thing to create exists already."""

    code = "conflict"
