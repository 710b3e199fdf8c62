"""The demo's hub volunteers, against the real API: one round takes printed parts to the
carers, never beyond what the orders need, and a round with nothing to do does nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.demo.hub_volunteers import HubVolunteers
from tests.conftest import Network
from tests.dashboard.conftest import Service


@pytest.fixture
def service(live_server: str) -> Iterator[Service]:
    api = Service(live_server)
    yield api
    api.http.close()


@pytest.fixture
def volunteers(live_server: str, network: Network) -> Iterator[HubVolunteers]:
    hub = HubVolunteers(live_server, network.coordinator)
    yield hub
    hub.close()


def test_a_round_takes_printed_parts_to_the_carers(
    service: Service, network: Network, volunteers: HubVolunteers
) -> None:
    coordinator = network.coordinator
    service.donate(coordinator, "film_sheet", 20)
    service.donate(coordinator, "elastic", 20)
    printer = service.printer(network.maker)
    other_printer = service.printer(network.other_maker)
    service.printed(coordinator, printer, "headband", 4)
    service.printed(coordinator, other_printer, "headband", 3)
    service.printed(coordinator, printer, "reinforcement", 2)
    service.printed(coordinator, other_printer, "amicroche", 6)
    visors = service.order(network.centre, "visor", 5, days=3)
    reinforced = service.order(network.other_centre, "visor-reinforced", 2, days=5)
    hooks = service.order(network.centre, "amicroche", 40, days=9)

    volunteers.round()

    orders = {order["id"]: order for order in service.get(coordinator, "/orders")}
    delivered = {
        order_id: orders[order_id]["delivered"] for order_id in (visors, reinforced, hooks)
    }
    assert delivered == {visors: 5, reinforced: 2, hooks: 6}
    stock = {(b["item"], b["stage"]): b["quantity"] for b in service.get(coordinator, "/stock")}
    assert stock.get(("headband", "at_maker"), 0) == 0  # everything was collected
    assert stock[("film_sheet", "on_hand")] == 13  # 7 visors made, no more
    assert stock.get(("visor", "packed"), 0) == 0


def test_a_round_with_nothing_to_do_records_nothing(
    service: Service, network: Network, volunteers: HubVolunteers
) -> None:
    coordinator = network.coordinator
    service.donate(coordinator, "film_sheet", 5)
    service.order(network.centre, "visor", 5)
    before = service.get(coordinator, "/stock/movements")

    volunteers.round()
    volunteers.round()

    assert service.get(coordinator, "/stock/movements") == before
