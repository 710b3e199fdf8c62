"""The demo network: its shape (the issue's Abbeville-like scenario), seeded once, with
tokens that open the accounts and printers they were printed for."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.core.security import hash_token
from orchestrator.database.tables import Account, Donation, Maker, Order, Printer, Product
from orchestrator.demo.network import CENTRES, ensure_octoprint_printers, seed_demo
from orchestrator.domain.vocabulary import Role


def seed(engine: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        network = seed_demo(session=session, settings=settings)
        session.commit()
        return network


def test_the_network_is_the_abbeville_scenario(engine: Engine, settings: Settings) -> None:
    network = seed(engine, settings)
    with Session(engine) as session:
        roles = Counter(account.role for account in session.exec(select(Account)))
        printers = list(session.exec(select(Printer)))
        products = {p.id: p.key for p in session.exec(select(Product))}
        ordered = Counter(products[o.product_id] for o in session.exec(select(Order)))
        donated = {d.item for d in session.exec(select(Donation))}
        makers = session.exec(select(Maker)).all()

    assert roles == {Role.COORDINATOR: 1, Role.MAKER: 15, Role.HEALTH_CENTRE: 4}
    assert len(makers) == 15 and all(maker.city for maker in makers)
    assert len(printers) == 25
    assert len({(p.bed_x_mm, p.bed_y_mm) for p in printers}) >= 4  # several bed sizes
    assert ordered["visor"] >= 3 and ordered["amicroche"] >= 3
    assert {"film_sheet", "elastic"} <= donated
    assert [p.id for p in network.printers] == [p.id for p in printers]
    assert len(network.accounts) == 20


def test_seeding_again_changes_nothing_and_gives_the_same_tokens(
    engine: Engine, settings: Settings
) -> None:
    first = seed(engine, settings)
    again = seed(engine, settings)
    with Session(engine) as session:
        assert len(session.exec(select(Printer)).all()) == 25
        assert len(session.exec(select(Order)).all()) == sum(len(c.orders) for c in CENTRES)
    assert again == first


def test_the_printed_tokens_open_their_accounts_and_printers(
    engine: Engine, settings: Settings
) -> None:
    network = seed(engine, settings)
    with Session(engine) as session:
        for account in network.accounts:
            stored = session.exec(select(Account).where(Account.name == account.name)).one()
            assert (stored.role, stored.token_hash) == (account.role, hash_token(account.token))
        for printer in network.printers:
            stored_printer = session.get(Printer, printer.id)
            assert stored_printer is not None
            assert stored_printer.token_hash == hash_token(printer.token)
    assert len({account.token for account in network.accounts}) == 20


def test_octoprint_printers_are_added_once_to_the_fab_lab(
    engine: Engine, settings: Settings
) -> None:
    seed(engine, settings)
    with Session(engine) as session:
        first = ensure_octoprint_printers(session=session, settings=settings, count=2)
        again = ensure_octoprint_printers(session=session, settings=settings, count=2)
        session.commit()
        assert again == first
        assert len(session.exec(select(Printer)).all()) == 27
        owners = {session.get(Printer, p.id).maker_id for p in first}  # type: ignore[union-attr]
        assert len(owners) == 1
