"""The demo network, modelled on the Maison pour Tous fab-lab in Abbeville in spring 2020:
15 makers around the Somme bay with 25 printers of several bed sizes and materials, four
health centres ordering visors and hooks, and donations of film, elastic and filament.
Everyone has a contact, so that the demo's sender has someone to tell (`CONTACTS`).

Tokens derive from the secret, so the same demo database always answers to the same
printed tokens; seeding twice changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from orchestrator.api.schemas import (
    AccountCreate,
    ContactUpdate,
    DonationCreate,
    FilamentDeclaration,
    FilamentSent,
    NotificationChoicesUpdate,
    OrderCreate,
    PrinterCreate,
)
from orchestrator.core.config import Settings
from orchestrator.core.security import TOKEN_PREFIX
from orchestrator.database.tables import Account, Maker, Printer, id_of
from orchestrator.domain.vocabulary import Channel, Item, MessageKind, Role, Urgency
from orchestrator.services import (
    accounts,
    catalogue,
    contacts,
    filament,
    fleet,
    orders,
    production,
)


@dataclass(frozen=True)
class PrinterModel:
    name: str
    bed_mm: tuple[float, float, float]
    nozzle_mm: float = 0.4


MK3S = PrinterModel("Prusa i3 MK3S", (250, 210, 210))
MINI = PrinterModel("Prusa MINI", (180, 180, 180))
ENDER3 = PrinterModel("Creality Ender 3", (220, 220, 250))
CR10 = PrinterModel("Creality CR-10", (300, 300, 400))
I3_MEGA = PrinterModel("Anycubic i3 Mega", (210, 210, 205))
ULTIMAKER = PrinterModel("Ultimaker 2+", (223, 223, 205), nozzle_mm=0.6)
# `makerline demo --octoprint K`: OctoPrint's Virtual Printer, driven by a real agent.
VIRTUAL_OCTOPRINT = PrinterModel("OctoPrint (imprimante virtuelle)", (200, 200, 200))


@dataclass(frozen=True)
class DemoMaker:
    name: str
    city: str
    printers: tuple[tuple[PrinterModel, str], ...]  # (model, material loaded)


# The reference parts print in PETG by preference; headbands may also be printed in PLA,
# so the college's printer loaded with PLA prints headbands, never hooks (PETG only).
MAKERS = (
    DemoMaker("Camille Lefebvre", "Abbeville", ((MK3S, "PETG"), (MK3S, "PETG"), (MINI, "PETG"))),
    DemoMaker("Julien Caron", "Amiens", ((ENDER3, "PETG"), (ENDER3, "PETG"))),
    DemoMaker("Sophie Delattre", "Saint-Valery-sur-Somme", ((CR10, "PETG"), (MINI, "PETG"))),
    DemoMaker("Thomas Vasseur", "Le Crotoy", ((MK3S, "PETG"), (MINI, "PETG"))),
    DemoMaker("Léa Dumont", "Rue", ((I3_MEGA, "PETG"),)),
    DemoMaker("Nicolas Leroy", "Friville-Escarbotin", ((ENDER3, "PETG"), (ENDER3, "PETG"))),
    DemoMaker("Manon Carpentier", "Abbeville", ((ULTIMAKER, "PETG"),)),
    DemoMaker("Hugo Boulanger", "Pont-Remy", ((MK3S, "PETG"),)),
    DemoMaker("Chloé Delahaye", "Hallencourt", ((MINI, "PETG"), (I3_MEGA, "PETG"))),
    DemoMaker("Antoine Morel", "Gamaches", ((CR10, "PETG"),)),
    DemoMaker("Emma Fournier", "Cayeux-sur-Mer", ((ENDER3, "PETG"), (MK3S, "PETG"))),
    DemoMaker("Lucas Lemaire", "Crécy-en-Ponthieu", ((MK3S, "PETG"), (ENDER3, "PETG"))),
    DemoMaker("Inès Petit", "Long", ((MINI, "PETG"),)),
    DemoMaker("Collège Millevoye", "Abbeville", ((ULTIMAKER, "PETG"), (ULTIMAKER, "PLA"))),
    DemoMaker("Fab-lab Maison pour Tous", "Abbeville", ((MK3S, "PETG"),)),
)


@dataclass(frozen=True)
class DemoCentre:
    name: str
    address: str
    orders: tuple[tuple[str, int, int, Urgency], ...]  # (product, quantity, days, urgency)


CENTRES = (
    DemoCentre(
        "Centre hospitalier d'Abbeville",
        "43 rue de l'Isle, 80100 Abbeville",
        (("visor", 300, 5, Urgency.CRITICAL), ("amicroche", 200, 10, Urgency.NORMAL)),
    ),
    DemoCentre(
        "EHPAD Les Jardins de la Somme",
        "12 chemin des Prés, 80100 Abbeville",
        (("visor", 120, 7, Urgency.HIGH), ("amicroche", 80, 14, Urgency.NORMAL)),
    ),
    DemoCentre(
        "Maison de santé de Rue",
        "2 place Anatole Gosselin, 80120 Rue",
        (("visor-reinforced", 60, 10, Urgency.NORMAL),),
    ),
    DemoCentre(
        "SSIAD du Vimeu",
        "8 rue Jean Jaurès, 80130 Friville-Escarbotin",
        (("visor", 80, 12, Urgency.NORMAL), ("amicroche", 100, 21, Urgency.NORMAL)),
    ),
)

DONATIONS: tuple[tuple[str, Item, int, str | None], ...] = (
    ("Papeterie Picarde", Item.FILM_SHEET, 500, None),
    ("Mercerie du Vimeu", Item.ELASTIC, 600, None),
    ("Club 3D Somme", Item.FILAMENT_G, 20_000, "PETG"),
    ("Lycée Boucher de Perthes", Item.FILAMENT_G, 8_000, "PLA"),
)

# Some makers declare the spools they hold, and the hub sends spools of the donated PETG to
# others: their filament is counted, each job takes its grams, and their printers get only
# the jobs it covers. Julien's one opened spool runs short first, and the board says so.
# The other makers never declare any: their filament is their own, as in 2020.
DECLARED_SPOOLS = (("Camille Lefebvre", "PETG", 2_000), ("Julien Caron", "PETG", 750))
SENT_SPOOLS = (
    ("Sophie Delattre", "PETG", 3_000),
    ("Thomas Vasseur", "PETG", 2_000),
    ("Inès Petit", "PETG", 1_000),
)

COORDINATOR_NAME = "Coordination — Fab-lab Maison pour Tous"


@dataclass(frozen=True)
class DemoContact:
    """Where a demo account is told things. The addresses are fake: e-mail on
    example.org (reserved for examples), phones in the 06 39 98 range that ARCEP keeps
    for fiction; the demo's mail catcher and SMS recorder receive them all."""

    email: str
    phone: str | None = None
    language: Literal["fr", "en"] = "fr"
    night_messages: bool = False
    channels: tuple[tuple[MessageKind, Channel], ...] = ()  # the kinds not left to e-mail


CENTRE_KINDS = (
    MessageKind.ORDER_CONFIRMED,
    MessageKind.FORECAST_CHANGED,
    MessageKind.OUT_FOR_DELIVERY,
    MessageKind.CONFIRM_RECEIPT,
)
# The few who chose otherwise than e-mail; everyone else keeps the default (`contact_of`).
CONTACTS = {
    COORDINATOR_NAME: DemoContact("coordination@example.org"),
    # The hospital's stores hear by SMS when a van is on its way, and read the rest by mail.
    # They are open day and night, as a hospital is: told at night too.
    "Centre hospitalier d'Abbeville": DemoContact(
        "magasin.ch-abbeville@example.org",
        phone="+33639980101",
        night_messages=True,
        channels=((MessageKind.OUT_FOR_DELIVERY, Channel.SMS),),
    ),
    # Nobody sits at a desk in a nursing home: everything by SMS, as the AJR centre was
    # told through its RaspiSMS gateway in 2020.
    "EHPAD Les Jardins de la Somme": DemoContact(
        "accueil.jardins-somme@example.org",
        phone="+33639980102",
        channels=tuple((kind, Channel.SMS) for kind in CENTRE_KINDS),
    ),
    # Three printers running day and night: she asked to be told at night too.
    "Camille Lefebvre": DemoContact("camille.lefebvre@example.org", night_messages=True),
    "Hugo Boulanger": DemoContact("hugo.boulanger@example.org", language="en"),
    # The college's technician checks the printers every morning: no reminders.
    "Collège Millevoye": DemoContact(
        "fablab.college-millevoye@example.org",
        channels=((MessageKind.BED_STILL_WAITING, Channel.NONE),),
    ),
}


# The one simulated maker who clears her beds when her "bed to clear" e-mail arrives; the
# others clear theirs at once, before any message could reach them (the demo's runner).
CLEARS_WHEN_TOLD = "Camille Lefebvre"


def contact_of(name: str) -> DemoContact:
    """The account's demo contact: its own in `CONTACTS`, else e-mail at its name."""
    if name in CONTACTS:
        return CONTACTS[name]
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    local = re.sub(r"[^a-z0-9]+", ".", plain).strip(".")
    return DemoContact(f"{local}@example.org")


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    name: str
    token: str


@dataclass(frozen=True)
class DemoPrinter:
    id: int
    name: str
    token: str


@dataclass(frozen=True)
class DemoNetwork:
    accounts: list[DemoAccount]
    printers: list[DemoPrinter]

    def first(self, role: Role) -> DemoAccount:
        return next(account for account in self.accounts if account.role == role)


def demo_token(settings: Settings, name: str) -> str:
    digest = hmac.new(settings.secret.encode(), f"demo:{name}".encode(), hashlib.sha256)
    return TOKEN_PREFIX + "demo_" + digest.hexdigest()[:32]


def printer_name(maker: DemoMaker, model: PrinterModel, number: int) -> str:
    return f"{model.name} n°{number} — {maker.name}"


def demo_accounts(settings: Settings) -> list[DemoAccount]:
    coordinator = DemoAccount(
        Role.COORDINATOR, COORDINATOR_NAME, demo_token(settings, "coordinator")
    )
    centres = [
        DemoAccount(Role.HEALTH_CENTRE, centre.name, demo_token(settings, f"centre:{centre.name}"))
        for centre in CENTRES
    ]
    makers = [
        DemoAccount(Role.MAKER, maker.name, demo_token(settings, f"maker:{maker.name}"))
        for maker in MAKERS
    ]
    return [coordinator, *centres, *makers]


def seed_demo(*, session: Session, settings: Settings) -> DemoNetwork:
    """Seed the demo network once; return its accounts and printers, tokens included,
    every time."""
    catalogue.seed_catalogue(session=session)
    seeded = demo_accounts(settings)
    if session.exec(select(Maker)).first() is None:
        _seed(session, settings, {account.name: account.token for account in seeded})
    names = {
        printer_name(maker, model, number): f"printer:{maker.name}:{number}"
        for maker in MAKERS
        for number, (model, _material) in enumerate(maker.printers, start=1)
    }
    printers = session.exec(
        select(Printer).where(col(Printer.name).in_(names)).order_by(col(Printer.id))
    )
    return DemoNetwork(
        accounts=seeded,
        printers=[
            DemoPrinter(id_of(printer), printer.name, demo_token(settings, names[printer.name]))
            for printer in printers
        ],
    )


def ensure_octoprint_printers(
    *, session: Session, settings: Settings, count: int
) -> list[DemoPrinter]:
    """The fab-lab's printers driven by a real OctoPrint and its Virtual Printer, each with
    an agent: found by name, registered when missing."""
    fablab = MAKERS[-1]
    account = session.exec(select(Account).where(Account.name == fablab.name)).one()
    maker = session.exec(select(Maker).where(Maker.account_id == account.id)).one()
    printers = []
    for number in range(1, count + 1):
        name = printer_name(fablab, VIRTUAL_OCTOPRINT, number)
        token = demo_token(settings, f"octoprint:{number}")
        printer = session.exec(select(Printer).where(Printer.name == name)).first()
        if printer is None:
            x, y, z = VIRTUAL_OCTOPRINT.bed_mm
            created = fleet.register_printer(
                session=session,
                maker=maker,
                printer_in=PrinterCreate(name=name, bed_x_mm=x, bed_y_mm=y, bed_z_mm=z),
                settings=settings,
                token=token,
            )
            printers.append(DemoPrinter(created.id, name, token))
        else:
            printers.append(DemoPrinter(id_of(printer), name, token))
    return printers


def give_contact(session: Session, settings: Settings, account: Account) -> None:
    """The account's addresses and choices, through the same service as its own page, and
    before anything is queued for it (the channel is chosen when a message is queued)."""
    seeded = contact_of(account.name)
    contacts.update_contact(
        session=session,
        settings=settings,
        account_id=id_of(account),
        changes=ContactUpdate(
            email=seeded.email,
            phone=seeded.phone,
            language=seeded.language,
            night_messages=seeded.night_messages,
        ),
    )
    if seeded.channels:
        contacts.update_choices(
            session=session,
            account=account,
            changes=NotificationChoicesUpdate(channels=dict(seeded.channels)),
        )


def _seed(session: Session, settings: Settings, tokens: dict[str, str]) -> None:
    accounts.ensure_coordinator(
        session=session, name=COORDINATOR_NAME, token=tokens[COORDINATOR_NAME]
    )
    coordinator = session.exec(select(Account).where(Account.role == Role.COORDINATOR)).one()
    give_contact(session, settings, coordinator)
    makers: dict[str, tuple[Maker, Account]] = {}
    for maker_seed in MAKERS:
        created = accounts.create_account(
            session=session,
            account_in=AccountCreate(name=maker_seed.name, role=Role.MAKER),
            token=tokens[maker_seed.name],
            city=maker_seed.city,
        )
        maker = session.get(Maker, created.maker_id)
        account = session.get(Account, created.id)
        assert maker is not None and account is not None
        give_contact(session, settings, account)
        makers[maker_seed.name] = (maker, account)
        for number, (model, loaded) in enumerate(maker_seed.printers, start=1):
            x, y, z = model.bed_mm
            fleet.register_printer(
                session=session,
                maker=maker,
                printer_in=PrinterCreate(
                    name=printer_name(maker_seed, model, number),
                    bed_x_mm=x,
                    bed_y_mm=y,
                    bed_z_mm=z,
                    nozzle_mm=model.nozzle_mm,
                    material=loaded,
                ),
                settings=settings,
                token=demo_token(settings, f"printer:{maker_seed.name}:{number}"),
            )
    today = datetime.now(UTC).date()
    for centre_seed in CENTRES:
        created = accounts.create_account(
            session=session,
            account_in=AccountCreate(
                name=centre_seed.name, role=Role.HEALTH_CENTRE, address=centre_seed.address
            ),
            token=tokens[centre_seed.name],
        )
        centre = session.get(Account, created.id)
        assert centre is not None
        give_contact(session, settings, centre)
        for product_key, quantity, days, urgency in centre_seed.orders:
            orders.place_order(
                session=session,
                centre=centre,
                settings=settings,
                order_in=OrderCreate(
                    product_key=product_key,
                    quantity=quantity,
                    needed_by=today + timedelta(days=days),
                    urgency=urgency,
                    delivery_address=centre_seed.address,
                ),
            )
    for donor, item, quantity, material in DONATIONS:
        production.record_donation(
            session=session,
            actor=coordinator,
            donation_in=DonationCreate(
                donor=donor, item=item, quantity=quantity, material=material
            ),
        )
    for name, material, grams in DECLARED_SPOOLS:
        maker, account = makers[name]
        filament.declare(
            session=session,
            maker=maker,
            declaration=FilamentDeclaration(material=material, grams=grams),
            actor=account,
        )
    for name, material, grams in SENT_SPOOLS:
        maker, _account = makers[name]
        filament.send(
            session=session,
            sending=FilamentSent(maker_id=id_of(maker), material=material, grams=grams),
            actor=coordinator,
        )
