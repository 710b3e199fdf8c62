"""Rate limits per client on the doors anyone can knock on: sign-up, invite codes, tokens.

Counters live in `limits` storage (`MAKERLINE_RATE_LIMIT_STORAGE_URL`): in memory for one
API process, Redis for several behind a load balancer. A client is its address as the
server sees it; behind a reverse proxy, uvicorn takes it from `X-Forwarded-For` when the
proxy is one it trusts (`FORWARDED_ALLOW_IPS`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from orchestrator.core.config import Settings
from orchestrator.domain.errors import DomainError


class Door(StrEnum):
    SIGNUP = "signup"  # accounts made
    INVITE_CODE = "invite-code"  # wrong invite codes
    TOKEN = "token"  # wrong bearer tokens
    WRITE = "write"  # changes made by a maker, a health centre or a printer


class TooManyRequests(DomainError):
    """A door's allowance is used up: `wait` seconds until the next attempt counts."""

    status_code = 429

    def __init__(self, message: str, *, code: str, wait: int, **params: object) -> None:
        super().__init__(message, code=code, wait=wait, **params)
        self.retry_after = wait


_REFUSALS = {
    Door.SIGNUP: "Too many sign-ups from your address.",
    Door.INVITE_CODE: "Too many wrong invite codes from your address.",
    Door.TOKEN: "Too many wrong tokens from your address.",
    Door.WRITE: "Too many changes from your account.",
}


@dataclass
class RateLimits:
    limiter: MovingWindowRateLimiter
    rates: dict[Door, list[RateLimitItem]]

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        storage = storage_from_string(settings.rate_limit_storage_url)
        return cls(
            MovingWindowRateLimiter(storage),
            {
                Door.SIGNUP: parse_many(settings.signup_rate_limit),
                Door.INVITE_CODE: parse_many(settings.failed_invite_rate_limit),
                Door.TOKEN: parse_many(settings.failed_token_rate_limit),
                Door.WRITE: parse_many(settings.account_write_rate_limit),
            },
        )

    def check(self, door: Door, client: str) -> None:
        """Refuse (429) a client that has used up a door's allowance."""
        for rate in self.rates[door]:
            if not self.limiter.test(rate, door, client):
                reset_at = self.limiter.get_window_stats(rate, door, client).reset_time
                wait = max(1, math.ceil(reset_at - time.time()))
                raise TooManyRequests(
                    f"{_REFUSALS[door]} Wait {wait} seconds before trying again.",
                    code="too_many_requests",
                    door=door,
                    wait=wait,
                )

    def count(self, door: Door, client: str) -> None:
        for rate in self.rates[door]:
            self.limiter.hit(rate, door, client)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"
