"""Sending a form once: each form keeps an `Idempotency-Key` until it succeeds.

A form's key is made when the form is first drawn and kept in the session until the
service accepts the request, so a retry after an error or a lost answer counts once.
A second click on the same, already accepted form within a few seconds reuses the key
that succeeded: the service answers with what it recorded the first time and adds
nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dashboard.client import Api, ApiError, show_api_error
from dashboard.i18n import t

DOUBLE_SUBMIT_SECONDS = 10.0


def new_key() -> str:
    return str(uuid.uuid4())


def fingerprint(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, default=str)


@dataclass
class SubmissionKeys:
    """The idempotency keys of one form."""

    pending: str = field(default_factory=new_key)
    accepted_key: str | None = None
    accepted_fingerprint: str | None = None
    accepted_at: float = 0.0

    def key_for(self, payload_fingerprint: str, now: float) -> tuple[str, bool]:
        """The key to send, and whether it repeats a submission already accepted."""
        repeated = (
            self.accepted_key is not None
            and payload_fingerprint == self.accepted_fingerprint
            and now - self.accepted_at < DOUBLE_SUBMIT_SECONDS
        )
        if repeated and self.accepted_key is not None:
            return self.accepted_key, True
        return self.pending, False

    def accept(self, key: str, payload_fingerprint: str, now: float) -> None:
        """The service took the request sent with `key`: the next one gets a new key."""
        self.accepted_key = key
        self.accepted_fingerprint = payload_fingerprint
        self.accepted_at = now
        if key == self.pending:
            self.pending = new_key()


@dataclass
class Outcome:
    answer: Any = None
    error: ApiError | None = None
    repeated: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def keys_of(form: str) -> SubmissionKeys:
    state_key = f"idempotency:{form}"
    keys = st.session_state.get(state_key)
    if not isinstance(keys, SubmissionKeys):
        keys = SubmissionKeys()
        st.session_state[state_key] = keys
    return keys


def post_once(
    api: Api, form: str, path: str, payload: Any, *, params: dict[str, Any] | None = None
) -> Outcome:
    """POST a form's payload with the form's idempotency key."""
    keys = keys_of(form)
    signature = fingerprint([path, params, payload])
    key, repeated = keys.key_for(signature, time.monotonic())
    try:
        answer = api.post(path, payload, params=params, idempotency_key=key)
    except ApiError as error:
        return Outcome(error=error)
    keys.accept(key, signature, time.monotonic())
    return Outcome(answer=answer, repeated=repeated)


def submit(
    api: Api,
    form: str,
    path: str,
    payload: Any,
    *,
    failure_heading: str,
    describe: Callable[[Any], str],
) -> None:
    """POST once. On success, rerun the page so every list shows the change, with
    `describe(answer)` shown above the form; on refusal, show the service's reason and
    leave the form as it was typed."""
    outcome = post_once(api, form, path, payload)
    if outcome.error is not None:
        show_api_error(outcome.error, heading=failure_heading)
        return
    messages = [describe(outcome.answer)]
    if outcome.repeated:
        messages.append(t("hub.replayed"))
    remember_outcome(form, *messages)
    st.rerun()


def remember_outcome(form: str, *messages: str) -> None:
    """Messages for `show_outcome` to show after the rerun that follows a success."""
    st.session_state[f"flash:{form}"] = list(messages)


def show_outcome(form: str) -> None:
    """What the last successful submission of `form` recorded, once."""
    messages = st.session_state.pop(f"flash:{form}", None)
    if not messages:
        return
    first, *notes = messages
    st.success(first, icon="✅")
    for note in notes:
        st.info(note, icon=":material/info:")
