"""`Idempotency-Key` support: a retried request counts once and gets the first answer.

The stored answer is written in the same transaction as the request's own work, so either
both land or neither does. Two concurrent requests with one key meet on the table's
unique index: the second waits for the first and then replays its answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from orchestrator.api.deps import CurrentAccount, IdempotencyKey, SessionDep
from orchestrator.database.tables import Account, IdempotencyRecord, id_of
from orchestrator.domain.errors import Unprocessable


def fingerprint(request: str, body: BaseModel | None) -> str:
    payload = body.model_dump_json() if body is not None else ""
    return hashlib.sha256(f"{request}\n{payload}".encode()).hexdigest()


def stored_answer(record: IdempotencyRecord, expected_fingerprint: str) -> Any:
    if record.request_fingerprint != expected_fingerprint:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request. "
            "Use a new key for a new request.",
            code="idempotency_key_reused",
        )
    return json.loads(record.response_body)


@dataclass(frozen=True)
class CommitOnce:
    """One request's unit of work, committed once per `Idempotency-Key`: what every POST
    that appends movements shares. A route gets it as a dependency (`CommitOnceDep`) and says
    only what is its own: the body, the work and how the work's result is shown."""

    session: Session
    account: Account
    key: str | None
    request: str  # method, path and query: with the body, what a retry must repeat

    def __call__(
        self, *, body: BaseModel | None, act: Callable[[], Any], public: Callable[[Any], BaseModel]
    ) -> Any:
        """Run `act` and commit, unless this key already ran: then return the stored
        answer (422 if the key ran for another request)."""
        session = self.session
        if self.key is None:
            answer = public(act())
            session.commit()
            return answer
        expected = fingerprint(self.request, body)
        query = select(IdempotencyRecord).where(
            IdempotencyRecord.account_id == self.account.id, IdempotencyRecord.key == self.key
        )
        earlier = session.exec(query).first()
        if earlier is not None:
            return stored_answer(earlier, expected)
        record = IdempotencyRecord(
            account_id=id_of(self.account), key=self.key, request_fingerprint=expected
        )
        try:
            session.add(record)
            session.flush()
        except IntegrityError:
            session.rollback()
            return stored_answer(session.exec(query).one(), expected)
        answer = public(act())
        record.status_code = 200
        record.response_body = answer.model_dump_json()
        session.add(record)
        session.commit()
        return answer


def commit_once_for(
    request: Request, session: SessionDep, account: CurrentAccount, key: IdempotencyKey = None
) -> CommitOnce:
    """The request's `CommitOnce`. The request is named by its method, path and query, so
    one key sent again to another path, or for another maker or health centre named in
    the query, is a different request."""
    query = f"?{request.url.query}" if request.url.query else ""
    return CommitOnce(
        session=session,
        account=account,
        key=key,
        request=f"{request.method} {request.url.path}{query}",
    )


CommitOnceDep = Annotated[CommitOnce, Depends(commit_once_for)]
