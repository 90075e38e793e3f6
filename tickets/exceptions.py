"""The domain's errors. Services raise these; each interface maps them once
(API: 400/404/409, pages: form errors and messages, admin: messages)."""


class DomainError(Exception):
    """Base of every rule refusal. `code` is the API's 409 code where there is one."""

    code = "conflict"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransition(DomainError):
    """The current state does not allow the action."""

    code = "invalid_transition"


class DeadlinePassed(DomainError):
    """The action's deadline has passed, even if no sweep has run yet."""

    code = "deadline_passed"


class Conflict(DomainError):
    """Someone else got there first (a claim held by another reviewer, a duplicate)."""

    code = "conflict"


class ValidationError(DomainError):
    """Bad input: the API answers 400 with `field` as the key."""

    code = "invalid"


class NotFound(DomainError):
    """The object does not exist for this caller (out of scope is the same as missing)."""

    code = "not_found"
