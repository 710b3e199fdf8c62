"""The ledger's rules, as pure functions of data.

Stock is a list of movements. A *lot* is the part of a balance that shares one origin: the
job that printed the parts, the batch that assembled the visors, the order they are packed
for. Consuming stock takes the oldest lots first (first in, first out), so that every batch
can name the jobs, and so the makers, its parts came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from orchestrator.domain.errors import InsufficientStock
from orchestrator.domain.vocabulary import PRINTED_PARTS, Item, Stage


def remaining_need(quantity: int, packed: int, delivered: int) -> int:
    """What an order still needs made and packed: its quantity, less what is packed for it
    and what it was delivered. The planner, the order page and the board all use this."""
    return max(0, quantity - packed - delivered)


@dataclass(frozen=True)
class Lot:
    quantity: int
    job_id: int | None = None
    maker_id: int | None = None
    batch_id: int | None = None
    order_id: int | None = None
    material: str | None = None

    @property
    def origin(self) -> Lot:
        return replace(self, quantity=0)


@dataclass(frozen=True)
class Need:
    """A quantity of one item to take from one stage."""

    item: Item
    stage: Stage
    quantity: int


def available(lots: Iterable[Lot]) -> int:
    return sum(lot.quantity for lot in lots)


def take_oldest_first(lots: Sequence[Lot], quantity: int) -> list[Lot]:
    """The slices of `lots` (oldest first) that together make `quantity`."""
    taken: list[Lot] = []
    remaining = quantity
    for lot in lots:
        if remaining == 0:
            break
        portion = min(lot.quantity, remaining)
        if portion > 0:
            taken.append(replace(lot, quantity=portion))
            remaining -= portion
    if remaining:
        raise ValueError("take_oldest_first called with more than is available")
    return taken


def check_available(need: Need, lots: Sequence[Lot], scope: str = "") -> None:
    on_hand = available(lots)
    if on_hand < need.quantity:
        raise InsufficientStock(need.item, need.stage, need.quantity, on_hand, scope)


def source_stage(item: Item) -> Stage:
    """Where assembly takes an item from: printed parts once they pass QC, supplies as held."""
    return Stage.QC_PASSED if item in PRINTED_PARTS else Stage.ON_HAND


def bill_of_needs(bom: Iterable[tuple[Item, int]], units: int) -> list[Need]:
    """What assembling `units` of a product takes from stock."""
    needs = [Need(item, source_stage(item), per_unit * units) for item, per_unit in bom]
    return sorted(needs, key=lambda need: (need.item, need.stage))
