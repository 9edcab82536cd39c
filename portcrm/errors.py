"""Domain errors. Each carries a gettext message id and its parameters; the chat or CLI edge translates."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; translation happens where the error is shown."""
    return message


class DomainError(Exception):
    message: str = N_("The request could not be completed.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.message.format(**params) if params else self.message)


class NotFound(DomainError):
    message = N_("Not found.")


class Forbidden(DomainError):
    message = N_("You are not allowed to do that.")


class InvalidInput(DomainError):
    message = N_("The input is not valid.")


class Conflict(DomainError):
    message = N_("That conflicts with existing data.")


class FieldRefused(InvalidInput):
    """Input the rules refuse, naming the field at fault: an import file's columns have the fields' names,
    so an import reports the problem in its column."""

    def __init__(self, field: str, message: str, /, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field
