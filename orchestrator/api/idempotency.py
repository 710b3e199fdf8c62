"""`Idempotency-Key` support: a retried request counts once and gets the first answer.

The stored answer is written in the same transaction as the request's own work, so either
both land or neither does. Two concurrent requests with one key meet on the table's
unique index: the second waits for the first and then replays its answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from orchestrator.errors import Unprocessable
from orchestrator.tables import Account, IdempotencyRecord, id_of

Public = TypeVar("Public", bound=SQLModel)


def fingerprint(route: str, body: BaseModel | None) -> str:
    payload = body.model_dump_json() if body is not None else ""
    return hashlib.sha256(f"{route}\n{payload}".encode()).hexdigest()


def stored_answer(record: IdempotencyRecord, expected_fingerprint: str) -> Any:
    if record.request_fingerprint != expected_fingerprint:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request. "
            "Use a new key for a new request."
        )
    return json.loads(record.response_body)


def commit_once(
    *,
    session: Session,
    account: Account,
    key: str | None,
    route: str,
    body: BaseModel | None,
    act: Callable[[], Any],
    public: Callable[[Any], BaseModel],
) -> Any:
    """Run `act` and commit, unless this key already ran: then return the stored answer."""
    if key is None:
        answer = public(act())
        session.commit()
        return answer
    expected = fingerprint(route, body)
    query = select(IdempotencyRecord).where(
        IdempotencyRecord.account_id == account.id, IdempotencyRecord.key == key
    )
    earlier = session.exec(query).first()
    if earlier is not None:
        return stored_answer(earlier, expected)
    record = IdempotencyRecord(account_id=id_of(account), key=key, request_fingerprint=expected)
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
