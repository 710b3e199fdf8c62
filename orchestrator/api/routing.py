"""Every API route's door: who is calling, and whether the body is one to read at all.

`GuardedRoute` runs before FastAPI reads a request's body, so that:
- a route that needs a token refuses a request without a valid one (401) before reading
  a byte of its body, and a client that keeps sending wrong tokens is slowed down (429);
- a JSON body is read strictly (`strict_json`): NaN, infinities, huge numbers, lone
  surrogates and NUL characters get a 422 naming the field;
- the body's size is bounded by Starlette's body limit (`max_body_size`, the app's and an
  upload route's own), which answers 413 from the Content-Length before reading.

The caller it finds is kept on `request.state.caller` for the dependencies in `deps`.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from orchestrator.api.deps import bearer_token
from orchestrator.api.errors import ERROR_RESPONSES
from orchestrator.api.rate_limits import Door, RateLimits, client_of
from orchestrator.api.strict_json import parse_strict_json
from orchestrator.database.tables import Account, Printer
from orchestrator.domain.errors import Unauthenticated
from orchestrator.domain.vocabulary import Role
from orchestrator.services.credentials import caller_for_token

READS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_TOKEN = "Send your token in an 'Authorization: Bearer <token>' header."
WRONG_TOKEN = "This token is not valid. Ask the coordinator for a new one."

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def api_router(**options: Any) -> APIRouter:
    """The one way routers are made: guarded routes, every error answer documented."""
    return APIRouter(route_class=GuardedRoute, responses=ERROR_RESPONSES, **options)


class GuardedRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()
        needs_token = _needs_token(self.dependant)

        async def guarded(request: Request) -> Response:
            if needs_token:
                request.state.caller = caller = await _authenticate(request)
                if request.method not in READS:
                    _count_write(request, caller)
            if _has_json_body(request):
                _value, problem = parse_strict_json(await request.body())
                if problem is not None:
                    raise RequestValidationError([problem.as_error()])
            return await handle(request)

        return guarded


def _needs_token(dependant: Dependant) -> bool:
    return any(sub.call is bearer_token for sub in _walk(dependant))


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)


def _count_write(request: Request, caller: Account | Printer) -> None:
    """Anyone may sign up, so a maker's (or a centre's, or a printer's) changes are bounded
    in rate; the coordinator's are not."""
    if isinstance(caller, Account) and caller.role == Role.COORDINATOR:
        return
    limits: RateLimits = request.app.state.rate_limits
    who = f"{type(caller).__name__}:{caller.id}"
    limits.check(Door.WRITE, who)
    limits.count(Door.WRITE, who)


def _has_json_body(request: Request) -> bool:
    if request.method in READS or request.method == "DELETE":
        return False
    content_type = request.headers.get("content-type")
    if not content_type:
        return False  # FastAPI reads JSON only when it is said to be JSON
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def bearer_of(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def _authenticate(request: Request) -> Account | Printer:
    token = bearer_of(request)
    if token is None:
        raise Unauthenticated(NO_TOKEN, code="token_missing")
    limits: RateLimits = request.app.state.rate_limits
    client = client_of(request)
    limits.check(Door.TOKEN, client)
    caller = await run_in_threadpool(_caller_for_token, request.app.state.engine, token)
    if caller is None:
        limits.count(Door.TOKEN, client)
        raise Unauthenticated(WRONG_TOKEN, code="token_invalid")
    return caller


def _caller_for_token(engine: Any, token: str) -> Account | Printer | None:
    with Session(engine, expire_on_commit=False) as session:
        return caller_for_token(session=session, token=token)
