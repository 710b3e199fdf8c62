"""Our adapter over one OctoPrint server's REST API (through octorest 0.4).

It owns the quirks measured on OctoPrint 1.11.8 and octorest 0.4, so nothing above it
meets them:
- octorest sets no timeouts: every request goes through a session whose adapter sets one;
- octorest's constructor calls the server at once: we build it lazily, on the first call,
  and build it again on the next call if that failed;
- `upload(select=True, print=True)` ignores both flags: we upload, then `select(print=True)`;
- `/api/printer` answers 409 when the printer is not operational: state comes from
  `/api/connection` and `/api/job`, temperatures only when they can be read;
- octorest raises a bare RuntimeError: we raise typed errors (`OctoPrintError` and kin);
- no redirect is followed: requests would carry the `X-Api-Key` header along (it strips
  only `Authorization` when the host changes).

An error's message is in our words: what OctoPrint did ("OctoPrint answered 404"), never
its URL nor what it wrote back, since the message may end up in a job's reason that other
makers read. What OctoPrint wrote is kept in `detail`, for the log of whoever runs it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import requests
from octorest import OctoRest
from requests.adapters import HTTPAdapter

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0
UPLOAD_TIMEOUT_SECONDS = 120.0


class OctoPrintError(Exception):
    """OctoPrint did not do what was asked; `status_code` is its HTTP answer, if any, and
    `detail` what it (or the network) said, for a log only."""

    def __init__(
        self, message: str, status_code: int | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail

    def for_log(self) -> str:
        return f"{self} ({self.detail})" if self.detail else str(self)


class OctoPrintUnreachable(OctoPrintError):
    """No answer from OctoPrint: it is down, restarting, or the URL is wrong."""


class OctoPrintUnauthorised(OctoPrintError):
    """OctoPrint refused the API key (HTTP 401 or 403)."""


class OctoPrintWrongState(OctoPrintError):
    """The printer cannot do that now (HTTP 409), e.g. cancel while idle."""


class OctoPrintFileRejected(OctoPrintError):
    """OctoPrint refused the uploaded G-code file."""


class PrinterActivity(StrEnum):
    """What OctoPrint says the printer is doing, in fewer words than its state texts."""

    DISCONNECTED = "disconnected"
    READY = "ready"
    PRINTING = "printing"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    BUSY = "busy"
    ERROR = "error"


# OctoPrint's state texts (octoprint.util.comm), matched by their beginning.
_ACTIVITY_BY_STATE_PREFIX: tuple[tuple[str, PrinterActivity], ...] = (
    ("Operational", PrinterActivity.READY),
    ("Printing", PrinterActivity.PRINTING),
    ("Starting", PrinterActivity.PRINTING),
    ("Resuming", PrinterActivity.PRINTING),
    ("Finishing", PrinterActivity.PRINTING),
    ("Pausing", PrinterActivity.PAUSED),
    ("Paused", PrinterActivity.PAUSED),
    ("Cancelling", PrinterActivity.CANCELLING),
    ("Offline after error", PrinterActivity.ERROR),
    ("Error", PrinterActivity.ERROR),
    ("Offline", PrinterActivity.DISCONNECTED),
    ("Closed", PrinterActivity.DISCONNECTED),
    ("Opening serial", PrinterActivity.DISCONNECTED),
    ("Detecting", PrinterActivity.DISCONNECTED),
    ("Connecting", PrinterActivity.DISCONNECTED),
)


def activity_from_state_text(text: str) -> PrinterActivity:
    for prefix, activity in _ACTIVITY_BY_STATE_PREFIX:
        if text.startswith(prefix):
            return activity
    # Transfers to SD and states added by later OctoPrint versions: not ready for a job.
    return PrinterActivity.BUSY


@dataclass(frozen=True)
class HeaterReading:
    actual: float | None
    target: float | None


@dataclass(frozen=True)
class OctoPrintSnapshot:
    activity: PrinterActivity
    state_text: str
    file_name: str | None = None
    progress: float | None = None
    temperatures: dict[str, HeaterReading] = field(default_factory=dict)


@dataclass(frozen=True)
class LastPrint:
    """OctoPrint's record of a file's last print: `date` is when it ended (unix seconds)."""

    success: bool
    date: float


class TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout, since octorest passes none."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def session_with_timeout(timeout: float = DEFAULT_TIMEOUT_SECONDS) -> requests.Session:
    return session_through(TimeoutAdapter(timeout))


def session_through(adapter: HTTPAdapter) -> requests.Session:
    """A session whose every request goes through `adapter` and follows no redirect."""
    session = requests.Session()
    session.max_redirects = 0  # a redirect raises TooManyRedirects before it is followed
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _TypedOctoRest(OctoRest):
    """octorest with our errors instead of its RuntimeError."""

    def _check_response(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if 200 <= status < 300:
            return response
        detail = _error_text(response)
        if status in (401, 403):
            raise OctoPrintUnauthorised(
                "OctoPrint refused the API key; check the key in OctoPrint's user settings",
                status,
                detail,
            )
        if status == 409:
            raise OctoPrintWrongState(
                "OctoPrint answered 409: the printer cannot do that now", status, detail
            )
        raise OctoPrintError(f"OctoPrint answered {status}", status, detail)


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])[:200]
    return str(body)[:200]


Result = TypeVar("Result")


class OctoPrintAdapter:
    """One OctoPrint server. Every method raises only `OctoPrintError` subclasses."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        session: requests.Session | None = None,
    ) -> None:
        """`session`, when given, carries every request (and sets its timeouts): the service
        passes one that holds to its outbound policy."""
        self.url = url.rstrip("/")
        self._api_key = api_key
        self._session = session or session_with_timeout(timeout)
        self._client: _TypedOctoRest | None = None

    def _rest(self) -> _TypedOctoRest:
        if self._client is None:
            # The constructor asks the server for its version: a failure here leaves
            # `_client` unset, so the next call tries again.
            self._client = self._call(
                lambda: _TypedOctoRest(url=self.url, apikey=self._api_key, session=self._session)
            )
        return self._client

    def _call(self, request: Callable[[], Result]) -> Result:
        try:
            return request()
        except OctoPrintError:
            raise
        except requests.TooManyRedirects as error:
            raise OctoPrintError(
                "OctoPrint answered with a redirect; give the address it answers at itself "
                "(https:// if it redirects there)",
                error.response.status_code if error.response is not None else None,
            ) from error
        except requests.Timeout as error:
            raise OctoPrintUnreachable(
                "OctoPrint did not answer in time", detail=str(error)
            ) from error
        except requests.RequestException as error:
            raise OctoPrintUnreachable(
                "OctoPrint could not be reached", detail=str(error)
            ) from error
        except (ValueError, KeyError, TypeError) as error:
            raise OctoPrintError(
                "OctoPrint gave an answer that could not be read", detail=repr(error)
            ) from error

    def version(self) -> str:
        rest = self._rest()
        info = self._call(rest.get_version)
        return str(info.get("server", ""))

    def snapshot(self) -> OctoPrintSnapshot:
        """The printer's state, current file, progress and (when readable) temperatures."""
        rest = self._rest()
        connection = self._call(rest.connection_info)
        connection_state = str(connection["current"]["state"])
        activity = activity_from_state_text(connection_state)
        if activity in (PrinterActivity.DISCONNECTED, PrinterActivity.ERROR):
            return OctoPrintSnapshot(activity=activity, state_text=connection_state)
        job = self._call(rest.job_info)
        state_text = str(job.get("state") or connection_state)
        file_name = (job.get("job") or {}).get("file", {}).get("name")
        completion = (job.get("progress") or {}).get("completion")
        progress = None if completion is None else max(0.0, min(100.0, float(completion)))
        return OctoPrintSnapshot(
            activity=activity_from_state_text(state_text),
            state_text=state_text,
            file_name=file_name,
            progress=progress,
            temperatures=self._temperatures(rest),
        )

    def _temperatures(self, rest: _TypedOctoRest) -> dict[str, HeaterReading]:
        try:
            printer = self._call(lambda: rest.printer(exclude=["sd", "state"]))
        except OctoPrintWrongState:
            return {}  # 409 while the printer is not operational: no readings to give
        readings = {}
        for name, values in (printer.get("temperature") or {}).items():
            if isinstance(values, dict) and name != "history":
                readings[name] = HeaterReading(
                    actual=_number(values.get("actual")), target=_number(values.get("target"))
                )
        return readings

    def start_print(self, filename: str, gcode: bytes) -> None:
        """Upload `gcode` as `filename`, select it and start printing it."""
        rest = self._rest()
        try:
            self._call(lambda: rest.upload((filename, io.BytesIO(gcode)), location="local"))
        except (OctoPrintUnauthorised, OctoPrintUnreachable):
            raise
        except OctoPrintError as error:
            raise OctoPrintFileRejected(
                f"OctoPrint refused the file: {error}", error.status_code, error.detail
            ) from error
        # octorest's upload() drops select/print, hence the separate file command.
        self._call(lambda: rest.select(f"local/{filename}", print=True))

    def cancel(self) -> None:
        rest = self._rest()
        self._call(rest.cancel)

    def pause(self) -> None:
        rest = self._rest()
        self._call(rest.pause)

    def resume(self) -> None:
        rest = self._rest()
        self._call(rest.resume)

    def last_print(self, filename: str) -> LastPrint | None:
        """OctoPrint's `prints.last` for the file, or None if it was never printed (or gone)."""
        rest = self._rest()
        try:
            info = self._call(lambda: rest.files_info("local", filename))
        except OctoPrintError as error:
            if error.status_code == 404:
                return None
            raise
        last = ((info.get("prints") or {}).get("last")) or {}
        if "success" not in last:
            return None
        return LastPrint(success=bool(last["success"]), date=float(last.get("date") or 0.0))

    def last_print_success(self, filename: str) -> bool | None:
        last = self.last_print(filename)
        return None if last is None else last.success

    def delete_file(self, filename: str) -> None:
        rest = self._rest()
        self._call(lambda: rest.delete(f"local/{filename}"))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
