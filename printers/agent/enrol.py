"""`makerline agent enrol`: a maker's printer joins the network in one step.

It registers the printer with the service (`POST /api/v1/printers`, as the maker, or
first signing the maker up), then writes the agent's TOML file with the printer's id and
token, which the service shows only once, and the API's address (`api_url`), the one place
the agent will send that token. The file goes where the other `makerline agent` commands
look for it (`printers.agent.config.default_config_path`) unless `--config` says otherwise.
Run again with the same config, it finds the file and does nothing, so a container can
run it on every start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from printers.agent.config import write_agent_config

BED = re.compile(r"^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$")


class EnrolError(RuntimeError):
    """The service refused, or could not be reached; the message says what it answered."""


def parse_bed(text: str) -> tuple[float, float, float]:
    """'250x210x210' (X by Y by Z, in millimetres)."""
    match = BED.match(text.strip().lower())
    if match is None:
        raise ValueError(f"bed size {text!r} must look like 250x210x210 (millimetres)")
    x, y, z = (float(part) for part in match.groups())
    return x, y, z


@dataclass(frozen=True)
class Enrolment:
    api_url: str
    printer: dict[str, Any]  # the body of POST /printers
    broker_url: str
    octoprint_url: str
    octoprint_api_key: str
    config: Path
    state_dir: Path | None  # None: the agent's default, one folder per printer
    maker_token: str | None = None
    signup_name: str | None = None  # signs a new maker up when there is no token
    invite_code: str | None = None


@dataclass(frozen=True)
class Enrolled:
    printer_id: str
    created: bool
    maker_token: str | None = None  # set when this enrolment signed the maker up


def enrol(enrolment: Enrolment, http: httpx.Client) -> Enrolled:
    if enrolment.config.exists():
        return Enrolled(printer_id=existing_printer_id(enrolment.config), created=False)
    signed_up = None
    token = enrolment.maker_token
    if token is None:
        if not enrolment.signup_name:
            raise EnrolError("give the maker's token (--token), or a name to sign up with")
        signed_up = token = sign_up(enrolment, http)
    try:
        created = call(
            http,
            "POST",
            f"{enrolment.api_url}/api/v1/printers",
            token,
            enrolment.printer,
            "register the printer",
        )
    except EnrolError as error:
        if signed_up is None:
            raise
        raise EnrolError(
            f"{error}\nYou are signed up all the same; your maker token, shown once: "
            f"{signed_up}. Enrol again with --token instead of --signup."
        ) from error
    write_config(enrolment, str(created["id"]), created["token"])
    return Enrolled(printer_id=str(created["id"]), created=True, maker_token=signed_up)


def sign_up(enrolment: Enrolment, http: httpx.Client) -> str:
    body = {"name": enrolment.signup_name, "role": "maker"}
    if enrolment.invite_code:
        body["invite_code"] = enrolment.invite_code
    answer = call(http, "POST", f"{enrolment.api_url}/api/v1/signup", None, body, "sign up")
    return str(answer["token"])


def call(
    http: httpx.Client, method: str, url: str, token: str | None, body: Any, doing: str
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = http.request(method, url, json=body, headers=headers)
    except httpx.HTTPError as error:
        raise EnrolError(f"could not {doing}: {url} did not answer ({error})") from error
    if answer.status_code >= 400:
        try:
            detail = answer.json().get("detail")
        except ValueError:
            detail = answer.text[:200]
        raise EnrolError(f"could not {doing}: the service answered {answer.status_code}: {detail}")
    return answer.json()


def write_config(enrolment: Enrolment, printer_id: str, printer_token: str) -> None:
    values = {
        "printer_id": printer_id,
        "printer_token": printer_token,
        "api_url": enrolment.api_url,
        "broker_url": enrolment.broker_url,
        "octoprint_url": enrolment.octoprint_url,
        "octoprint_api_key": enrolment.octoprint_api_key,
    }
    if enrolment.state_dir is not None:
        values["state_dir"] = str(enrolment.state_dir)
    write_agent_config(enrolment.config, values)


def existing_printer_id(config: Path) -> str:
    import tomllib

    try:
        return str(tomllib.loads(config.read_text())["printer_id"])
    except (tomllib.TOMLDecodeError, KeyError) as error:
        raise EnrolError(f"{config} exists but names no printer_id: move it away first") from error
