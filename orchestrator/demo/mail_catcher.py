"""The demo's post office, on loopback: a mail catcher and an SMS recorder.

`makerline demo` sends real messages through the real sender (`makerline notify`), so it
needs somewhere for them to land that is not someone's inbox or phone:

- `MailCatcher` is an SMTP server (aiosmtpd) that accepts every e-mail and writes it as
  an `.eml` file, which any mail reader opens;
- `SmsRecorder` answers as a RaspiSMS gateway does, the one the AJR centre sent its SMS
  through in 2020: `POST /api/scheduled/` with an `X-Api-Key` header and the form fields
  `text` and `numbers`, answered with RaspiSMS's JSON envelope. It writes each SMS as a
  line of a log instead of handing it to a modem.

Both run in threads of the process that starts them (the demo, or a test), keep what they
received in memory too, and write each message whole (to a temporary name, then renamed),
so that a reader never sees half of one.
"""

from __future__ import annotations

import email
import itertools
import json
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

SMS_PATH = "/api/scheduled/"
SMS_FIELDS_MAX_BYTES = 64 * 1024  # a form with one SMS in it; anything larger is refused
# RaspiSMS's error codes (controllers/publics/Api.php), as a sender would read them.
INVALID_CREDENTIALS = 1
MISSING_PARAMETER = 4


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` under a temporary name, then rename it: the file appears complete."""
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class _MailHandler:
    """aiosmtpd's handler: every message accepted, kept, and written as a file."""

    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.catcher.keep(content, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class MailCatcher:
    """An SMTP server on `host` that keeps every e-mail it receives (`received`) and, with
    a `mail_dir`, writes each as `<time>-<number>.eml` there. Port 0 takes a free one."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mail_dir: Path | None = None):
        self.mail_dir = mail_dir
        self.received: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        if mail_dir is not None:
            mail_dir.mkdir(parents=True, exist_ok=True)
        # SMTPUTF8: the texts are French, and a sender may write accents in headers.
        self._controller = Controller(
            _MailHandler(self), hostname=host, port=port or _free_port(host), enable_SMTPUTF8=True
        )

    @property
    def host(self) -> str:
        return str(self._controller.hostname)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def keep(self, content: bytes, recipients: list[str]) -> None:
        message = email.message_from_bytes(content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self._lock:
            number = next(self._numbers)
            if self.mail_dir is not None:
                stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
                write_whole(self.mail_dir / f"{stamp}-{number:05d}.eml", content)
            self.received.append(message)
            self.recipients.append(recipients)


@dataclass(frozen=True)
class Sms:
    numbers: tuple[str, ...]
    text: str
    at: str | None  # RaspiSMS's "Y-m-d H:i:s", when the sender scheduled it for later


class SmsRecorder:
    """An HTTP server on `host` shaped like RaspiSMS's API for sending an SMS: it keeps
    each SMS (`received`) and, with an `sms_log`, adds it there as one line. A request
    without the right `api_key` is refused with 401, as RaspiSMS refuses it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        sms_log: Path | None = None,
        api_key: str = "demo-raspisms-key",
    ) -> None:
        self.sms_log = sms_log
        self.api_key = api_key
        self.received: list[Sms] = []
        self._lock = threading.Lock()
        if sms_log is not None:
            sms_log.parent.mkdir(parents=True, exist_ok=True)
            sms_log.touch()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sms-recorder", daemon=True
        )

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The gateway's address, as a RaspiSMS server's is given: its root."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> SmsRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def keep(self, sms: Sms) -> int:
        """Record one SMS; returns its id, as RaspiSMS returns the scheduled message's."""
        with self._lock:
            self.received.append(sms)
            if self.sms_log is not None:
                stamp = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")
                flat = " / ".join(line for line in sms.text.splitlines() if line.strip())
                with self.sms_log.open("a", encoding="utf-8") as log:
                    log.write(f"{stamp}  {', '.join(sms.numbers)}  {flat}\n")
            return len(self.received)


def _handler_for(recorder: SmsRecorder) -> type[BaseHTTPRequestHandler]:
    class RaspiSmsApi(BaseHTTPRequestHandler):
        server_version = "RaspiSMS-recorder"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a request line names no number, but the demo's log needs none."""

        def answer(self, status: int, error: int = 0, message: str | None = None, **extra: Any):
            body = {"error": error, "message": message, "response": None, "next": None}
            body |= {"prev": None, **extra}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.rstrip("/") != SMS_PATH.rstrip("/"):
                self.answer(404, message="Not found")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > SMS_FIELDS_MAX_BYTES:
                self.answer(413, message="Too large")
                return
            raw = self.rfile.read(length)
            # PHP's $_POST: only a form is read (urlencoded), as RaspiSMS reads it.
            form_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            form = (
                parse_qs(raw.decode("utf-8", "replace")) if form_type.endswith("urlencoded") else {}
            )
            query = parse_qs(parts.query)
            key = self.headers.get("X-Api-Key") or first(form, "api_key") or first(query, "api_key")
            if key != recorder.api_key:
                self.answer(401, INVALID_CREDENTIALS, "Invalid API Key.")
                return
            text = first(form, "text")
            numbers = tuple(form.get("numbers", []) + form.get("numbers[]", []))
            if not text or not numbers:
                missing = "text" if not text else "numbers"
                self.answer(400, MISSING_PARAMETER, f"One require parameter is missing : {missing}")
                return
            sent = recorder.keep(Sms(numbers=numbers, text=text, at=first(form, "at")))
            self.answer(200, response=sent)

    return RaspiSmsApi


def first(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


def _free_port(host: str) -> int:
    """aiosmtpd needs a port number before it listens (it checks it answers)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
