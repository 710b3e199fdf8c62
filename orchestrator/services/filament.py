"""Filament where it is: the spools makers hold, the spools the hub sends them, and the
grams each finished job takes from its maker.

Filament is an item of the ledger like any other (`Item.FILAMENT_G`, in grams): at the hub
it sits `on_hand` with its material; at a maker's it sits `at_maker` with the maker and the
material. A maker's filament of one material is one lot, so it never goes below zero.

A maker who has never declared a spool nor received one is not tracked: their filament
is their own, as in 2020. No job takes grams from them and the dispatcher does not check
them. Once a maker's filament is in the ledger, every job of theirs takes its plate's
grams (the slicer's figure, stored on the job), and the dispatcher gives their printers
only the jobs their filament covers, after the jobs already on their printers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator.api.schemas import FilamentBalance, FilamentDeclaration, FilamentSent
from orchestrator.database.engine import lock_stock
from orchestrator.database.stock import LOT_COLUMNS, Entry, add, lots, move
from orchestrator.database.tables import (
    Account,
    Job,
    Maker,
    Movement,
    Part,
    Printer,
    check_material,
    id_of,
)
from orchestrator.domain.errors import InvalidRequest, NotFound
from orchestrator.domain.ledger import Lot, take_oldest_first
from orchestrator.domain.vocabulary import ON_PRINTER, Item, Stage

FILAMENT = Item.FILAMENT_G
# A maker is warned (and the board says so) when their filament of a material, after the
# jobs on their printers, holds fewer plates than this.
WARNING_PLATES = 2
# Plates whose grams give a maker's typical plate, newest first.
PLATE_HISTORY = 20
# The newest plates of the whole network read for that, at most.
PLATE_SAMPLE = 2_000

DECLARED, CORRECTED, SENT, PRINTED = "declared", "declaration_corrected", "sent", "printed"
SHORTFALL_NOTE = "short by {grams} g"
SHORTFALL = re.compile(r"^short by (\d+) g$")


def is_tracked(session: Session, maker_id: int) -> bool:
    """Whether the maker's filament is in the ledger: a spool declared or received."""
    first = session.exec(
        select(Movement.id).where(
            Movement.item == FILAMENT,
            Movement.stage == Stage.AT_MAKER,
            Movement.maker_id == maker_id,
        )
    ).first()
    return first is not None


def tracked_makers(session: Session, maker_ids: set[int] | None = None) -> set[int]:
    query = (
        select(Movement.maker_id)
        .where(
            Movement.item == FILAMENT,
            Movement.stage == Stage.AT_MAKER,
            col(Movement.maker_id).is_not(None),
        )
        .distinct()
    )
    if maker_ids is not None:
        query = query.where(col(Movement.maker_id).in_(sorted(maker_ids)))
    return {maker_id for maker_id in session.exec(query) if maker_id is not None}


def material_name(value: str) -> str:
    """A material as the ledger keeps it ("petg " is PETG), or a refusal (422)."""
    try:
        material = check_material(value)
    except ValueError as problem:
        raise InvalidRequest(
            f"material {problem}", code="material_invalid", material=value
        ) from None
    assert material is not None
    return material


def plate_grams(part: Part, copies: int) -> int | None:
    """The catalogue's estimate of a plate's filament, when the slicer's is not known."""
    return round(part.grams * copies) if part.grams else None


def printed_in(job: Job, part: Part) -> str:
    """The material a job's plate takes: the one its printer had loaded when it was given
    the job, or else the part's preferred one."""
    return (job.material or part.material).upper()


def job_grams(job: Job, part: Part) -> int | None:
    """What a job's plate takes: the slicer's grams stored at its assignment, or else the
    catalogue's estimate (a job assigned by hand and reported done before it was sliced)."""
    return job.grams if job.grams is not None else plate_grams(part, job.copies)


# --- what makers hold -----------------------------------------------------------------


@dataclass
class FilamentLeft:
    """Each tracked maker's filament per material, less what their jobs in flight use."""

    tracked: set[int] = field(default_factory=set)
    held: dict[tuple[int, str], int] = field(default_factory=dict)
    in_flight: dict[tuple[int, str], int] = field(default_factory=dict)

    def left(self, maker_id: int, material: str) -> int:
        key = (maker_id, material.upper())
        return self.held.get(key, 0) - self.in_flight.get(key, 0)

    def covers(self, maker_id: int, material: str, grams: float | None) -> bool:
        """Whether the maker's filament covers a plate (always, for a maker not tracked,
        or a plate whose grams are not known yet: the scheduler skips those anyway)."""
        if maker_id not in self.tracked or grams is None:
            return True
        return self.left(maker_id, material) >= round(grams)

    def use(self, maker_id: int, material: str, grams: float | None) -> None:
        if maker_id in self.tracked and grams is not None:
            key = (maker_id, material.upper())
            self.in_flight[key] = self.in_flight.get(key, 0) + round(grams)


def filament_left(session: Session, maker_ids: set[int] | None = None) -> FilamentLeft:
    """The filament of the tracked makers among `maker_ids` (or all), in two queries."""
    tracked = tracked_makers(session, maker_ids)
    if not tracked:
        return FilamentLeft()
    held_rows = session.exec(
        select(Movement.maker_id, Movement.material, func.sum(Movement.delta))
        .where(
            Movement.item == FILAMENT,
            Movement.stage == Stage.AT_MAKER,
            col(Movement.maker_id).in_(sorted(tracked)),
        )
        .group_by(col(Movement.maker_id), col(Movement.material))
    )
    held = {(int(maker or 0), str(material)): int(total) for maker, material, total in held_rows}
    in_flight: dict[tuple[int, str], int] = defaultdict(int)
    for maker_id, job, part in session.exec(
        select(Printer.maker_id, Job, Part)
        .join(Printer, col(Job.printer_id) == Printer.id)
        .join(Part, col(Job.part_id) == Part.id)
        .where(col(Job.status).in_(ON_PRINTER), col(Printer.maker_id).in_(sorted(tracked)))
    ):
        in_flight[maker_id, printed_in(job, part)] += job_grams(job, part) or 0
    return FilamentLeft(tracked, held, dict(in_flight))


def typical_plates(session: Session, maker_ids: set[int]) -> dict[tuple[int, str], int]:
    """(maker, material) -> the mean grams of the maker's last plates in that material,
    and (0, material) -> the network's, for makers who have not printed yet."""
    rows = session.exec(
        select(Printer.maker_id, func.coalesce(Job.material, Part.material), Job.grams)
        .join(Printer, col(Job.printer_id) == Printer.id)
        .join(Part, col(Job.part_id) == Part.id)
        .where(col(Job.grams).is_not(None), col(Job.grams) > 0)
        .order_by(col(Job.id).desc())
        .limit(PLATE_SAMPLE)
    )
    grams: dict[tuple[int, str], list[int]] = defaultdict(list)
    for maker_id, material, plate in rows:
        for key in ((maker_id, material.upper()), (0, material.upper())):
            if len(grams[key]) < PLATE_HISTORY and (key[0] in maker_ids or not key[0]):
                grams[key].append(int(plate or 0))
    return {key: round(sum(values) / len(values)) for key, values in grams.items() if values}


def maker_balances(session: Session, maker_ids: set[int] | None = None) -> list[FilamentBalance]:
    """Each tracked maker's filament per material, with what their printers' jobs in flight
    will use and how many of their usual plates it leaves; a material their printers load
    appears even at zero, since it is what their printers wait for."""
    left = filament_left(session, maker_ids)
    if not left.tracked:
        return []
    makers = {
        id_of(maker): maker
        for maker in session.exec(select(Maker).where(col(Maker.id).in_(sorted(left.tracked))))
    }
    loaded = session.exec(
        select(Printer.maker_id, Printer.material)
        .where(col(Printer.maker_id).in_(sorted(left.tracked)))
        .distinct()
    )
    pairs = set(left.held) | set(left.in_flight) | {(m, material.upper()) for m, material in loaded}
    plates = typical_plates(session, left.tracked)
    balances = []
    for maker_id, material in sorted(pairs):
        plate = plates.get((maker_id, material)) or plates.get((0, material))
        remaining = left.left(maker_id, material)
        line = FilamentBalance(
            maker_id=maker_id,
            maker_name=makers[maker_id].display_name,
            material=material,
            grams=left.held.get((maker_id, material), 0),
            in_flight_grams=left.in_flight.get((maker_id, material), 0),
            left_grams=remaining,
            plate_grams=plate,
            plates_left=max(remaining, 0) // plate if plate else None,
            short_grams=shortfall_since_replenished(session, maker_id, material),
        )
        line.low = is_low(line)
        balances.append(line)
    return balances


def is_low(line: FilamentBalance) -> bool:
    """Fewer plates left than `WARNING_PLATES` (none at all, when their usual plate is not
    known yet), or jobs printed beyond the declared stock."""
    few = line.plates_left is not None and line.plates_left < WARNING_PLATES
    return few or line.left_grams <= 0 or line.short_grams > 0


def shortfall_since_replenished(session: Session, maker_id: int, material: str) -> int:
    """Grams the maker's jobs used beyond their stock since it was last topped up: their
    declaration was wrong, and they should declare their spools again."""
    last_added = session.exec(
        select(func.max(Movement.id)).where(
            Movement.item == FILAMENT,
            Movement.stage == Stage.AT_MAKER,
            Movement.maker_id == maker_id,
            Movement.material == material,
            Movement.delta > 0,
        )
    ).one()
    notes = session.exec(
        select(Movement.note).where(
            Movement.item == FILAMENT,
            Movement.stage == Stage.AT_MAKER,
            Movement.maker_id == maker_id,
            Movement.material == material,
            Movement.reason == PRINTED,
            col(Movement.note).is_not(None),
            col(Movement.id) > (last_added or 0),
        )
    )
    return sum(int(found.group(1)) for note in notes if (found := SHORTFALL.match(note or "")))


# --- declaring and sending ------------------------------------------------------------


def declare(
    *, session: Session, maker: Maker, declaration: FilamentDeclaration, actor: Account
) -> list[Movement]:
    """A maker's spool (grams > 0), or a correction of what they declared (grams < 0: a
    spool used up elsewhere, a recount), never below what they hold."""
    material = declaration.material
    if declaration.grams == 0:
        raise InvalidRequest(
            "Give the grams of the spool, or negative grams to correct.",
            code="filament_grams_zero",
        )
    scope = f" for maker {maker.id} in {material}"
    if declaration.grams > 0:
        entry = Entry(DECLARED, actor.id, note=declaration.reason)
        lot = {"maker_id": maker.id, "material": material}
        movement = add(session, FILAMENT, Stage.AT_MAKER, declaration.grams, entry, **lot)
        session.flush()
        return [movement]
    if not declaration.reason:
        raise InvalidRequest(
            "Say why the filament is less (for example: used elsewhere).",
            code="filament_reason_missing",
        )
    entry = Entry(CORRECTED, actor.id, note=declaration.reason)
    movements = move(
        session,
        FILAMENT,
        Stage.AT_MAKER,
        None,
        -declaration.grams,
        entry,
        scope=scope,
        narrow={"maker_id": maker.id, "material": material},
    )
    session.flush()
    return movements


def send(*, session: Session, sending: FilamentSent, actor: Account) -> list[Movement]:
    """Spools the hub gives a maker: on_hand (material) -> at_maker (maker, material);
    refused (409) when the hub holds less of that material."""
    maker = session.get(Maker, sending.maker_id)
    if maker is None:
        raise NotFound(
            f"Maker {sending.maker_id} does not exist.",
            code="maker_not_found",
            maker=sending.maker_id,
        )
    entry = Entry(SENT, actor.id, ref=f"maker:{maker.id}", note=sending.note)
    movements = move(
        session,
        FILAMENT,
        Stage.ON_HAND,
        Stage.AT_MAKER,
        sending.grams,
        entry,
        scope=f" in {sending.material} at the hub",
        narrow={"material": sending.material},
        maker_id=maker.id,
    )
    session.flush()
    return movements


# --- what jobs use --------------------------------------------------------------------


def consume_for_job(
    *, session: Session, job: Job, part: Part, maker_id: int | None, actor: Account | None
) -> list[Movement]:
    """Take a finished job's grams from its maker's filament of the material it was
    printed in (`printed_in`).

    Called while the job's parts are counted, in that transaction and savepoint, so it
    happens exactly when they are counted: once. A maker not tracked is left alone. A
    tracked maker's filament never goes below zero: when it holds less than the plate took
    (a declaration was wrong), the job takes what is there and the movement records the
    shortfall, which the maker's page and the board show until they declare again."""
    grams = job_grams(job, part)
    if maker_id is None or not grams or not is_tracked(session, maker_id):
        return []
    material = printed_in(job, part)
    lock_stock(session, [(FILAMENT, Stage.AT_MAKER)])
    held = lots(session, FILAMENT, Stage.AT_MAKER, maker_id=maker_id, material=material)
    taken = min(sum(lot.quantity for lot in held), grams)
    short = grams - taken
    note = SHORTFALL_NOTE.format(grams=short) if short else None
    entry = Entry(PRINTED, actor.id if actor else None, ref=f"job:{job.id}", note=note)
    # Each movement names the lot it takes from; with nothing left, a movement of 0 g
    # still records the shortfall. The first carries the job's key: a second count of the
    # job cannot pass it.
    portions = take_oldest_first(held, taken) or [Lot(0, maker_id=maker_id, material=material)]
    return [
        add(
            session,
            FILAMENT,
            Stage.AT_MAKER,
            -lot.quantity,
            entry,
            dedup_key=None if index else f"job-filament:{job.id}",
            **{name: getattr(lot, name) for name in LOT_COLUMNS},
        )
        for index, lot in enumerate(portions)
    ]


def negative_lots(session: Session) -> list[tuple[str, int | None, str | None, int]]:
    """For tests and audits: the filament lots below zero (there must be none)."""
    rows = session.exec(
        select(Movement.stage, Movement.maker_id, Movement.material, func.sum(Movement.delta))
        .where(Movement.item == FILAMENT)
        .group_by(col(Movement.stage), col(Movement.maker_id), col(Movement.material))
        .having(func.sum(Movement.delta) < 0)
    )
    return [(str(stage), maker, material, int(total)) for stage, maker, material, total in rows]
