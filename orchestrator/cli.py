"""The `makerline` command: one subcommand per process makerline runs."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestrator.core.config import SettingsError, get_settings, load_settings
from printers.cli import register as register_printer_commands


def prepare_database(*, demo: bool) -> list[object]:
    """Migrate, seed the catalogue and the first coordinator, and the demo if asked."""
    from orchestrator.db import make_engine, migrate, session_scope
    from orchestrator.demo_data import seed_demo
    from orchestrator.services import accounts, catalogue

    settings = get_settings()
    migrate(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        catalogue.seed_catalogue(session=session)
        if settings.coordinator_token:
            accounts.ensure_coordinator(
                session=session, name="Coordinator", token=settings.coordinator_token
            )
        seeded: list[object] = list(seed_demo(session=session, settings=settings)) if demo else []
        session.commit()
    engine.dispose()
    return seeded


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from orchestrator.api.app import create_app

    settings = get_settings()
    seeded = prepare_database(demo=args.demo)
    host, port = args.host or settings.host, args.port or settings.port
    print(
        f"makerline API on http://{host}:{port}/docs  (database: {settings.effective_database_url})"
    )
    for account in seeded:
        print(f"  {account.role:<14} {account.name:<34} token: {account.token}")  # type: ignore[attr-defined]
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def migrate_only(_args: argparse.Namespace) -> None:
    prepare_database(demo=False)
    print("database is up to date")


def orchestrate(args: argparse.Namespace) -> None:
    from orchestrator.db import make_engine
    from orchestrator.process import Orchestrator

    settings = get_settings()
    prepare_database(demo=False)
    engine = make_engine(settings.effective_database_url)
    Orchestrator(
        settings=settings, engine=engine, name=args.name, share_group=args.share_group
    ).run_until_signalled()


def board(args: argparse.Namespace) -> None:
    """Replace this process with Streamlit serving the board, so that signals reach it."""
    import dashboard

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.board_port
    api_url = args.api_url or settings.public_url
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(Path(dashboard.__file__).parent / "app.py"),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--server.fileWatcherType=none",
        # Streamlit would otherwise report usage to its servers.
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
        "--client.toolbarMode=viewer",  # no developer menu for volunteers
    ]
    print(f"makerline board on http://{host}:{port}  (service: {api_url})", flush=True)
    os.execve(sys.executable, command, os.environ | {"MAKERLINE_API_URL": api_url})


def broker_files(args: argparse.Namespace) -> None:
    from orchestrator.db import make_engine, session_scope
    from orchestrator.link.broker_files import write_broker_files

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        written = write_broker_files(session, settings, args.out)
    print(
        f"wrote {written.password_file} and {written.acl_file} "
        f"for the service and {written.printers} printers"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="makerline",
        description="Coordinate volunteer 3D-printing production of protective gear.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="run the REST API (migrates on start)")
    serve_parser.add_argument("--host", help="address to listen on (default: MAKERLINE_HOST)")
    serve_parser.add_argument("--port", type=int, help="port (default: MAKERLINE_PORT)")
    serve_parser.add_argument(
        "--demo", action="store_true", help="seed a demo network and print its tokens"
    )
    serve_parser.set_defaults(func=serve)

    migrate_parser = commands.add_parser("migrate", help="apply database migrations and exit")
    migrate_parser.set_defaults(func=migrate_only)

    orchestrate_parser = commands.add_parser(
        "orchestrate", help="plan jobs, dispatch them to printers and follow them over MQTT"
    )
    orchestrate_parser.add_argument(
        "--name",
        default="orchestrator",
        help="this replica's name, unique per replica and kept across restarts so that its "
        "broker session (and the events queued in it) survives (default: orchestrator)",
    )
    orchestrate_parser.add_argument(
        "--share-group", help="MQTT shared-subscription group, to split traffic across replicas"
    )
    orchestrate_parser.set_defaults(func=orchestrate)

    board_parser = commands.add_parser(
        "board", help="serve the web app: production board, makers' and health centres' pages"
    )
    board_parser.add_argument("--host", help="address to listen on (default: MAKERLINE_HOST)")
    board_parser.add_argument("--port", type=int, help="port (default: MAKERLINE_BOARD_PORT)")
    board_parser.add_argument(
        "--api-url",
        help="the service's URL as the board reaches it (default: MAKERLINE_PUBLIC_URL)",
    )
    board_parser.set_defaults(func=board)

    files_parser = commands.add_parser(
        "broker-files", help="write Mosquitto's password and ACL files from the printers"
    )
    files_parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    files_parser.set_defaults(func=broker_files)

    register_printer_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    try:
        load_settings()
    except SettingsError as error:
        sys.exit(str(error))
    sys.exit(args.func(args) or 0)  # printers' commands return their exit status


if __name__ == "__main__":
    main()
