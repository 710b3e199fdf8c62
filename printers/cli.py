"""The printer side's command line: `makerline agent ...` and `makerline simulate ...`.

`register(subparsers)` adds the subcommands to the service's `makerline` parser; each sets
`func`, called with the parsed arguments, returning the exit status. `python -m
printers.cli` runs the same commands alone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from printers.agent.config import (
    CONFIG_ENV,
    CONTROL_SOCKET_NAME,
    AgentSettingsError,
    default_config_path,
    load_agent_settings,
)
from printers.agent.control import ControlError, send_control_request


def register(subparsers: argparse._SubParsersAction) -> None:
    _register_agent(subparsers)
    _register_simulate(subparsers)
    _register_virtual_octoprint(subparsers)


def _config_arguments(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=default,
        help="agent TOML file (keys as in MAKERLINE_AGENT_* without the prefix, lower case); "
        f"default: ${CONFIG_ENV}, else $XDG_CONFIG_HOME/makerline/agent.toml",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=default,
        help="the agent's state directory (outbox, control socket); overrides the config; "
        "default: $XDG_STATE_HOME/makerline/printer-{id}",
    )


def _register_agent(subparsers: argparse._SubParsersAction) -> None:
    agent = subparsers.add_parser(
        "agent",
        help="run the printer agent beside OctoPrint, or talk to the running one",
        description=(
            "Run the printer agent (default), or confirm to the running agent that the "
            "bed is clear. Settings come from the config file `makerline agent enrol` "
            f"wrote ({default_config_path()} unless --config or {CONFIG_ENV} names "
            "another) and MAKERLINE_AGENT_* variables."
        ),
    )
    _config_arguments(agent, None)
    agent.set_defaults(func=_run_agent)
    actions = agent.add_subparsers(dest="agent_action", metavar="{run,clear,status}")
    run = actions.add_parser("run", help="run the agent (the default)")
    _config_arguments(run, argparse.SUPPRESS)
    run.set_defaults(func=_run_agent)
    clear = actions.add_parser(
        "clear",
        help="tell the running agent the bed is clear, so it can take the next job",
        description="Confirm to the running agent (over its control socket) that the bed "
        "has been cleared after the last print.",
    )
    _config_arguments(clear, argparse.SUPPRESS)
    clear.set_defaults(func=_agent_request, verb="clear")
    status = actions.add_parser("status", help="ask the running agent for its printer's state")
    _config_arguments(status, argparse.SUPPRESS)
    status.set_defaults(func=_agent_request, verb="status")
    _register_enrol(actions)


def _register_enrol(actions: argparse._SubParsersAction) -> None:
    from printers.agent.enrol import parse_bed

    enrol = actions.add_parser(
        "enrol",
        help="register this printer with the service and write the agent's config file",
        description="Register the printer (as the maker whose token is given, or signing "
        "a new maker up) and write the agent's TOML file with its id and token. Does "
        "nothing if the file already exists.",
    )
    enrol.add_argument(
        "--api-url",
        required=True,
        help="the service, e.g. https://makerline.example.org: the address its G-code links "
        "give, the only one the agent sends its token to",
    )
    who = enrol.add_mutually_exclusive_group(required=True)
    who.add_argument("--token", help="the maker's token, from sign-up")
    who.add_argument("--signup", metavar="NAME", help="sign a new maker up under this name")
    enrol.add_argument("--invite-code", help="the fab-lab's invite code, if sign-up needs one")
    enrol.add_argument("--name", required=True, help="the printer's name, e.g. 'Prusa MK3S'")
    enrol.add_argument("--bed", type=parse_bed, required=True, help="bed size XxYxZ in mm")
    enrol.add_argument("--nozzle", type=float, default=0.4, help="nozzle diameter in mm")
    enrol.add_argument("--material", default="PETG", help="filament loaded (default: PETG)")
    enrol.add_argument(
        "--hours",
        default="00:00-24:00",
        help=(
            "when it may print, local time, as opening hours: '18:00-23:00' every day, or "
            "'Mo-Fr 18:00-23:00; Sa,Su 09:00-22:00' (French day names too: lu-ve)"
        ),
    )
    enrol.add_argument("--broker-url", required=True, help="mqtt(s)://host:port of the broker")
    enrol.add_argument("--octoprint-url", default="http://127.0.0.1:5000")
    enrol.add_argument("--octoprint-api-key", required=True, help="OctoPrint → Application keys")
    enrol.add_argument(
        "--config",
        type=Path,
        help=f"the agent TOML file to write (default: {default_config_path()}, where the "
        "other `makerline agent` commands look for it)",
    )
    enrol.add_argument(
        "--state-dir",
        type=Path,
        help="the agent's state folder (default: $XDG_STATE_HOME/makerline/printer-{id})",
    )
    enrol.set_defaults(func=_enrol)


def _register_simulate(subparsers: argparse._SubParsersAction) -> None:
    from printers.simulated.simulator import add_simulator_arguments

    simulate = subparsers.add_parser(
        "simulate",
        help="run simulated printers that speak the agent's MQTT protocol",
        description="Run N simulated printers in one process: status, events, commands "
        "and bed clears exactly as real agents do.",
    )
    add_simulator_arguments(simulate)
    simulate.set_defaults(func=_run_simulator)


def _register_virtual_octoprint(subparsers: argparse._SubParsersAction) -> None:
    octoprint = subparsers.add_parser(
        "virtual-octoprint",
        help="run OctoPrint with its Virtual Printer, headless, to try the agent without a printer",
        description="Set OctoPrint up offline (no wizard, no online checks) with an admin "
        "user whose API key is OCTOPRINT_API_KEY, then serve it.",
    )
    octoprint.add_argument("--basedir", type=Path, required=True, help="OctoPrint's folder")
    octoprint.add_argument("--host", default="127.0.0.1")
    octoprint.add_argument("--port", type=int, default=5000)
    octoprint.set_defaults(func=_virtual_octoprint)


def _enrol(args: argparse.Namespace) -> int:
    import httpx

    from printers.agent.enrol import (
        EnrolError,
        Enrolment,
        enrol,
    )

    x, y, z = args.bed
    config = args.config or default_config_path()
    enrolment = Enrolment(
        api_url=args.api_url.rstrip("/"),
        printer={
            "name": args.name,
            "bed_x_mm": x,
            "bed_y_mm": y,
            "bed_z_mm": z,
            "nozzle_mm": args.nozzle,
            "material": args.material,
            "availability_hours": args.hours,
        },
        broker_url=args.broker_url,
        octoprint_url=args.octoprint_url,
        octoprint_api_key=args.octoprint_api_key,
        config=config,
        # Written as an absolute path: the other commands read it from any folder.
        state_dir=args.state_dir.resolve() if args.state_dir else None,
        maker_token=args.token,
        signup_name=args.signup,
        invite_code=args.invite_code,
    )
    try:
        with httpx.Client(timeout=30) as http:
            enrolled = enrol(enrolment, http)
    except EnrolError as error:
        print(f"makerline agent enrol: {error}", file=sys.stderr)
        return 1
    if not enrolled.created:
        print(f"{config} already enrols printer {enrolled.printer_id}: nothing to do")
        return 0
    print(f"printer {enrolled.printer_id} registered; wrote {config}")
    if enrolled.maker_token:
        print(f"your maker token (shown once, keep it): {enrolled.maker_token}")
    where = "" if args.config is None else f" --config {config}"
    print(f"start the agent: makerline agent{where}")
    return 0


def _virtual_octoprint(args: argparse.Namespace) -> int:
    import os

    from printers.simulated import virtual_octoprint

    api_key = os.environ.get("OCTOPRINT_API_KEY", "")
    password = os.environ.get("OCTOPRINT_PASSWORD", "")
    if len(api_key) < 16 or not password:
        print(
            "set OCTOPRINT_API_KEY (16 characters or more) and OCTOPRINT_PASSWORD",
            file=sys.stderr,
        )
        return 2
    try:
        virtual_octoprint.prepare(args.basedir, api_key=api_key, password=password)
        command = virtual_octoprint.serve_command(args.basedir, host=args.host, port=args.port)
    except virtual_octoprint.OctoPrintMissing as error:
        print(error, file=sys.stderr)
        return 2
    os.execv(command[0], command)  # OctoPrint itself receives the container's signals


def _configure_logging(level: str = "INFO") -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _settings_overrides(args: argparse.Namespace) -> dict[str, object]:
    state_dir = getattr(args, "state_dir", None)
    return {} if state_dir is None else {"state_dir": state_dir}


def _run_agent(args: argparse.Namespace) -> int:
    from printers.agent.runtime import Agent

    _configure_logging()
    try:
        settings = load_agent_settings(getattr(args, "config", None), **_settings_overrides(args))
    except AgentSettingsError as error:
        print(error, file=sys.stderr)
        return 2
    agent = Agent(settings)
    signal.signal(signal.SIGTERM, lambda *_: agent.stop())
    signal.signal(signal.SIGINT, lambda *_: agent.stop())
    agent.run()
    return 0


def _agent_request(args: argparse.Namespace) -> int:
    socket_path = _control_socket(args)
    if socket_path is None:
        return 2
    try:
        reply = send_control_request(socket_path, args.verb)
    except ControlError as error:
        print(error, file=sys.stderr)
        return 1
    print(reply.message)
    return 0 if reply.ok else 1


def _control_socket(args: argparse.Namespace) -> Path | None:
    """The running agent's socket: in --state-dir, else in the state folder its config
    names (by default the one `makerline agent enrol` wrote)."""
    state_dir = getattr(args, "state_dir", None)
    if state_dir is not None:
        return Path(state_dir) / CONTROL_SOCKET_NAME
    try:
        return load_agent_settings(getattr(args, "config", None)).control_socket_path
    except AgentSettingsError as error:
        print(error, file=sys.stderr)
        return None


def _run_simulator(args: argparse.Namespace) -> int:
    from printers.simulated.simulator import (
        run_simulation,
        simulation_settings_from_arguments,
    )

    _configure_logging(args.log_level)
    settings = simulation_settings_from_arguments(args)
    return asyncio.run(run_simulation(settings))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="makerline", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    register(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
