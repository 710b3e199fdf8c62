"""Pauses and holidays: the rules (which spans cover a moment, what a new pause may say),
the API on SQLite and PostgreSQL (who may pause what, resuming, bounds), and the
dispatcher, which gives a paused printer nothing new while the others go on."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Pause
from orchestrator.domain.errors import InvalidRequest
from orchestrator.domain.pauses import (
    OPEN_PAUSES_MAX,
    Span,
    check_new_pause,
    is_paused,
    paused_until,
)
from orchestrator.domain.vocabulary import JobStatus
from tests.conftest import Network, bearer
from tests.production_runs import dispatch_round, order, printing, serving
from tests.realparts import Mosquitto, wait_for
from tests.test_link import at_maker

API = "/api/v1"
MK3 = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# --- the rules ------------------------------------------------------------------------


def test_a_span_covers_from_its_start_until_its_end_excluded() -> None:
    span = Span(NOW, NOW + HOUR)
    assert [span.covers(NOW + offset) for offset in (-HOUR, 0 * HOUR, HOUR / 2, HOUR)] == [
        False,
        True,
        True,
        False,
    ]
    assert Span(NOW).covers(NOW + 400 * DAY)  # until resumed
    assert is_paused([Span(NOW - DAY, NOW), Span(NOW + HOUR)], NOW) is False


def test_paused_until_follows_pauses_that_join_or_overlap() -> None:
    holiday = [Span(NOW - DAY, NOW + DAY), Span(NOW + DAY, NOW + 3 * DAY)]
    assert paused_until(holiday, NOW) == NOW + 3 * DAY
    assert paused_until([*holiday, Span(NOW + 2 * DAY)], NOW) is None
    assert paused_until([Span(NOW + HOUR, NOW + DAY)], NOW) == NOW  # not paused now


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "code"),
    [
        (NOW - HOUR, None, "pause_starts_in_past"),
        (NOW + 400 * DAY, None, "pause_starts_too_late"),
        (NOW + DAY, NOW + DAY, "pause_ends_before_start"),
        (NOW, NOW + 367 * DAY, "pause_too_long"),
    ],
)
def test_a_new_pause_is_held_to_sensible_dates(
    starts_at: datetime, ends_at: datetime | None, code: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_new_pause(starts_at, ends_at, NOW)
    assert refused.value.code == code


def test_a_pause_from_a_slow_form_or_for_the_holidays_is_accepted() -> None:
    check_new_pause(NOW - timedelta(minutes=2), None, NOW)
    check_new_pause(NOW + 20 * DAY, NOW + 35 * DAY, NOW)


# --- the API --------------------------------------------------------------------------


def post(client: TestClient, token: str, path: str, body: dict | None = None):
    return client.post(f"{API}{path}", json=body, headers=bearer(token))


def get(client: TestClient, token: str, path: str, **params: object) -> list[dict]:
    response = client.get(f"{API}{path}", headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    answer: list[dict] = response.json()
    return answer


def printer_of(client: TestClient, token: str, name: str) -> int:
    response = post(client, token, "/printers", MK3 | {"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_makers_pause_their_own_printers_and_the_coordinator_anyones(
    client: TestClient, network: Network
) -> None:
    camille = printer_of(client, network.maker, "Camille's MK3S")
    julien = printer_of(client, network.other_maker, "Julien's MK3S")
    later = datetime.now(UTC) + 10 * DAY

    repair = post(client, network.maker, "/pauses", {"printer_id": camille, "reason": "buse"})
    assert repair.status_code == 201, repair.text
    assert (repair.json()["printer_id"], repair.json()["active"]) == (camille, True)
    holiday = post(
        client,
        network.maker,
        "/pauses",
        {"starts_at": later.isoformat(), "ends_at": (later + 14 * DAY).isoformat()},
    )
    assert holiday.status_code == 201, holiday.text
    assert (holiday.json()["maker_id"], holiday.json()["active"]) == (network.maker_id, False)

    # Not another maker's printer, nor another maker; not a centre at all.
    assert post(client, network.maker, "/pauses", {"printer_id": julien}).status_code == 403
    assert (
        post(client, network.maker, "/pauses", {"maker_id": network.other_maker_id}).status_code
        == 403
    )
    assert post(client, network.centre, "/pauses", {}).status_code == 403
    # The coordinator names whose printers.
    whose = post(client, network.coordinator, "/pauses", {})
    assert (whose.status_code, whose.json()["code"]) == (400, "pause_whose")
    theirs = post(client, network.coordinator, "/pauses", {"maker_id": network.other_maker_id})
    assert theirs.status_code == 201, theirs.text

    mine = {pause["id"] for pause in get(client, network.maker, "/pauses")}
    assert mine == {repair.json()["id"], holiday.json()["id"]}
    assert len(get(client, network.coordinator, "/pauses")) == 3
    assert [p["id"] for p in get(client, network.other_maker, "/pauses")] == [theirs.json()["id"]]


def test_resuming_ends_a_pause_under_way_and_cancels_one_to_come(
    client: TestClient, network: Network
) -> None:
    camille = printer_of(client, network.maker, "Camille's MK3S")
    now_pause = post(client, network.maker, "/pauses", {"printer_id": camille}).json()
    later = datetime.now(UTC) + 5 * DAY
    to_come = post(client, network.maker, "/pauses", {"starts_at": later.isoformat()}).json()

    other = client.delete(f"{API}/pauses/{now_pause['id']}", headers=bearer(network.other_maker))
    assert other.status_code == 404  # another maker's pause is not theirs to see
    for pause in (now_pause, to_come):
        ended = client.delete(f"{API}/pauses/{pause['id']}", headers=bearer(network.maker))
        assert ended.status_code == 204, ended.text

    assert get(client, network.maker, "/pauses") == []
    history = get(client, network.maker, "/pauses", include_ended="true")
    assert [(p["id"], p["active"]) for p in history] == [(now_pause["id"], False)]
    assert history[0]["ends_at"] is not None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"starts_at": "2020-01-01T00:00:00+00:00"}, 400, "pause_starts_in_past"),
        ({"starts_at": "2026-12-24T00:00:00"}, 422, "invalid_fields"),  # no time zone
        ({"reason": "x" * 201}, 422, "invalid_fields"),
        ({"printer_id": 1, "maker_id": 1}, 400, "pause_printer_or_maker"),
        ({"printer_id": 2**40}, 422, "invalid_fields"),
    ],
)
def test_a_pause_the_service_cannot_keep_is_refused_saying_why(
    client: TestClient, network: Network, body: dict, status: int, code: str
) -> None:
    printer_of(client, network.maker, "Camille's MK3S")
    refused = post(client, network.maker, "/pauses", body)
    assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text


def test_pauses_set_ahead_are_bounded(client: TestClient, network: Network) -> None:
    start = datetime.now(UTC) + DAY
    for week in range(OPEN_PAUSES_MAX):
        begins = start + week * 7 * DAY
        body = {"starts_at": begins.isoformat(), "ends_at": (begins + DAY).isoformat()}
        assert post(client, network.maker, "/pauses", body).status_code == 201
    one_more = post(client, network.maker, "/pauses", {})
    assert (one_more.status_code, one_more.json()["code"]) == (409, "too_many_pauses")


def test_a_printer_that_never_printed_is_deleted_with_its_pauses(
    client: TestClient, network: Network, engine: Engine
) -> None:
    camille = printer_of(client, network.maker, "Camille's MK3S")
    assert post(client, network.maker, "/pauses", {"printer_id": camille}).status_code == 201
    deleted = client.delete(f"{API}/printers/{camille}", headers=bearer(network.maker))
    assert deleted.status_code == 204, deleted.text
    with Session(engine) as session:
        assert session.exec(select(Pause)).all() == []


# --- the dispatcher -------------------------------------------------------------------


def test_a_paused_printer_gets_no_new_job_and_the_others_go_on(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    camille_mk3 = printer_of(client, network.maker, "Camille's MK3S")
    camille_mini = printer_of(client, network.maker, "Camille's other MK3S")
    julien = printer_of(client, network.other_maker, "Julien's MK3S")

    def dispatch(idle: list[int], jobs: int) -> set[int]:
        """The printers given a job; their prints then end and their beds are cleared."""
        made = dispatch_round(engine, settings, idle=idle, jobs=jobs, estimate=lambda *_: 600.0)
        for job, _, _ in made:
            done = post(client, network.coordinator, f"/jobs/{job.id}/done")
            assert done.status_code == 200, done.text
        return {printer.id or 0 for _, printer, _ in made}

    repair = post(client, network.maker, "/pauses", {"printer_id": camille_mk3}).json()
    assert dispatch([camille_mk3, camille_mini, julien], jobs=3) == {camille_mini, julien}

    # Julien's holiday, from now: all his printers.
    holiday = post(client, network.other_maker, "/pauses", {}).json()
    assert dispatch([camille_mk3, camille_mini, julien], jobs=3) == {camille_mini}

    # Both resume: every printer takes work again.
    for token, pause in ((network.maker, repair), (network.other_maker, holiday)):
        assert (
            client.delete(f"{API}/pauses/{pause['id']}", headers=bearer(token)).status_code == 204
        )
    assert dispatch([camille_mk3, camille_mini, julien], jobs=3) == {
        camille_mk3,
        camille_mini,
        julien,
    }


# --- end to end -----------------------------------------------------------------------


def test_a_printer_paused_mid_print_finishes_it_takes_nothing_new_and_resumes(
    engine: Engine, settings: Settings, network: Network, mosquitto: Mosquitto
) -> None:
    """The real production line, PrusaSlicer and a simulated printer on a real broker:
    Camille pauses her printer while it prints a headband plate. The print ends and her
    bed is cleared, but no other plate of the order starts until she resumes; then the
    order is printed to the end."""
    with serving(engine, settings, mosquitto) as url:
        hub = httpx.Client(base_url=f"{url}{API}", headers=bearer(network.coordinator), timeout=30)
        for item in ("film_sheet", "elastic"):
            body = {"donor": "Club 3D", "item": item, "quantity": 6}
            hub.post("/donations", json=body).raise_for_status()
        camille = httpx.Client(base_url=f"{url}{API}", headers=bearer(network.maker), timeout=30)
        created = camille.post("/printers", json=MK3)
        created.raise_for_status()
        printer_id = created.json()["id"]

        def jobs() -> list[Job]:
            with Session(engine) as session:
                return list(session.exec(select(Job).order_by(col(Job.id))))

        def printing_now() -> list[Job]:
            return [job for job in jobs() if job.status == JobStatus.PRINTING]

        # At 1,500x the headband's 1 h 23 min takes about 3 s: time to pause mid-print.
        credentials = {str(printer_id): created.json()["token"]}
        with printing(engine, settings, mosquitto, credentials, name="pauses", speed=1_500.0):
            order(url, network.centre, "visor", 6)
            wait_for(printing_now, 120, "a plate printing")
            (under_way,) = printing_now()
            pause = camille.post("/pauses", json={"printer_id": printer_id, "reason": "buse"})
            pause.raise_for_status()

            def finished() -> bool:
                return next(j for j in jobs() if j.id == under_way.id).status == JobStatus.DONE

            wait_for(finished, 60, "the print under way to finish")
            done_when_paused = {job.id or 0 for job in jobs() if job.status == JobStatus.DONE}
            # Several dispatch passes (every half-second, and at each status): nothing new.
            time.sleep(4)
            assert [job.id for job in jobs() if job.status != JobStatus.QUEUED] == sorted(
                done_when_paused
            )
            assert any(job.status == JobStatus.QUEUED for job in jobs())

            camille.delete(f"/pauses/{pause.json()['id']}").raise_for_status()
            wait_for(lambda: at_maker(engine, "headband") >= 6, 180, "6 printed headbands")
    assert {job.printer_id for job in jobs() if job.status == JobStatus.DONE} == {printer_id}
