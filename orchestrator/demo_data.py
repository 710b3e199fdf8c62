"""Demo data: a small fab-lab network, with tokens derived from the secret so that the
same demo database always answers to the same printed tokens."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.core.security import TOKEN_PREFIX
from orchestrator.services import accounts, catalogue, fleet, orders, production
from orchestrator.tables import (
    Account,
    AccountCreate,
    DonationCreate,
    Item,
    Maker,
    OrderCreate,
    PrinterCreate,
    Role,
    Urgency,
)


def demo_token(settings: Settings, name: str) -> str:
    digest = hmac.new(settings.secret.encode(), f"demo:{name}".encode(), hashlib.sha256)
    return TOKEN_PREFIX + "demo_" + digest.hexdigest()[:32]


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    name: str
    token: str


MAKERS = [
    (
        "Camille (Abbeville)",
        "Abbeville",
        [("Prusa MK3S", 250, 210, 210), ("Ender 3", 220, 220, 250)],
    ),
    ("Julien (Amiens)", "Amiens", [("Prusa MINI", 180, 180, 180)]),
    ("Sophie (Saint-Valery)", "Saint-Valery-sur-Somme", [("Creality CR-10", 300, 300, 400)]),
]
CENTRES = [
    ("Centre hospitalier d'Abbeville", "43 rue de l'Isle, 80100 Abbeville"),
    ("EHPAD Les Jardins", "12 chemin des Prés, 80100 Abbeville"),
]


def seed_demo(*, session: Session, settings: Settings) -> list[DemoAccount]:
    """Seed the demo network once; return its accounts and tokens every time."""
    catalogue.seed_catalogue(session=session)
    already = session.exec(select(Maker)).first() is not None
    seeded = [
        DemoAccount(
            Role.COORDINATOR, "Fab-lab Maison pour Tous", demo_token(settings, "coordinator")
        )
    ]
    seeded += [
        DemoAccount(Role.MAKER, name, demo_token(settings, f"maker:{name}"))
        for name, _, _ in MAKERS
    ]
    seeded += [
        DemoAccount(Role.HEALTH_CENTRE, name, demo_token(settings, f"centre:{name}"))
        for name, _ in CENTRES
    ]
    if already:
        return seeded
    tokens = iter(seeded)
    coordinator_seed = next(tokens)
    accounts.ensure_coordinator(
        session=session, name=coordinator_seed.name, token=coordinator_seed.token
    )
    coordinator = session.exec(select(Account).where(Account.role == Role.COORDINATOR)).one()
    for (name, city, printers), seed in zip(MAKERS, tokens, strict=False):
        created = accounts.create_account(
            session=session,
            account_in=AccountCreate(name=name, role=Role.MAKER),
            token=seed.token,
            city=city,
        )
        maker = session.get(Maker, created.maker_id)
        assert maker is not None
        for model, x, y, z in printers:
            fleet.register_printer(
                session=session,
                maker=maker,
                printer_in=PrinterCreate(name=model, bed_x_mm=x, bed_y_mm=y, bed_z_mm=z),
            )
    today = datetime.now(UTC).date()
    for index, ((name, address), seed) in enumerate(zip(CENTRES, tokens, strict=False)):
        created = accounts.create_account(
            session=session,
            account_in=AccountCreate(name=name, role=Role.HEALTH_CENTRE, address=address),
            token=seed.token,
        )
        centre = session.get(Account, created.id)
        assert centre is not None
        for product_key, quantity, days, urgency in (
            ("visor", 120 - 40 * index, 7 + index, Urgency.HIGH),
            ("amicroche", 50, 14, Urgency.NORMAL),
        ):
            orders.place_order(
                session=session,
                centre=centre,
                settings=settings,
                order_in=OrderCreate(
                    product_key=product_key,
                    quantity=quantity,
                    needed_by=today + timedelta(days=days),
                    urgency=urgency,
                    delivery_address=address,
                ),
            )
    for donor, item, quantity, material in (
        ("Papeterie Picarde", Item.FILM_SHEET, 300, None),
        ("Mercerie du Vimeu", Item.ELASTIC, 250, None),
        ("Club 3D Somme", Item.FILAMENT_G, 5000, "PETG"),
    ):
        production.record_donation(
            session=session,
            actor=coordinator,
            donation_in=DonationCreate(
                donor=donor, item=item, quantity=quantity, material=material
            ),
        )
    return seeded
