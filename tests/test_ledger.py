"""The ledger's pure rules: first-in-first-out lots, bills of needs, balances."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.domain.errors import InsufficientStock
from orchestrator.domain.ledger import (
    Lot,
    Need,
    available,
    bill_of_needs,
    check_available,
    take_oldest_first,
)
from orchestrator.domain.vocabulary import Item, Stage


def test_oldest_lots_are_taken_first() -> None:
    lots = [Lot(3, job_id=1), Lot(5, job_id=2), Lot(4, job_id=3)]
    assert take_oldest_first(lots, 6) == [Lot(3, job_id=1), Lot(3, job_id=2)]


@given(st.lists(st.integers(min_value=1, max_value=50), max_size=10), st.data())
def test_taking_gives_exactly_what_was_asked(sizes: list[int], data: st.DataObject) -> None:
    lots = [Lot(size, job_id=index) for index, size in enumerate(sizes)]
    wanted = data.draw(st.integers(min_value=0, max_value=sum(sizes)))
    taken = take_oldest_first(lots, wanted)
    assert available(taken) == wanted
    assert all(piece.quantity > 0 for piece in taken)
    assert all(piece.quantity <= lots[piece.job_id or 0].quantity for piece in taken)


def test_a_shortage_names_item_stage_and_figures() -> None:
    with pytest.raises(InsufficientStock) as raised:
        check_available(Need(Item.FILM_SHEET, Stage.ON_HAND, 10), [Lot(4)])
    assert "film_sheet" in raised.value.message
    assert "10 needed, 4 available" in raised.value.message


def test_bill_of_needs_takes_parts_after_qc_and_supplies_on_hand() -> None:
    bom = [(Item.HEADBAND, 1), (Item.FILM_SHEET, 1), (Item.ELASTIC, 1)]
    needs = bill_of_needs(bom, 7)
    assert set(needs) == {
        Need(Item.HEADBAND, Stage.QC_PASSED, 7),
        Need(Item.FILM_SHEET, Stage.ON_HAND, 7),
        Need(Item.ELASTIC, Stage.ON_HAND, 7),
    }
