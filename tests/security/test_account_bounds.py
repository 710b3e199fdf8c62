"""Issue 13, "the same pattern elsewhere": anyone can sign up as a maker, so what one
account may pile up is bounded too: its printers, and the rate of its changes."""

from __future__ import annotations

import httpx
import pytest

from orchestrator.core.config import Settings
from tests.conftest import Network, bearer

API = "/api/v1"
PRINTER = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"max_printers_per_maker": 3, "account_write_rate_limit": "6/minute"}
    )


def test_a_maker_registers_a_bounded_number_of_printers(live_server: str, network: Network) -> None:
    with httpx.Client(base_url=live_server, headers=bearer(network.maker)) as http:
        codes = [http.post(f"{API}/printers", json=PRINTER).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 409]


def test_a_makers_changes_are_bounded_in_rate_and_the_coordinators_are_not(
    live_server: str, network: Network
) -> None:
    hand_in = {"item": "headband", "quantity": 1}
    with httpx.Client(base_url=live_server) as http:
        codes = [
            http.post(f"{API}/hand-ins", json=hand_in, headers=bearer(network.maker)).status_code
            for _ in range(7)
        ]
        refused = http.post(f"{API}/hand-ins", json=hand_in, headers=bearer(network.maker))
        donations = [
            http.post(
                f"{API}/donations",
                json={"donor": "Mairie", "item": "film_sheet", "quantity": 10},
                headers=bearer(network.coordinator),
            ).status_code
            for _ in range(8)
        ]
        # Another maker is not held back by the first one's pace.
        other = http.post(f"{API}/hand-ins", json=hand_in, headers=bearer(network.other_maker))
    assert codes == [201] * 6 + [429]
    assert "Retry-After" in refused.headers
    assert donations == [201] * 8
    assert other.status_code == 201
