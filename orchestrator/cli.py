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


def prepare_database() -> None:
    """Migrate, seal the OctoPrint keys stored in plain text before keys were sealed, and
    seed the catalogue and the first coordinator."""
    from sqlmodel import col, select

    from orchestrator.core.sealing import is_sealed, seal
    from orchestrator.database.engine import (
        make_engine,
        migrate,
        session_scope,
    )
    from orchestrator.database.tables import Printer
    from orchestrator.services import accounts, catalogue

    settings = get_settings()
    migrate(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        keyed = select(Printer).where(col(Printer.octoprint_api_key).is_not(None))
        for printer in session.exec(keyed):
            if printer.octoprint_api_key and not is_sealed(printer.octoprint_api_key):
                printer.octoprint_api_key = seal(settings.secret, printer.octoprint_api_key)
                session.add(printer)
        catalogue.seed_catalogue(session=session)
        if settings.coordinator_token:
            accounts.ensure_coordinator(
                session=session, name="Coordinator", token=settings.coordinator_token
            )
        session.commit()
    engine.dispose()


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from orchestrator.api.app import create_app

    settings = get_settings()
    prepare_database()
    host, port = args.host or settings.host, args.port or settings.port
    print(
        f"makerline API on http://{host}:{port}/docs  (database: {settings.effective_database_url})"
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def migrate_only(_args: argparse.Namespace) -> None:
    prepare_database()
    print("database is up to date")


def orchestrate(args: argparse.Namespace) -> None:
    from orchestrator.database.engine import make_engine
    from orchestrator.production_line import ProductionLine

    settings = get_settings()
    prepare_database()
    engine = make_engine(settings.effective_database_url)
    ProductionLine(
        settings=settings, engine=engine, name=args.name, share_group=args.share_group
    ).run_until_signalled()


def notify(args: argparse.Namespace) -> None:
    from orchestrator.database.engine import make_engine
    from orchestrator.notifier import Notifier

    settings = get_settings()
    prepare_database()
    engine = make_engine(settings.effective_database_url)
    try:
        Notifier(settings, engine, name=args.name).run_until_signalled(
            args.every, heartbeat=args.heartbeat
        )
    finally:
        engine.dispose()


def orchestrator_status(args: argparse.Namespace) -> int:
    from orchestrator.link.service_watch import ServiceWatch

    settings = get_settings()
    watch = ServiceWatch(settings.mqtt_url, settings.mqtt_topic_prefix)
    try:
        online = watch.wait_online(args.timeout)
    finally:
        watch.close()
    print("an orchestrator is online" if online else "no orchestrator is online")
    return 0 if online else 1


def board(args: argparse.Namespace) -> None:
    """Replace this process with the board's own launcher (`python -m dashboard`), which
    becomes Streamlit: signals reach it, and the service never imports the board.

    The board reads its sign-in settings (`MAKERLINE_BOARD_SECRET`,
    `MAKERLINE_BOARD_SESSION_HOURS`) from the environment it inherits, checked here first;
    without a secret it keeps the key it makes in the data folder."""
    settings = get_settings()
    os.environ.setdefault("MAKERLINE_BOARD_SECRET_FILE", str(settings.board_secret_file.resolve()))
    host, port = args.host or settings.host, args.port or settings.board_port
    api_url = args.api_url or settings.public_url
    command = [
        sys.executable,
        "-m",
        "dashboard",
        f"--host={host}",
        f"--port={port}",
        f"--api-url={api_url}",
    ]
    print(f"makerline board on http://{host}:{port}  (service: {api_url})", flush=True)
    os.execv(sys.executable, command)


def demo(args: argparse.Namespace) -> int:
    logging.getLogger().setLevel(logging.WARNING)  # the demo's own lines, not its imports'
    from orchestrator.demo.runner import (
        DemoOptions,
        run_demo,
    )

    settings = get_settings()
    return run_demo(
        DemoOptions(
            data_dir=args.data_dir,
            host=settings.host,
            api_port=args.api_port or settings.port,
            board_port=args.board_port or settings.board_port,
            octoprint=args.octoprint,
            speed=args.speed,
            keep=args.keep,
            hub_every=args.hub_every,
        )
    )


def broker(args: argparse.Namespace) -> None:
    from orchestrator.link.embedded_broker import run_broker

    run_broker(args.host, args.port)


def broker_files(args: argparse.Namespace) -> None:
    from orchestrator.database.engine import (
        make_engine,
        session_scope,
    )
    from orchestrator.link.broker_files import write_broker_files

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    with session_scope(engine) as session:
        written = write_broker_files(session, settings, args.out)
    print(
        f"wrote {written.password_file} and {written.acl_file} "
        f"for the service and {written.printers} printers"
    )


def _count(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 8:
        raise argparse.ArgumentTypeError("must be between 0 and 8")
    return value


def _speed(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError("must be between 1 and 10000")
    return value


def _interval(text: str) -> float:
    value = float(text)
    if not 0.1 <= value <= 600:
        raise argparse.ArgumentTypeError("must be between 0.1 and 600 seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="makerline",
        description="Coordinate volunteer 3D-printing production of protective gear.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="run the REST API (migrates on start)")
    serve_parser.add_argument("--host", help="address to listen on (default: MAKERLINE_HOST)")
    serve_parser.add_argument("--port", type=int, help="port (default: MAKERLINE_PORT)")
    serve_parser.set_defaults(func=serve)

    demo_parser = commands.add_parser(
        "demo",
        help="run everything on this machine: broker, API, orchestrator, simulated printers "
        "and the board, on a seeded demo network",
        description="Start makerline on one machine: an embedded MQTT broker (or the one "
        "MAKERLINE_MQTT_URL names), SQLite, the API, the orchestrator, 25 simulated "
        "printers and the board, on a network like the Abbeville fab-lab's in 2020. It "
        "prints the addresses and a token per account; Ctrl-C stops everything.",
    )
    demo_parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/demo"),
        help="the demo's own SQLite database, logs and caches (default: data/demo)",
    )
    demo_parser.add_argument("--api-port", type=int, help="default: MAKERLINE_PORT")
    demo_parser.add_argument("--board-port", type=int, help="default: MAKERLINE_BOARD_PORT")
    demo_parser.add_argument(
        "--octoprint",
        type=_count,
        default=0,
        metavar="K",
        help="also run K real OctoPrint servers with their Virtual Printer, an agent each",
    )
    demo_parser.add_argument(
        "--speed",
        type=_speed,
        default=600.0,
        help="simulated printers print this many times faster than real (default: 600)",
    )
    demo_parser.add_argument(
        "--keep",
        action="store_true",
        help="carry on from the last demo's database instead of starting afresh",
    )
    demo_parser.add_argument(
        "--hub-every",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="the hub's volunteers collect, check, assemble, disinfect, pack and deliver "
        "this often (default: 20); 0 leaves that work to you, on the hub page",
    )
    demo_parser.set_defaults(func=demo)

    broker_parser = commands.add_parser(
        "broker", help="an embedded MQTT broker (amqtt) for one machine; use Mosquitto to go live"
    )
    broker_parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    broker_parser.add_argument("--port", type=int, default=1883, help="default: 1883")
    broker_parser.set_defaults(func=broker)

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

    notify_parser = commands.add_parser(
        "notify",
        help="send the outbox's messages by e-mail, SMS and chat (MAKERLINE_MAIL_URL, "
        "MAKERLINE_SMS_URL, and each person's chat webhook)",
    )
    notify_parser.add_argument(
        "--name",
        help="this sender's name, to tell its claims apart (default: notifier@<host>)",
    )
    notify_parser.add_argument(
        "--every",
        type=_interval,
        default=5.0,
        metavar="SECONDS",
        help="how often to look for messages due (default: 5)",
    )
    notify_parser.add_argument(
        "--heartbeat",
        type=Path,
        metavar="FILE",
        help="touch this file after every round that reached the database (a health check "
        "reads its age)",
    )
    notify_parser.set_defaults(func=notify)

    status_parser = commands.add_parser(
        "orchestrator-status",
        help="exit 0 if an orchestrator says it is online on the broker (a healthcheck)",
    )
    status_parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait")
    status_parser.set_defaults(func=orchestrator_status)

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
