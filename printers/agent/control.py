"""The local channel between the maker and a running agent: a Unix socket in its state dir.

The socket file is made readable and writable by its owner only, so only the maker's own
account (or root) can confirm a bed clear. One request per connection: a line with a verb
(`clear` or `status`), answered by one JSON line `{"ok": bool, "message": str}`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

VERBS = ("clear", "status")
MAX_REQUEST_BYTES = 256


class ControlError(RuntimeError):
    """The agent could not be reached on its control socket."""


@dataclass(frozen=True)
class ControlReply:
    ok: bool
    message: str


ControlHandler = Callable[[str], ControlReply]


class ControlServer:
    """Accepts requests on the socket in a thread of its own and hands them to `handler`."""

    def __init__(self, path: Path, handler: ControlHandler) -> None:
        self.path = path
        self._handler = handler
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left over by an agent that was killed
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            server.bind(str(self.path))
        finally:
            os.umask(old_umask)
        server.listen(8)
        server.settimeout(0.5)
        self._socket = server
        self._thread = threading.Thread(target=self._serve, name="agent-control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._socket is not None:
            self._socket.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _serve(self) -> None:
        assert self._socket is not None
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                try:
                    self._answer(connection)
                except Exception:
                    # A broken request must never stop the agent from listening.
                    log.exception("control request failed")

    def _answer(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        request = _read_line(connection).strip().lower()
        if request not in VERBS:
            reply = ControlReply(False, f"unknown request {request!r}; use one of {VERBS}")
        else:
            reply = self._handler(request)
        connection.sendall(json.dumps({"ok": reply.ok, "message": reply.message}).encode() + b"\n")


def send_control_request(path: Path, verb: str, timeout: float = 15.0) -> ControlReply:
    """Ask the agent listening on `path`; raises `ControlError` if no agent answers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout)
            client.connect(str(path))
            client.sendall(verb.encode() + b"\n")
            answer = json.loads(_read_line(client))
    except (OSError, ValueError) as error:
        raise ControlError(
            f"no agent answers on {path} ({error}): start it with `makerline agent` "
            "(with the same --config or --state-dir, if you gave one)"
        ) from error
    return ControlReply(ok=bool(answer.get("ok")), message=str(answer.get("message", "")))


def _read_line(connection: socket.socket) -> str:
    data = b""
    while b"\n" not in data and len(data) < MAX_REQUEST_BYTES * 64:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode(errors="replace")
