"""Sending a form once: each form keeps an `Idempotency-Key` until it succeeds, and its
fields are emptied once the service accepts it.

A form's key is made when the form is first drawn and kept in the session until the
service accepts the request, so a retry after an error or a lost answer counts once.
A second click on the same, already accepted form within a few seconds reuses the key
that succeeded: the service answers with what it recorded the first time and adds
nothing.

A form's fields get their starting values from `starting_values`, not from the widgets'
`value=`: on first draw, and again after a success (`clear_form`), so that nobody sends
the same order twice by pressing again. A refused form keeps what was typed, to be fixed.
Fields that must be filled start empty and `ask_for_missing` names those left so.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.client import Api, ApiError, show_api_error
from dashboard.i18n import t

DOUBLE_SUBMIT_SECONDS = 10.0
OUTCOME_SECONDS = 30.0

FormMethod = Literal["POST", "PATCH"]


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


def send_form(api: Api, form: str, path: str, payload: Any, method: FormMethod) -> Outcome:
    """Send a form's payload: a POST once, with its idempotency key (`post_once`); a
    PATCH as it is, since setting the same values twice changes nothing."""
    if method == "POST":
        return post_once(api, form, path, payload)
    try:
        return Outcome(answer=api.patch(path, payload))
    except ApiError as error:
        return Outcome(error=error)


def starting_values(form: str, values: dict[str, Any]) -> None:
    """Give the fields of `form` (by widget key) their starting values: when first drawn,
    and again on the run after `clear_form`. Call it before drawing the widgets."""
    cleared = st.session_state.pop(f"clear:{form}", False)
    for key, value in values.items():
        if cleared or key not in st.session_state:
            st.session_state[key] = value


def clear_form(form: str) -> None:
    """Empty the fields of `form` on the next run (see `starting_values`)."""
    st.session_state[f"clear:{form}"] = True


def ask_for_missing(fields: dict[str, Any]) -> bool:
    """Whether every field is filled ({label: value}); if not, say which are empty."""
    empty = [label for label, value in fields.items() if value is None or value == ""]
    if empty:
        st.warning(t("form.missing", fields=", ".join(empty)), icon=":material/edit:")
    return not empty


def submit(
    api: Api,
    form: str,
    path: str,
    payload: Any,
    *,
    failure_heading: str,
    describe: Callable[[Any], str],
    method: FormMethod = "POST",
) -> None:
    """POST once, or PATCH (`send_form`). On success, empty the form and rerun the page
    so every list shows the change, with `describe(answer)` shown above the form; on
    refusal, show the service's reason and leave the form as it was typed."""
    outcome = send_form(api, form, path, payload, method)
    if outcome.error is not None:
        show_api_error(outcome.error, heading=failure_heading)
        return
    messages = [describe(outcome.answer)]
    if outcome.repeated:
        messages.append(t("hub.replayed"))
    clear_form(form)
    remember_outcome(form, *messages)
    st.rerun()


def rerun_fragment() -> None:
    """Redraw only the fragment whose button was pressed, as Streamlit does when a widget
    of a fragment is used; a press seen in a run of the whole page reruns the page."""
    context = get_script_run_ctx()
    st.rerun(scope="fragment" if context is not None and context.fragment_ids_this_run else "app")


@dataclass(frozen=True)
class Notice:
    """What a success said, and when."""

    messages: list[str]
    at: float  # time.monotonic()


def remember_outcome(form: str, *messages: str) -> None:
    """Messages for `show_outcome` to show on the runs that follow a success."""
    st.session_state[f"outcome:{form}"] = Notice(list(messages), time.monotonic())


def show_outcome(form: str) -> None:
    """What the last successful submission of `form` recorded, on every run for
    `OUTCOME_SECONDS` after it. Not only on the next run: a run of the page can be cut
    short by the next one (a fragment's refresh), and whoever sent the form must see that
    it went through, or they send it again."""
    notice = st.session_state.get(f"outcome:{form}")
    if not isinstance(notice, Notice) or time.monotonic() - notice.at > OUTCOME_SECONDS:
        st.session_state.pop(f"outcome:{form}", None)
        return
    first, *notes = notice.messages
    st.success(first, icon="✅")
    for note in notes:
        st.info(note, icon=":material/info:")
