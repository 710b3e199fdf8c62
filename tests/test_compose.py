"""docker-compose.yml, checked without a Docker engine (none runs here): its services and
how they wait for each other, that every variable it sets is one the program reads, that
.env.example covers what it interpolates, that its ports agree, and that the Mosquitto
config and the Dockerfile it refers to say what production needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.core.config import Settings
from orchestrator.link.broker_files import ACL_FILE, PASSWORD_FILE
from printers.agent_config import AgentSettings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {"setup"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT
# Variables that an image itself reads.
IMAGE_VARIABLES = {"postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}}
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else " ".join(map(str, value))


def mosquitto_conf() -> dict[str, str]:
    lines = (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    pairs = (line.split(None, 1) for line in lines if line.strip() and not line.startswith("#"))
    return {key: value.strip() for key, value in pairs}


def test_the_issue_s_services_are_all_there() -> None:
    assert set(SERVICES) == {
        "postgres",
        "setup",
        "mosquitto",
        "api",
        "orchestrator",
        "board",
        "octoprint",
        "agent",
    }


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_every_long_running_service_has_a_healthcheck_and_restarts(name: str) -> None:
    service = SERVICES[name]
    assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    assert service["restart"] == "unless-stopped"


def test_the_one_shot_setup_runs_once_and_writes_the_broker_files() -> None:
    setup = SERVICES["setup"]
    assert setup["restart"] == "no"
    command = text_of(setup["command"])
    assert "makerline migrate" in command
    assert "makerline broker-files --out /broker-auth" in command


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_wait_on_the_right_condition(name: str) -> None:
    for dependency, rule in SERVICES[name].get("depends_on", {}).items():
        expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
        assert rule == {"condition": expected}, f"{name} on {dependency}"
        if expected == "service_healthy":
            assert "healthcheck" in SERVICES[dependency]


def test_start_up_order() -> None:
    def waits_for(name: str) -> set[str]:
        return set(SERVICES[name].get("depends_on", {}))

    assert waits_for("setup") == {"postgres"}
    assert waits_for("mosquitto") == {"setup"}  # the password and ACL files exist first
    assert {"setup", "postgres", "mosquitto"} <= waits_for("api")
    assert {"setup", "postgres", "mosquitto"} <= waits_for("orchestrator")
    assert waits_for("board") == {"api"}
    assert waits_for("agent") == {"api", "mosquitto", "octoprint"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_variable_set_is_one_the_program_reads(name: str) -> None:
    service = SERVICES[name]
    checks = service.get("healthcheck", {}).get("test", "")
    used = text_of(service.get("command", "")) + " " + text_of(checks)
    for variable in service.get("environment", {}):
        if variable.startswith("MAKERLINE_AGENT_"):
            assert variable.removeprefix("MAKERLINE_AGENT_").lower() in AgentSettings.model_fields
        elif variable.startswith("MAKERLINE_"):
            assert variable.removeprefix("MAKERLINE_").lower() in Settings.model_fields, variable
        elif variable in IMAGE_VARIABLES.get(name, set()):
            continue
        elif variable.startswith("OCTOPRINT_") and name == "octoprint":
            assert variable in (ROOT / "printers" / "cli.py").read_text()
        else:
            assert f"$${variable}" in used, f"{name} sets {variable} but never uses it"


def test_env_example_covers_every_interpolated_variable_and_nothing_else() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(INTERPOLATION.findall(compose))
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert interpolated == example
    for variable in example:
        if variable.startswith("MAKERLINE_"):
            assert variable.removeprefix("MAKERLINE_").lower() in Settings.model_fields


def test_the_production_settings_are_required_not_defaulted() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    for secret in (
        "MAKERLINE_SECRET",
        "POSTGRES_PASSWORD",
        "MQTT_SERVICE_PASSWORD",
        "MAKERLINE_COORDINATOR_TOKEN",
        "MAKERLINE_INVITE_CODE",
    ):
        assert re.search(r"\$\{" + secret + r":\?", compose), f"{secret} must be required"
    env = COMPOSE["x-makerline-env"]
    assert env["MAKERLINE_ENVIRONMENT"] == "production"  # refuses the placeholder secret


def test_ports_agree() -> None:
    conf = mosquitto_conf()
    broker_port = int(conf["listener"])
    assert SERVICES["mosquitto"]["ports"] == [f"{broker_port}:{broker_port}"]
    assert f"@mosquitto:{broker_port}" in COMPOSE["x-makerline-env"]["MAKERLINE_MQTT_URL"]
    assert f"-p {broker_port}" in text_of(SERVICES["mosquitto"]["healthcheck"]["test"])
    assert f"mqtt://mosquitto:{broker_port}" in text_of(SERVICES["agent"]["command"])

    def port_after(flag: str, command: list[str]) -> int:
        return int(command[command.index(flag) + 1])

    api_port = port_after("--port", SERVICES["api"]["command"])
    assert SERVICES["api"]["ports"] == [f"{api_port}:{api_port}"]
    assert f"127.0.0.1:{api_port}/api/v1/health" in text_of(SERVICES["api"]["healthcheck"]["test"])
    assert f"http://api:{api_port}" in text_of(SERVICES["board"]["command"])
    assert f"--api-url http://api:{api_port}" in text_of(SERVICES["agent"]["command"])
    assert SERVICES["agent"]["environment"]["MAKERLINE_AGENT_API_URL"] == f"http://api:{api_port}"

    board_port = port_after("--port", SERVICES["board"]["command"])
    assert SERVICES["board"]["ports"] == [f"{board_port}:{board_port}"]
    assert f"127.0.0.1:{board_port}/_stcore/health" in text_of(
        SERVICES["board"]["healthcheck"]["test"]
    )
    octoprint_port = port_after("--port", SERVICES["octoprint"]["command"])
    assert f"127.0.0.1:{octoprint_port}/" in text_of(SERVICES["octoprint"]["healthcheck"]["test"])
    assert f"http://octoprint:{octoprint_port}" in text_of(SERVICES["agent"]["command"])
    assert "postgres:5432/" in COMPOSE["x-makerline-env"]["MAKERLINE_DATABASE_URL"]


def test_volumes_are_shared_where_the_processes_meet() -> None:
    def mounts(name: str) -> dict[str, str]:
        pairs = (volume.split(":")[:2] for volume in SERVICES[name].get("volumes", []))
        return {source: target for source, target in pairs}

    # The API serves the G-code the orchestrator slices into the data folder.
    assert mounts("api")["data"] == mounts("orchestrator")["data"] == "/data"
    # The broker reads the password and ACL files that setup and the API write.
    assert mounts("setup")["broker-auth"] == mounts("api")["broker-auth"] == "/broker-auth"
    assert mounts("mosquitto")["broker-auth"] == "/mosquitto/auth"
    assert SERVICES["api"]["environment"]["MAKERLINE_BROKER_AUTH_DIR"] == "/broker-auth"
    for name in SERVICES:
        for source in mounts(name):
            assert source.startswith("./") or source in COMPOSE["volumes"]


def test_mosquitto_is_configured_for_production() -> None:
    conf = mosquitto_conf()
    assert conf["allow_anonymous"] == "false"
    assert conf["password_file"] == f"/mosquitto/auth/{PASSWORD_FILE}"
    assert conf["acl_file"] == f"/mosquitto/auth/{ACL_FILE}"
    assert int(conf["max_queued_messages"]) >= 100_000
    assert int(conf["max_inflight_messages"]) >= 200
    assert conf["persistence"] == "true"
    assert SERVICES["mosquitto"]["entrypoint"] == ["/bin/sh", "/mosquitto/config/run.sh"]


def test_the_images_are_built_from_the_dockerfile_s_targets() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    targets = set(re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, re.MULTILINE))
    for name, service in SERVICES.items():
        if "build" in service:
            assert service["build"]["target"] in targets, name
    assert "prusa-slicer" in dockerfile
    assert "OctoPrint==1.11.8" in dockerfile
    assert re.search(r"^USER makerline$", dockerfile, re.MULTILINE)
