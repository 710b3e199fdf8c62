"""Sending a form once: each form keeps an `Idempotency-Key` until it succeeds, and its
fields are emptied once the service accepts it.

A form's key is made when the form is first drawn and kept in the session until the
service accepts the request, so a retry after an error or a lost answer counts once.
A second click on the same, already accepted form within a few seconds reuses the key
that succeeded: the service answers with what it recorded the first time and adds
nothing.

A form is sent from its submit button's `on_click` (and a lone button acts from its own):
Streamlit calls it at the start of the run that follows the press, before the page is
drawn, so a press does not depend on that run reaching the form (a fragment's refresh can
cut it short), and the page is drawn once, with the answer. A callback draws nothing:
what it has to say (done, refused, fields missing) is kept for the form, and
`show_outcome` shows it where the form is drawn. Its fields are read from
`st.session_state` by the widgets' keys.

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

from dashboard.client import Api, ApiError, show_api_error
from dashboard.i18n import t

DOUBLE_SUBMIT_SECONDS = 10.0
OUTCOME_SECONDS = 30.0  # a success is shown this long: runs cut short must not hide it
REFUSAL_SECONDS = 300.0  # a refusal or a missing field, while the person fixes the form

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


def ask_for_missing(form: str, fields: dict[str, Any]) -> bool:
    """Whether every field is filled ({label: value}); if not, keep for the form a
    warning that names the empty ones."""
    empty = [label for label, value in fields.items() if value is None or value == ""]
    if empty:
        remember(form, Notice("missing", [t("form.missing", fields=", ".join(empty))]))
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
    """POST once, or PATCH (`send_form`), from the form's `on_click`. On success, empty
    the form and keep `describe(answer)` for it; on refusal, keep the service's reason
    under `failure_heading` and leave the form as it was typed."""
    outcome = send_form(api, form, path, payload, method)
    if outcome.error is not None:
        remember_refusal(form, outcome.error, failure_heading)
        return
    messages = [describe(outcome.answer)]
    if outcome.repeated:
        messages.append(t("hub.replayed"))
    clear_form(form)
    remember_outcome(form, *messages)


def entered(key: str) -> Any:
    """What a field holds, by its widget's key, as a form's `on_click` reads it."""
    return st.session_state.get(key)


@dataclass(frozen=True)
class Notice:
    """What a form's last sending said (`kind`: done; refused by the service; missing
    fields, or another reason it was not sent), and when."""

    kind: Literal["done", "refused", "missing", "not_sent"]
    messages: list[str]
    error: ApiError | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def expired(self) -> bool:
        lasts = OUTCOME_SECONDS if self.kind == "done" else REFUSAL_SECONDS
        return time.monotonic() - self.at > lasts


def remember(form: str, notice: Notice) -> None:
    st.session_state[f"outcome:{form}"] = notice


def remember_outcome(form: str, *messages: str) -> None:
    """A success, for `show_outcome` to show on the runs that follow."""
    remember(form, Notice("done", list(messages)))


def remember_refusal(form: str, error: ApiError, heading: str | None = None) -> None:
    """What the service refused, for `show_outcome` to show under `heading`."""
    remember(form, Notice("refused", [heading] if heading else [], error))


def remember_not_sent(form: str, sentence: str) -> None:
    """Why the form was not sent, though nothing was wrong with it (the service lacks
    the feature it needs), for `show_outcome` to show as a warning."""
    remember(form, Notice("not_sent", [sentence]))


def forget_outcome(form: str) -> None:
    st.session_state.pop(f"outcome:{form}", None)


def show_outcome(form: str) -> None:
    """What the last sending of `form` said, where the form is drawn. A success shows on
    every run for `OUTCOME_SECONDS` after it, not only on the next run: a run of the page
    can be cut short by the next one (a fragment's refresh), and whoever sent the form must
    see that it went through, or they send it again."""
    notice = st.session_state.get(f"outcome:{form}")
    if not isinstance(notice, Notice) or notice.expired:
        forget_outcome(form)
        return
    if notice.kind == "refused" and notice.error is not None:
        show_api_error(notice.error, heading=notice.messages[0] if notice.messages else None)
    elif notice.kind == "missing":
        st.warning(notice.messages[0], icon=":material/edit:")
    elif notice.kind == "not_sent":
        st.warning(notice.messages[0], icon="⚠️")
    else:
        first, *notes = notice.messages
        st.success(first, icon="✅")
        for note in notes:
            st.info(note, icon=":material/info:")
