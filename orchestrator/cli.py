"""The `makerline` command: one subcommand per process makerline runs."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from orchestrator.core.config import SettingsError, get_settings, load_settings


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
    serve_parser.set_defaults(run=serve)

    migrate_parser = commands.add_parser("migrate", help="apply database migrations and exit")
    migrate_parser.set_defaults(run=migrate_only)
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
    args.run(args)


if __name__ == "__main__":
    main()
