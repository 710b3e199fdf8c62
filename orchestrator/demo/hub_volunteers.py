"""The hub's volunteers, played for the demo, so that its board shows the whole flow from
printer to carer and not only printing.

Every round they do, through the REST API and with the coordinator's token, what the
Abbeville volunteers did by hand: collect what the makers have printed, check it (a few
parts are warped), assemble the products the open orders still need from the checked
parts and the donated film and elastic, disinfect each new batch, pack for the orders
that are due first and deliver what is packed. A refused step (409: not enough stock)
is left for the next round, as a person would.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import httpx

from orchestrator.domain.vocabulary import PRINTED_PARTS

log = logging.getLogger(__name__)

REJECTED_SHARE = 0.03  # warped or stringy parts set aside at QC


class HubVolunteers:
    def __init__(self, api_url: str, coordinator_token: str) -> None:
        self.http = httpx.Client(
            base_url=f"{api_url}/api/v1",
            headers={"Authorization": f"Bearer {coordinator_token}"},
            timeout=30,
        )

    def get(self, path: str, **params: Any) -> Any:
        answer = self.http.get(path, params=params)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: dict[str, Any]) -> bool:
        """True if done; False if the hub cannot do it yet (409)."""
        answer = self.http.post(path, json=body)
        if answer.status_code == 409:
            log.info("hub: %s not done yet: %s", path, answer.json().get("detail"))
            return False
        answer.raise_for_status()
        return True

    def round(self) -> None:
        self.collect()
        self.check()
        self.assemble()
        self.disinfect()
        self.pack()
        self.deliver()

    def collect(self) -> None:
        held: dict[tuple[int, str], int] = defaultdict(int)
        for movement in self.get("/stock/movements", stage="at_maker"):
            if movement["item"] in PRINTED_PARTS:  # makers' filament stays with them
                held[movement["maker_id"], movement["item"]] += movement["delta"]
        for (maker_id, item), quantity in sorted(held.items()):
            if quantity > 0:
                body = {"maker_id": maker_id, "item": item, "quantity": quantity}
                self.post("/collections", body)

    def check(self) -> None:
        for balance in self.stock():
            if balance["stage"] == "collected" and balance["quantity"] > 0:
                rejected = int(balance["quantity"] * REJECTED_SHARE)
                self.post(
                    "/qc",
                    {
                        "item": balance["item"],
                        "passed": balance["quantity"] - rejected,
                        "rejected": rejected,
                        "reason": "déformée" if rejected else None,
                    },
                )

    def assemble(self) -> None:
        """Each product the open orders still need beyond the goods in hand, as many as
        the checked parts and the supplies allow."""
        ready: dict[str, int] = defaultdict(int)
        for balance in self.stock():
            if balance["stage"] in ("qc_passed", "on_hand"):
                ready[balance["item"]] += balance["quantity"]
        wanted: dict[str, int] = defaultdict(int)
        for order in self.get("/orders"):
            wanted[order["product_key"]] += (
                order["packed"] + order["delivered"]
            )  # assembled already
            if order["status"] == "open":
                wanted[order["product_key"]] += order["remaining"]
        for batch in self.get("/batches"):
            wanted[batch["product_key"]] -= batch["quantity"]
        for product in self.get("/products"):
            bom = product["bom"]
            possible = min(ready[line["item"]] // line["quantity"] for line in bom)
            quantity = min(wanted[product["key"]], possible)
            if quantity > 0 and self.post(
                "/batches", {"product_key": product["key"], "quantity": quantity}
            ):
                for line in bom:
                    ready[line["item"]] -= quantity * line["quantity"]

    def disinfect(self) -> None:
        for batch in self.get("/batches"):
            if batch["disinfection_method"] is None:
                self.post(f"/batches/{batch['id']}/disinfection", {"method": "alcohol_70"})

    def pack(self) -> None:
        """For the orders due first, from the disinfected batches of the product ordered."""
        product_of = {batch["id"]: batch["product_key"] for batch in self.get("/batches")}
        disinfected: dict[str, int] = defaultdict(int)
        for movement in self.get("/stock/movements", stage="disinfected"):
            disinfected[product_of[movement["batch_id"]]] += movement["delta"]
        orders = self.get("/orders", status="open")
        for order in sorted(orders, key=lambda o: (o["needed_by"], o["id"])):
            product = order["product_key"]
            room = order["quantity"] - order["packed"] - order["delivered"]
            quantity = min(room, disinfected[product])
            if quantity > 0 and self.post(
                "/packings", {"order_id": order["id"], "quantity": quantity}
            ):
                disinfected[product] -= quantity

    def deliver(self) -> None:
        for order in self.get("/orders", status="open"):
            if order["packed"] > 0:
                self.post("/deliveries", {"order_id": order["id"], "quantity": order["packed"]})

    def stock(self) -> list[dict[str, Any]]:
        return list(self.get("/stock"))

    def close(self) -> None:
        self.http.close()
