"""docker-compose.yml, checked without a Docker engine (none runs here): its services and
how they wait for each other, that every variable it sets is one the program reads, that
.env.example covers what it interpolates, that its ports agree and only the proxy and the
broker's TLS face the world, that Caddy routes each path to the right service, and that
the Mosquitto config and the Dockerfile it refers to say what production needs."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.routing import Mount, Route

from dashboard.account import PAGES
from orchestrator.api.app import API_PREFIX, create_app
from orchestrator.core.config import Settings, SettingsError, load_settings
from orchestrator.link.broker_files import ACL_FILE, PASSWORD_FILE
from printers.agent.config import AgentSettings
from printers.protocol.payloads import MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {"setup"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT
# Variables that an image itself reads, or a program in it other than makerline.
IMAGE_VARIABLES = {
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"},
    "api": {"FORWARDED_ALLOW_IPS"},  # uvicorn: whose X-Forwarded-For it believes
    "board": {"FORWARDED_ALLOW_IPS"},  # Streamlit's uvicorn, the same
}
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?]([^}]*))?\}")
CADDYFILE = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else " ".join(map(str, value))


def mosquitto_conf() -> tuple[dict[str, str], dict[int, dict[str, str]]]:
    """The global options, and each listener's port with its own options (those that
    follow it, such as certfile)."""
    lines = (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    options: dict[str, str] = {}
    listeners: dict[int, dict[str, str]] = {}
    for key, value in (line.split(None, 1) for line in lines if line.strip() and line[0] != "#"):
        if key == "listener":
            listeners[int(value)] = {}
        elif key in ("certfile", "keyfile"):
            listeners[list(listeners)[-1]][key] = value.strip()
        else:
            options[key] = value.strip()
    return options, listeners


def env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.splitlines() if line and line[0] != "#")
    return {key: value for key, value in pairs}


def mounts(name: str) -> dict[str, str]:
    """A service's volumes, source to target; `${VAR:-default}` stands for its default."""
    pairs = (volume.rsplit(":", 2)[:2] for volume in SERVICES[name].get("volumes", []))
    return {INTERPOLATION.sub(r"\2", source): target for source, target in pairs}


def deploy_files_of(name: str) -> str:
    """The text of the repository's files a service mounts (its scripts and configs)."""
    texts = []
    for source in mounts(name):
        if source.startswith("./"):
            path = ROOT / source
            files = sorted(path.rglob("*")) if path.is_dir() else [path]
            texts += [file.read_text() for file in files if file.is_file()]
    return "\n".join(texts)


def published(name: str) -> list[tuple[str, int, int]]:
    """A service's published ports as (host address, host port, container port)."""
    result = []
    for port in SERVICES[name].get("ports", []):
        *address, host, container = port.split(":")
        result.append((address[0] if address else "0.0.0.0", int(host), int(container)))
    return result


def port_after(flag: str, command: list[str]) -> int:
    return int(command[command.index(flag) + 1])


API_PORT = port_after("--port", SERVICES["api"]["command"])
BOARD_PORT = port_after("--port", SERVICES["board"]["command"])


def test_the_issue_s_services_are_all_there() -> None:
    assert set(SERVICES) == {
        "postgres",
        "setup",
        "mosquitto",
        "api",
        "orchestrator",
        "notify",
        "board",
        "caddy",
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
    # The broker waits for Caddy's certificate and the API for the broker: Caddy waiting
    # for the API would be a circle.
    assert waits_for("caddy") == set()


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_variable_set_is_one_the_program_reads(name: str) -> None:
    service = SERVICES[name]
    checks = service.get("healthcheck", {}).get("test", "")
    used = text_of(service.get("command", "")) + " " + text_of(checks)
    read_by_deploy_files = deploy_files_of(name)  # run.sh's "$TLS_CERT", Caddy's {$DOMAIN}
    for variable in service.get("environment", {}):
        if variable.startswith("MAKERLINE_AGENT_"):
            assert variable.removeprefix("MAKERLINE_AGENT_").lower() in AgentSettings.model_fields
        elif variable.startswith("MAKERLINE_"):
            assert variable.removeprefix("MAKERLINE_").lower() in Settings.model_fields, variable
        elif variable in IMAGE_VARIABLES.get(name, set()):
            continue
        elif variable.startswith("OCTOPRINT_") and name == "octoprint":
            assert variable in (ROOT / "printers" / "cli.py").read_text()
        elif re.search(r"\$\{?" + variable + r"\b", read_by_deploy_files):
            continue
        else:
            assert f"$${variable}" in used, f"{name} sets {variable} but never uses it"


def test_env_example_covers_every_interpolated_variable_and_nothing_else() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    interpolated = {name for name, _default in INTERPOLATION.findall(compose)}
    example = env_example()
    assert interpolated == set(example)
    for variable in example:
        if variable.startswith("MAKERLINE_"):
            assert variable.removeprefix("MAKERLINE_").lower() in Settings.model_fields
    # .env may name a variable it set on an earlier line (MQTT_TLS_CERT names DOMAIN).
    for position, (variable, value) in enumerate(example.items()):
        for named, _default in INTERPOLATION.findall(value):
            assert named in list(example)[:position], f"{variable} names {named} before it is set"


def test_the_production_settings_are_required_not_defaulted() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    for secret in (
        "MAKERLINE_SECRET",
        "POSTGRES_PASSWORD",
        "MQTT_SERVICE_PASSWORD",
        "MAKERLINE_COORDINATOR_TOKEN",
        "MAKERLINE_INVITE_CODE",
        "DOMAIN",
        "ACME_EMAIL",
        "MQTT_TLS_CERT",
        "MQTT_TLS_KEY",
    ):
        assert re.search(r"\$\{" + secret + r":\?", compose), f"{secret} must be required"
    env = COMPOSE["x-makerline-env"]
    assert env["MAKERLINE_ENVIRONMENT"] == "production"  # refuses placeholder secrets
    assert all(value == "CHANGE-ME" for key, value in env_example().items() if "PASSWORD" in key)


def service_settings_from(example: dict[str, str], data_dir: Path) -> Settings:
    """The API's settings as compose would give them with this .env."""

    def interpolated(value: str) -> str:
        return INTERPOLATION.sub(lambda match: example[match.group(1)], value)

    environment = COMPOSE["x-makerline-env"] | SERVICES["api"]["environment"]
    environment |= SERVICES["setup"]["environment"]  # the first coordinator's token
    overrides = {
        name.removeprefix("MAKERLINE_").lower(): interpolated(value)
        for name, value in environment.items()
        if name.startswith("MAKERLINE_")
    }
    return load_settings(**overrides | {"data_dir": data_dir})


def test_the_example_s_placeholders_cannot_start_production_and_real_values_do(
    tmp_path: Path,
) -> None:
    with pytest.raises(SettingsError) as refused:
        service_settings_from(env_example(), tmp_path)
    for variable in ("SECRET", "COORDINATOR_TOKEN", "INVITE_CODE", "MQTT_URL"):
        assert f"MAKERLINE_{variable}" in str(refused.value)

    real = {
        name: secrets.token_urlsafe(32) if value == "CHANGE-ME" else value
        for name, value in env_example().items()
    }
    settings = service_settings_from(real, tmp_path)
    assert settings.public_url == "https://makerline.example.org"


def test_only_the_proxy_and_the_broker_s_tls_face_the_world() -> None:
    facing_the_world = {
        (name, host_port)
        for name in SERVICES
        for address, host_port, _container in published(name)
        if address != "127.0.0.1"
    }
    assert facing_the_world == {("caddy", 80), ("caddy", 443), ("mosquitto", 8883)}
    assert published("api") == [("127.0.0.1", API_PORT, API_PORT)]
    assert published("board") == [("127.0.0.1", BOARD_PORT, BOARD_PORT)]


def broker_ports() -> tuple[int, int]:
    """Mosquitto's plain port and its TLS port."""
    _options, listeners = mosquitto_conf()
    (plain,) = [port for port, its_options in listeners.items() if "certfile" not in its_options]
    (tls,) = [port for port, its_options in listeners.items() if "certfile" in its_options]
    return plain, tls


def test_ports_agree() -> None:
    plain_port, tls_port = broker_ports()
    assert published("mosquitto") == [("0.0.0.0", tls_port, tls_port)]
    # The plain listener serves the compose network: the service and the fab-lab's agent.
    assert f"@mosquitto:{plain_port}" in COMPOSE["x-makerline-env"]["MAKERLINE_MQTT_URL"]
    assert f"-p {plain_port}" in text_of(SERVICES["mosquitto"]["healthcheck"]["test"])
    assert f"mqtt://mosquitto:{plain_port}" in text_of(SERVICES["agent"]["command"])

    assert f"127.0.0.1:{API_PORT}/api/v1/health" in text_of(SERVICES["api"]["healthcheck"]["test"])
    assert f"http://api:{API_PORT}" in text_of(SERVICES["board"]["command"])
    assert f"--api-url http://api:{API_PORT}" in text_of(SERVICES["agent"]["command"])
    agent_env = SERVICES["agent"]["environment"]
    # G-code links name the public address; this agent, beside the API, fetches them there.
    assert (
        agent_env["MAKERLINE_AGENT_API_URL"] == COMPOSE["x-makerline-env"]["MAKERLINE_PUBLIC_URL"]
    )
    assert agent_env["MAKERLINE_AGENT_API_LOCAL_URL"] == f"http://api:{API_PORT}"

    assert f"127.0.0.1:{BOARD_PORT}/_stcore/health" in text_of(
        SERVICES["board"]["healthcheck"]["test"]
    )
    octoprint_port = port_after("--port", SERVICES["octoprint"]["command"])
    assert f"127.0.0.1:{octoprint_port}/" in text_of(SERVICES["octoprint"]["healthcheck"]["test"])
    assert f"http://octoprint:{octoprint_port}" in text_of(SERVICES["agent"]["command"])
    assert "postgres:5432/" in COMPOSE["x-makerline-env"]["MAKERLINE_DATABASE_URL"]


def caddy_routes() -> tuple[list[str], str, str]:
    """The Caddyfile's API paths, where it sends them, and where it sends the rest."""
    (api_paths,) = re.findall(r"^\s*@api path (.+)$", CADDYFILE, re.MULTILINE)
    (api_upstream,) = re.findall(r"handle @api \{\s*reverse_proxy (\S+)\s*\}", CADDYFILE)
    (other_upstream,) = re.findall(r"handle \{\s*reverse_proxy (\S+)\s*\}", CADDYFILE)
    return api_paths.split(), api_upstream, other_upstream


def to_the_api(path: str, patterns: list[str]) -> bool:
    """Caddy's path matching: `/api/*` is a prefix, anything else the whole path."""
    return any(
        path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern
        for pattern in patterns
    )


def test_caddy_serves_the_public_address_and_routes_each_path_to_its_service(
    settings: Settings,
) -> None:
    api_paths, api_upstream, other_upstream = caddy_routes()
    assert (api_upstream, other_upstream) == (f"api:{API_PORT}", f"board:{BOARD_PORT}")
    assert re.search(r"^\{\$DOMAIN\} \{$", CADDYFILE, re.MULTILINE)
    assert (
        COMPOSE["x-makerline-env"]["MAKERLINE_PUBLIC_URL"]
        == "https://${DOMAIN:?set DOMAIN in .env}"
    )

    app = create_app(settings)
    api = set(app.openapi()["paths"]) | {
        route.path + ("/x" if isinstance(route, Mount) else "")  # a path inside a mount
        for route in app.routes
        if isinstance(route, Route | Mount)
    }
    assert {f"{API_PREFIX}/health", "/docs", "/openapi.json", "/docs-assets/x"} <= api
    assert all(to_the_api(path, api_paths) for path in api), api
    board = [f"/{name}" for name in PAGES] + ["/", "/_stcore/stream", "/_stcore/health"]
    board += ["/static/js/main.js", "/media/chart.png", "/component/x"]
    assert not any(to_the_api(path, api_paths) for path in board)


def test_volumes_are_shared_where_the_processes_meet() -> None:
    # The API serves the G-code the orchestrator slices into the data folder.
    assert mounts("api")["data"] == mounts("orchestrator")["data"] == "/data"
    # The broker reads the password and ACL files that setup and the API write.
    assert mounts("setup")["broker-auth"] == mounts("api")["broker-auth"] == "/broker-auth"
    assert mounts("mosquitto")["broker-auth"] == "/mosquitto/auth"
    assert SERVICES["api"]["environment"]["MAKERLINE_BROKER_AUTH_DIR"] == "/broker-auth"
    for name in SERVICES:
        for source in mounts(name):
            assert source.startswith("./") or source in COMPOSE["volumes"], source


def test_the_broker_s_certificate_is_by_default_the_one_caddy_obtains() -> None:
    # Caddy keeps its certificates in $XDG_DATA_HOME/caddy, /data in its image.
    assert mounts("caddy")["caddy-data"] == "/data"
    example = env_example()
    certificates = mounts("mosquitto")[example["MQTT_TLS_DIR"]]
    assert certificates == "/certificates"
    environment = SERVICES["mosquitto"]["environment"]
    assert environment["TLS_CERT"].startswith(f"{certificates}/${{MQTT_TLS_CERT")
    assert environment["TLS_KEY"].startswith(f"{certificates}/${{MQTT_TLS_KEY")
    issuer_folder = "caddy/certificates/acme-v02.api.letsencrypt.org-directory/${DOMAIN}"
    assert example["TLS_ISSUER"] == "acme"
    assert example["MQTT_TLS_CERT"] == f"{issuer_folder}/${{DOMAIN}}.crt"
    assert example["MQTT_TLS_KEY"] == f"{issuer_folder}/${{DOMAIN}}.key"
    assert "issuer {$TLS_ISSUER}" in CADDYFILE


def test_mosquitto_is_configured_for_production() -> None:
    options, listeners = mosquitto_conf()
    assert options["allow_anonymous"] == "false"
    assert options["password_file"] == f"/mosquitto/auth/{PASSWORD_FILE}"
    assert options["acl_file"] == f"/mosquitto/auth/{ACL_FILE}"
    assert int(options["max_queued_messages"]) >= 100_000
    assert int(options["max_inflight_messages"]) >= 200
    # A client's queue holds the 100,000 messages at a kilobyte each, and not much more.
    assert 1024 * 100_000 <= int(options["max_queued_bytes"]) <= 256 * 2**20
    assert options["persistence"] == "true"
    assert SERVICES["mosquitto"]["entrypoint"] == ["/bin/sh", "/mosquitto/config/run.sh"]
    # run.sh copies the certificate where the TLS listener reads it.
    assert list(listeners.values()) == [
        {},
        {"certfile": "/mosquitto/tls/server.crt", "keyfile": "/mosquitto/tls/server.key"},
    ]


def test_the_broker_refuses_what_the_service_would_not_parse_before_reading_it() -> None:
    options, _listeners = mosquitto_conf()
    # The same bound as the embedded broker's: the service's cap plus room for headers.
    assert int(options["max_packet_size"]) == MAX_PACKET_BYTES
    assert MAX_PAYLOAD_BYTES < MAX_PACKET_BYTES <= MAX_PAYLOAD_BYTES + 4096
    # Not message_size_limit: it reads a message whole before dropping it (measured, see
    # the config).
    assert "message_size_limit" not in options


def test_the_images_are_built_from_the_dockerfile_s_targets() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    targets = set(re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, re.MULTILINE))
    for name, service in SERVICES.items():
        if "build" in service:
            assert service["build"]["target"] in targets, name
    assert "prusa-slicer" in dockerfile
    assert "OctoPrint==1.11.8" in dockerfile
    assert re.search(r"^USER makerline$", dockerfile, re.MULTILINE)
