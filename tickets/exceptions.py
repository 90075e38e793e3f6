"""The domain's errors. Services raise these; each interface maps them once
(API: 400/404/409, pages: form errors and messages, admin: messages)."""

from django.utils.translation import gettext as _


class DomainError(Exception):
    """Base of every rule refusal. `code` is the API's 409 code where there is one."""

    code = "conflict"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        # Further refusals found by the same check, so that a form can show them all at once.
        self.more: list[DomainError] = []

    @classmethod
    def together(cls, errors: list["DomainError"]) -> "DomainError":
        """The first of `errors`, carrying the rest in `more` (interfaces that show one error,
        like the API, show the first)."""
        first, *rest = errors
        first.more = [*first.more, *rest]
        return first

    def all(self) -> list["DomainError"]:
        return [self, *self.more]


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


class Forbidden(DomainError):
    """The caller may see the object but not take this action (a reviewer who is not a lead
    assigning a complaint): 403."""

    code = "forbidden"


class NotFound(DomainError):
    """The object does not exist for this caller (out of scope is the same as missing)."""

    code = "not_found"


class TimedOut(DomainError):
    """A bounded piece of work (a what-if preview) ran past its time and was stopped; nothing
    changed."""

    code = "timed_out"


def domain_errors(service):
    """Outside a service's transaction: turn what the database or django-fsm says when another
    actor got there first into domain errors, so no interface ever shows it as a 500."""
    import functools
    import logging

    from django.db import IntegrityError
    from django_fsm import ConcurrentTransition, TransitionNotAllowed

    logger = logging.getLogger(service.__module__)

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except ConcurrentTransition:
            raise Conflict(_("Another action changed this first; reload and try again.")) from None
        except TransitionNotAllowed as error:
            raise InvalidTransition(str(error)) from None
        except IntegrityError as error:
            logger.info("%s refused by a constraint: %s", service.__name__, error)
            raise Conflict(_("Another action got there first; reload and try again.")) from None

    return wrapper
