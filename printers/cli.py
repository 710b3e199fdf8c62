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

from printers.agent_config import (
    CONTROL_SOCKET_NAME,
    AgentSettingsError,
    load_agent_settings,
)
from printers.agent_control import ControlError, send_control_request


def register(subparsers: argparse._SubParsersAction) -> None:
    _register_agent(subparsers)
    _register_simulate(subparsers)


def _config_arguments(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=default,
        help="agent TOML file (keys as in MAKERLINE_AGENT_* without the prefix, lower case)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=default,
        help="the agent's state directory (outbox, control socket); overrides the config",
    )


def _register_agent(subparsers: argparse._SubParsersAction) -> None:
    agent = subparsers.add_parser(
        "agent",
        help="run the printer agent beside OctoPrint, or talk to the running one",
        description=(
            "Run the printer agent (default), or confirm to the running agent that the "
            "bed is clear. Settings come from --config and MAKERLINE_AGENT_* variables."
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


def _register_simulate(subparsers: argparse._SubParsersAction) -> None:
    from printers.simulator import add_simulator_arguments

    simulate = subparsers.add_parser(
        "simulate",
        help="run simulated printers that speak the agent's MQTT protocol",
        description="Run N simulated printers in one process: status, events, commands "
        "and bed clears exactly as real agents do.",
    )
    add_simulator_arguments(simulate)
    simulate.set_defaults(func=_run_simulator)


def _configure_logging(level: str = "INFO") -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _settings_overrides(args: argparse.Namespace) -> dict[str, object]:
    state_dir = getattr(args, "state_dir", None)
    return {} if state_dir is None else {"state_dir": state_dir}


def _run_agent(args: argparse.Namespace) -> int:
    from printers.agent import Agent

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
    state_dir = getattr(args, "state_dir", None)
    if state_dir is not None:
        return Path(state_dir) / CONTROL_SOCKET_NAME
    try:
        return load_agent_settings(getattr(args, "config", None)).control_socket_path
    except AgentSettingsError as error:
        print(f"{error}\n(or pass --state-dir)", file=sys.stderr)
        return None


def _run_simulator(args: argparse.Namespace) -> int:
    from printers.simulator import run_simulation, simulation_settings_from_arguments

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
