"""Domain errors. The data layer raises them; one handler in the API maps them to HTTP.

Each message is written for the person who reads it: what was wrong and what to do. The
message stays in English for API clients; `code` and `params` let the web app say the
same in the reader's language (`apierror.<code>` in dashboard/i18n.py, whose
placeholders are the params' names). A code is stable: clients may rely on it.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, code: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.params = params


class InvalidRequest(DomainError):
    status_code = 400


class Unauthenticated(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class InsufficientStock(Conflict):
    """A movement would take a stock balance below zero."""

    def __init__(self, item: str, stage: str, needed: int, available: int, scope: str = "") -> None:
        where = f"{item} at stage {stage}{scope}"
        super().__init__(
            f"Not enough {where}: {needed} needed, {available} available. "
            "Record the missing stock first, or ask for fewer.",
            code="not_enough_stock",
            item=item,
            stage=stage,
            needed=needed,
            available=available,
        )
        self.item, self.stage, self.needed, self.available = item, stage, needed, available


class Unprocessable(DomainError):
    status_code = 422
