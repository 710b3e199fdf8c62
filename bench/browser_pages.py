"""The web app in a real browser: how long each page takes to fill, and each form to
confirm, in Debian's headless chromium driven by Playwright.

Two networks, each measured the same way:

- the demo: `makerline demo` in a temporary data folder, on free ports, with its 25
  simulated printers printing and the hub's volunteers working every 20 seconds;
- a big network: 1,000 printers and 10,000 jobs written straight into SQLite (as
  `board_render.py` seeds it), `makerline serve` and `makerline board` against it.

Each run opens a fresh browser context per role (an empty cache: a first visit) and
signs in (the server's `/signin` form when the web app has one, Streamlit's sign-in page
otherwise), pressing Enter once the sign-in page has fetched what it asks the browser to
fetch (network idle), as it would while a person types their token; then it opens each of
the role's pages from the sidebar and submits one form per role. A page is *filled*
when, with no element of the page before it left on screen (`data-stale`) and no grey
placeholder (`stSkeleton`):

- its `h1` is the page's title;
- at least the page's number of tiles show a value (`stMetricValue`);
- at least its number of charts are drawn (a canvas or svg in `stVegaLiteChart`);
- every visible table has a row, and the visible tables and "nothing yet" notices
  (`stAlert`) number at least the page's tables;
- at least its number of forms are there (`stForm`).

A form is *confirmed* when a notice or toast with the expected sentence shows (the
sentence names the quantity, printer or delivery sent). Times run from the click (on a
sidebar link, a tab, or a submit button) to that moment, polled in the page with
`wait_for_function`. The status widget's "running" is not a criterion: the board's
fragments rerun every five seconds by design.

Side by side, the AppTest figure: the same page rendered by Streamlit's AppTest in this
process (as `board_render.py` renders the board), its cache emptied before each render;
the ratio is the browser's median over AppTest's.

Where the time goes, per page (medians): when the heading came, when the first
websocket message came back from Streamlit and how many (kB) until filled, how many
requests reached the API meanwhile (from its access log) and how long those requests
take when sent again alone, one after another.

Run: python bench/browser_pages.py [--runs 5] [--printers 1000] [--jobs 10000]
     [--only demo|big]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from board_render import APP, quiet_streamlit, seed_network
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlmodel import Session, select

from dashboard.i18n import FRENCH
from harness import free_port, percentile, stop_process, wait_until
from orchestrator.core.security import hash_token
from orchestrator.database.engine import make_engine
from orchestrator.database.tables import Account
from orchestrator.domain.vocabulary import Role

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}
API_PREFIX = "/api/v1"
START_SECONDS = 180.0
WAIT_MS = 120_000  # a page or form slower than this counts as this, shown as ">"
BIG_MAKER_TOKEN = "m0"  # seed_network's first maker: ten printers, a thousand jobs
BIG_CENTRE_TOKEN = "bench-centre"  # given to seed_network's centre, which has the orders

FILLED_JS = """
(spec) => {
  const fresh = (element) => !element.closest('[data-stale="true"]');
  const shown = (element) => fresh(element) && element.checkVisibility();
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main || main.querySelector('[data-testid="stSkeleton"]')) return false;
  if (main.querySelector('[data-stale="true"]')) return false;
  const all = (selector) => [...main.querySelectorAll(selector)].filter(shown);
  const heading = all('h1')[0];
  if (!heading || !heading.innerText.trim().startsWith(spec.title)) return false;
  if (spec.headingOnly) return true;
  const metrics = all('[data-testid="stMetricValue"]');
  if (metrics.length < spec.metrics || metrics.some((m) => !m.innerText.trim())) return false;
  const charts = all('[data-testid="stVegaLiteChart"]');
  if (charts.length < spec.charts || charts.some((c) => !c.querySelector('canvas, svg')))
    return false;
  const tables = all('[data-testid="stDataFrame"]');
  if (tables.some((table) => !table.querySelector('tbody tr'))) return false;
  if (tables.length + all('[data-testid="stAlert"]').length < spec.tables) return false;
  return all('[data-testid="stForm"]').length >= spec.forms;
}
"""

CONFIRMED_JS = """
(parts) => [...document.querySelectorAll('[data-testid="stAlert"], [data-testid="stToast"]')]
  .some((notice) => parts.every((part) => notice.innerText.includes(part)))
"""

# What the page shows instead, when a step never ends: its notices, toasts and exception.
NOTICES_JS = """
() => [...document.querySelectorAll(
  '[data-testid="stAlert"], [data-testid="stToast"], [data-testid="stException"]')]
  .map((notice) => notice.innerText.trim().slice(0, 200)).join(' | ') || '(no notice)'
"""


def french_prefix(key: str) -> str:
    """A French text up to its first parameter: what stays the same on every page (the
    plural "other" form of a sentence that counts)."""
    message = FRENCH[key]
    text = message if isinstance(message, str) else message["other"]
    return text.split("{")[0]


# --- what each page and form is -------------------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    """A page, the sidebar link that opens it, and what it shows once filled."""

    name: str
    link_key: str
    title_key: str
    metrics: int = 0
    charts: int = 0
    tables: int = 0
    forms: int = 0

    def criteria(self, heading_only: bool = False) -> dict[str, Any]:
        return {
            "title": french_prefix(self.title_key).strip(),
            "metrics": self.metrics,
            "charts": self.charts,
            "tables": self.tables,
            "forms": self.forms,
            "headingOnly": heading_only,
        }


# The board opens on its tiles and the printers' tab; the charts have a tab of their own.
BOARD = PageSpec("board", "page.board", "board.title", metrics=14, tables=1)
BOARD_QUEUE = PageSpec("board: queue tab", "page.board", "board.title", tables=1)
# The trends tab: its two charts and the funnel's table.
BOARD_TRENDS = PageSpec("board: trends tab", "page.board", "board.title", charts=2, tables=1)
HUB = PageSpec("hub", "page.hub", "hub.title", forms=1)
QUARANTINE = PageSpec("quarantine", "page.quarantine", "page.quarantine", forms=1)
MESSAGES = PageSpec("messages", "page.messages", "messages.title", tables=1)
NOTIFICATIONS = PageSpec("notifications", "page.notifications", "notif.title", forms=2)
MAKER = PageSpec("maker", "page.maker", "maker.title", tables=2, forms=1)
# The orders table; the deliveries come in the same run, as cards to confirm or a table.
CENTRE = PageSpec("centre", "page.centre", "centre.title", tables=1, forms=1)

# The file AppTest opens for each page (relative to dashboard/).
PAGE_FILES = {
    "board": "app_pages/board.py",
    "hub": "app_pages/hub.py",
    "quarantine": "app_pages/quarantine.py",
    "messages": "app_pages/messages.py",
    "notifications": "app_pages/notifications.py",
    "maker": "app_pages/maker.py",
    "centre": "app_pages/centre.py",
}


@dataclass(frozen=True)
class Tokens:
    coordinator: str
    maker: str
    centre: str


@dataclass
class Sample:
    """One timed step: seconds to filled (or confirmed), and what happened meanwhile."""

    seconds: float
    heading_s: float | None = None
    first_frame_s: float | None = None
    frames_kb: float = 0.0
    api_requests: list[str] = field(default_factory=list)  # "POST /api/v1/printers 201"
    missed: str | None = None  # what the page showed instead, when it never filled or confirmed


@dataclass
class Measures:
    """Every sample of one network, by step name ("board (sign-in)", "form: order")."""

    samples: dict[str, list[Sample]] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    apptest_s: dict[str, float] = field(default_factory=dict)
    api_alone_s: dict[str, float] = field(default_factory=dict)

    def add(self, step: str, role: str, sample: Sample | None) -> None:
        self.roles.setdefault(step, role)
        if sample is not None:
            self.samples.setdefault(step, []).append(sample)


# --- the browser's side ---------------------------------------------------------------


class Frames:
    """Every websocket message the page receives: (monotonic time, bytes); and the
    browser console's errors and warnings: (monotonic time, text)."""

    def __init__(self, context: BrowserContext) -> None:
        self.received: list[tuple[float, int]] = []
        self.console: list[tuple[float, str]] = []
        context.on("page", self.watch)

    def watch(self, page: Page) -> None:
        page.on("websocket", lambda ws: ws.on("framereceived", self.record))
        page.on("console", self.note)
        page.on("pageerror", lambda error: self.console.append((time.monotonic(), str(error))))

    def record(self, payload: str | bytes) -> None:
        self.received.append((time.monotonic(), len(payload)))

    def note(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append((time.monotonic(), f"{message.type}: {message.text}"))

    def between(self, start: float, end: float) -> list[tuple[float, int]]:
        return [(at, size) for at, size in self.received if start <= at <= end]

    def console_between(self, start: float, end: float) -> list[str]:
        return [text for at, text in self.console if start <= at <= end]


class ApiLog:
    """The API's access log: which requests arrived while a step ran."""

    LINE = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) (/api/v1\S*) HTTP[^"]*" (\d{3})')

    def __init__(self, path: Path) -> None:
        self.path = path

    def offset(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def since(self, offset: int) -> list[str]:
        with self.path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
        return [f"{method} {path} {status}" for method, path, status in self.LINE.findall(text)]


@dataclass
class RoleTab:
    """A role's browser tab, with what the bench watches."""

    page: Page
    frames: Frames
    api_log: ApiLog


def timed(tab: RoleTab, start: Callable[[], None], done: Callable[[], None]) -> Sample:
    """Run `start` (a click), then wait for `done`; the sample, or one at the cap."""
    offset = tab.api_log.offset()
    began = time.monotonic()
    start()
    missed = None
    try:
        done()
        seconds = time.monotonic() - began
    except PlaywrightTimeout:
        seconds = WAIT_MS / 1000
        missed = tab.page.evaluate(NOTICES_JS)
    ended = time.monotonic()
    frames = tab.frames.between(began, ended)
    if missed is not None:
        console = tab.frames.console_between(began, ended)
        missed += f"; console: {' | '.join(console)[:1000] or 'nothing'}"
    return Sample(
        seconds=seconds,
        first_frame_s=frames[0][0] - began if frames else None,
        frames_kb=sum(size for _, size in frames) / 1000,
        api_requests=tab.api_log.since(offset),
        missed=missed,
    )


def wait_filled(page: Page, spec: PageSpec, sample_start: float) -> float:
    """Wait for the page's heading, then for it to be filled; the heading's time."""
    page.wait_for_function(
        FILLED_JS, arg=spec.criteria(heading_only=True), polling=50, timeout=WAIT_MS
    )
    heading_s = time.monotonic() - sample_start
    page.wait_for_function(FILLED_JS, arg=spec.criteria(), polling=50, timeout=WAIT_MS)
    return heading_s


def step_until_filled(tab: RoleTab, spec: PageSpec, click: Callable[[], None]) -> Sample:
    heading: dict[str, float] = {}

    def started() -> None:
        heading["start"] = time.monotonic()
        click()

    def filled() -> None:
        heading["at"] = wait_filled(tab.page, spec, heading["start"])

    sample = timed(tab, started, filled)
    sample.heading_s = heading.get("at")
    return sample


def confirmed(page: Page, *parts: str) -> Callable[[], None]:
    """Wait for a notice or toast holding every part of the expected sentence."""
    return lambda: page.wait_for_function(
        CONFIRMED_JS, arg=list(parts), polling=50, timeout=WAIT_MS
    ).dispose()


def has_signin_form(base: str) -> bool:
    """Whether the web app serves its own sign-in form (rather than Streamlit's page)."""
    with contextlib.suppress(httpx.HTTPError):
        return 'name="token"' in httpx.get(f"{base}/signin", timeout=10).text
    return False


def sign_in(tab: RoleTab, base: str, token: str, home: PageSpec) -> Sample:
    """Sign in; the sample runs from the submit to the home page filled."""
    page = tab.page
    if has_signin_form(base):
        # A person reads the page and types: by then it has fetched the app's files.
        page.goto(f"{base}/signin", wait_until="networkidle")
        field_ = page.locator("input[name=token]")
        field_.fill(token)
        submit: Callable[[], None] = lambda: field_.press("Enter")  # noqa: E731
    else:
        page.goto(base)
        page.locator("input[type=password]").fill(token)
        button = page.get_by_role("button", name=FRENCH["login.submit"])
        submit = button.click
    return step_until_filled(tab, home, submit)


def open_from_sidebar(tab: RoleTab, spec: PageSpec) -> Sample:
    link = tab.page.get_by_test_id("stSidebarNav").get_by_role("link", name=FRENCH[spec.link_key])
    return step_until_filled(tab, spec, link.click)


def open_board_tab(tab: RoleTab, spec: PageSpec, name_key: str) -> Sample:
    board_tab = tab.page.get_by_role("tab", name=FRENCH[name_key])
    return step_until_filled(tab, spec, board_tab.click)


def choose_first(page: Page, key: str) -> None:
    """Take the first option of the select list whose widget key starts with `key` (a
    choice's key names its language: `order_product-fr`)."""
    page.locator(f"[class*='st-key-{key}'] [role=combobox]").click()
    page.get_by_role("option").first.click()


def record_donation(tab: RoleTab, quantity: int) -> Sample:
    page = tab.page
    page.locator(".st-key-donation_donor input").fill("Banc d'essai")
    choose_first(page, "donation_item")
    page.locator(".st-key-donation_quantity input").fill(str(quantity))
    submit = page.locator(".st-key-donation_submit button")
    return timed(
        tab, submit.click, confirmed(page, french_prefix("hub.donation.done"), f" {quantity} ")
    )


def register_printer(tab: RoleTab, number: int) -> Sample:
    page = tab.page
    page.get_by_text(FRENCH["maker.register"]).click()
    name = f"Banc d'essai {number}"
    page.locator(".st-key-printer_name input").fill(name)
    submit = page.locator(".st-key-printer_submit button")
    return timed(tab, submit.click, confirmed(page, name))


def place_order(tab: RoleTab, quantity: int) -> Sample:
    page = tab.page
    choose_first(page, "order_product")
    page.locator(".st-key-order_quantity input").fill(str(quantity))
    page.locator(".st-key-order_address textarea").fill("43 rue de l'Isle, 80100 Abbeville")
    submit = page.locator(".st-key-order_submit button")
    return timed(
        tab, submit.click, confirmed(page, french_prefix("centre.placed"), f" {quantity} ")
    )


def confirm_delivery(tab: RoleTab) -> Sample | None:
    """Confirm the first delivery awaiting receipt; None when there is none."""
    page = tab.page
    button = page.get_by_role("button", name=re.compile(french_prefix("centre.confirm_receipt")))
    if button.count() == 0:
        return None
    button = button.first
    number = re.findall(r"\d+", button.inner_text())[-1]
    return timed(tab, button.click, confirmed(page, french_prefix("centre.receipt_done"), number))


@contextlib.contextmanager
def role_tab(browser: Browser, api_log: ApiLog) -> Iterator[RoleTab]:
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")
    frames = Frames(context)
    try:
        yield RoleTab(context.new_page(), frames, api_log)
    finally:
        context.close()


def measure_run(
    browser: Browser, base: str, tokens: Tokens, api_log: ApiLog, run: int, measures: Measures
) -> None:
    """One round: the coordinator's pages and donation, the maker's page and new printer,
    the centre's page, order and receipt."""
    quantity = 100 + 10 * run + random.randrange(10)  # never twice the same order
    with role_tab(browser, api_log) as tab:
        measures.add(
            "board (sign-in)", "coordinator", sign_in(tab, base, tokens.coordinator, BOARD)
        )
        measures.add(
            "board: queue tab", "coordinator", open_board_tab(tab, BOARD_QUEUE, "board.queue")
        )
        measures.add(
            "board: trends tab", "coordinator", open_board_tab(tab, BOARD_TRENDS, "board.trends")
        )
        for spec in (HUB, QUARANTINE, MESSAGES, NOTIFICATIONS):
            measures.add(spec.name, "coordinator", open_from_sidebar(tab, spec))
            if spec is HUB:
                measures.add("form: donation", "coordinator", record_donation(tab, quantity))
        measures.add("board", "coordinator", open_from_sidebar(tab, BOARD))
    with role_tab(browser, api_log) as tab:
        measures.add("maker (sign-in)", "maker", sign_in(tab, base, tokens.maker, MAKER))
        measures.add("form: new printer", "maker", register_printer(tab, quantity))
    with role_tab(browser, api_log) as tab:
        measures.add("centre (sign-in)", "centre", sign_in(tab, base, tokens.centre, CENTRE))
        measures.add("form: order", "centre", place_order(tab, quantity))
        measures.add("form: receipt", "centre", confirm_delivery(tab))


# --- AppTest, and the API alone -------------------------------------------------------


def apptest_seconds(base: str, token: str, page_file: str, runs: int) -> float:
    """Median seconds for AppTest to render the page as this person, cache emptied."""
    from streamlit.testing.v1 import AppTest

    from dashboard.account import ACCOUNT_KEY, TOKEN_KEY
    from dashboard.client import cached_get

    os.environ["MAKERLINE_API_URL"] = base
    account = httpx.get(
        f"{base}{API_PREFIX}/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    seconds = []
    for _ in range(runs + 1):  # the first one warms up the imports
        cached_get.clear()
        app = AppTest.from_file(str(APP), default_timeout=WAIT_MS / 1000)
        app.session_state[TOKEN_KEY] = token
        app.session_state[ACCOUNT_KEY] = account
        start = time.perf_counter()
        app.switch_page(page_file).run()
        seconds.append(time.perf_counter() - start)
        if app.exception:
            raise SystemExit(f"AppTest: {page_file} failed: {[e.value for e in app.exception]}")
    return statistics.median(seconds[1:])


def api_alone_seconds(base: str, token: str, requests: list[str], runs: int) -> float:
    """Median seconds to send a page's GETs again, alone, one after the other."""
    # Each request reads "GET /api/v1/... 200": its path is the second word.
    paths = [request.split(" ")[1] for request in requests if request.startswith("GET ")]
    seconds = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        for _ in range(runs):
            start = time.perf_counter()
            for path in paths:
                http.get(f"{base}{path}")
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def measure(base: str, api_url: str, tokens: Tokens, api_log: ApiLog, runs: int) -> Measures:
    measures = Measures()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for run in range(runs):
            measure_run(browser, base, tokens, api_log, run, measures)
            print(f"  run {run + 1}/{runs} done", file=sys.stderr, flush=True)
        browser.close()
    token_of = {
        "coordinator": tokens.coordinator,
        "maker": tokens.maker,
        "centre": tokens.centre,
    }
    for step, samples in measures.samples.items():
        if not step.startswith("form:"):
            middle = sorted(samples, key=lambda s: s.seconds)[len(samples) // 2]
            token = token_of[measures.roles[step]]
            measures.api_alone_s[step] = api_alone_seconds(api_url, token, middle.api_requests, 3)
    for page, page_file in PAGE_FILES.items():
        role = {"maker": "maker", "centre": "centre"}.get(page, "coordinator")
        measures.apptest_s[page] = apptest_seconds(api_url, token_of[role], page_file, runs)
    return measures


# --- the two networks -----------------------------------------------------------------


def python_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "orchestrator.cli", *arguments]


def answers(url: str) -> bool:
    with contextlib.suppress(httpx.TransportError):
        return httpx.get(url, timeout=1).status_code == 200
    return False


DEMO_TOKEN_LINE = re.compile(r"^\s+(coordinator|health_centre|maker)\s+.*?\s(mkl_\S+)\s*$", re.M)


@contextlib.contextmanager
def demo(workdir: Path) -> Iterator[tuple[str, str, Tokens, ApiLog]]:
    """`makerline demo` in its own data folder, on free ports: (board, API, tokens, log)."""
    api_port, board_port = free_port(), free_port()
    output = workdir / "demo.out"
    data = workdir / "demo"
    with output.open("wb") as out:
        process = subprocess.Popen(
            python_command(
                "demo",
                "--data-dir",
                str(data),
                "--api-port",
                str(api_port),
                "--board-port",
                str(board_port),
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: "makerline is running" in output.read_text() or process.poll() is not None,
            START_SECONDS,
            "makerline demo",
        )
        if process.poll() is not None:
            raise SystemExit(f"makerline demo stopped:\n{output.read_text()}")
        first: dict[str, str] = {}
        for role, token in DEMO_TOKEN_LINE.findall(output.read_text()):
            first.setdefault(role, token)
        tokens = Tokens(first["coordinator"], first["maker"], first["health_centre"])
        yield (
            f"http://127.0.0.1:{board_port}",
            f"http://127.0.0.1:{api_port}",
            tokens,
            ApiLog(data / "logs" / "api.log"),
        )
    finally:
        stop_process(process)


def give_centre_token(url: str, token: str) -> None:
    """seed_network keeps its health centre's token: give it one the bench knows."""
    engine = make_engine(url)
    with Session(engine) as session:
        centre = session.exec(select(Account).where(Account.role == Role.HEALTH_CENTRE)).one()
        centre.token_hash = hash_token(token)
        session.add(centre)
        session.commit()
    engine.dispose()


@contextlib.contextmanager
def big_network(
    workdir: Path, printers: int, jobs: int
) -> Iterator[tuple[str, str, Tokens, ApiLog]]:
    """The seeded network, `makerline serve` and `makerline board`: (board, API, tokens,
    log)."""
    url = f"sqlite:///{workdir / 'makerline.db'}"
    coordinator = seed_network(url, printers, jobs)
    give_centre_token(url, BIG_CENTRE_TOKEN)
    api_port, board_port = free_port(), free_port()
    api_url, base = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{board_port}"
    env = os.environ | {
        "MAKERLINE_DATABASE_URL": url,
        "MAKERLINE_PORT": str(api_port),
        "MAKERLINE_MQTT_URL": "mqtt://127.0.0.1:9",  # no broker: nothing here publishes
        "MAKERLINE_DATA_DIR": str(workdir),
        "PYTHONUNBUFFERED": "1",  # the access log as it happens
    }
    api_log = workdir / "api.log"
    with api_log.open("wb") as log, (workdir / "board.log").open("wb") as board_log:
        api = subprocess.Popen(python_command("serve"), env=env, stdout=log, stderr=log)
        board = subprocess.Popen(
            python_command("board", "--port", str(board_port), "--api-url", api_url),
            env=env,
            stdout=board_log,
            stderr=board_log,
            cwd=ROOT,
        )
    try:
        wait_until(lambda: answers(f"{api_url}{API_PREFIX}/health"), START_SECONDS, "the API")
        wait_until(lambda: answers(f"{base}/_stcore/health"), START_SECONDS, "the board")
        yield base, api_url, Tokens(coordinator, BIG_MAKER_TOKEN, BIG_CENTRE_TOKEN), ApiLog(api_log)
    finally:
        stop_process(board)
        stop_process(api, timeout=20)


# --- the table ------------------------------------------------------------------------

STEPS = (
    "board (sign-in)",
    "board",
    "board: queue tab",
    "board: trends tab",
    "hub",
    "quarantine",
    "messages",
    "notifications",
    "maker (sign-in)",
    "centre (sign-in)",
    "form: donation",
    "form: new printer",
    "form: order",
    "form: receipt",
)


def seconds_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f">{value:.0f}" if value >= WAIT_MS / 1000 else f"{value:.2f}"


def apptest_page(step: str) -> str:
    return step.split(" ")[0].rstrip(":")


def columns(measures: Measures, step: str) -> list[str]:
    samples = measures.samples.get(step, [])
    seconds = [sample.seconds for sample in samples]
    if not seconds:
        return ["—"] * 4
    median = statistics.median(seconds)
    apptest = (
        None
        if step.startswith("form:") or " tab" in step
        else (measures.apptest_s.get(apptest_page(step)))
    )
    return [
        seconds_text(median),
        seconds_text(percentile(seconds, 0.9)),
        seconds_text(apptest),
        "—" if apptest is None else f"{median / apptest:.1f}",
    ]


def table(networks: dict[str, Measures], runs: int) -> str:
    names = list(networks)
    head = f"{'page / form':<20} {'role':<12}" + "".join(f" | {name:<34}" for name in names)
    sub = f"{'':<20} {'':<12}" + "".join(
        f" | {'median':>7} {'p90':>7} {'AppTest':>8} {'ratio':>8}" for _ in names
    )
    lines = [
        f"seconds, {runs} runs; page = from the click (sign-in, sidebar link, tab) to every "
        "figure and table filled; form = from submit to its confirmation; AppTest = the "
        "same page rendered by AppTest; ratio = browser / AppTest",
        head,
        sub,
        "-" * len(sub),
    ]
    for step in STEPS:
        roles = {m.roles.get(step) for m in networks.values()} - {None}
        role = next(iter(roles), "")
        lines.append(
            f"{step:<20} {role:<12}"
            + "".join(
                " | "
                + " ".join(
                    f"{c:>7}" if i < 2 else f"{c:>8}"
                    for i, c in enumerate(columns(networks[name], step))
                )
                for name in names
            )
        )
    return "\n".join(lines)


def breakdown(name: str, measures: Measures) -> str:
    """Where the time goes, per step: medians of the heading's time, the first websocket
    message back, the kB received, the API requests and those requests sent alone."""
    head = (
        f"{'step':<20} {'filled s':>8} {'heading s':>9} {'1st msg s':>9} {'ws kB':>7} "
        f"{'API req':>7} {'API alone s':>11}"
    )
    lines = [f"where the time goes, {name} (medians)", head, "-" * len(head)]
    for step in STEPS:
        samples = measures.samples.get(step)
        if not samples:
            continue

        def median(values: list[float | None]) -> float | None:
            known = [value for value in values if value is not None]
            return statistics.median(known) if known else None

        lines.append(
            f"{step:<20} {seconds_text(median([s.seconds for s in samples])):>8} "
            f"{seconds_text(median([s.heading_s for s in samples])):>9} "
            f"{seconds_text(median([s.first_frame_s for s in samples])):>9} "
            f"{median([s.frames_kb for s in samples]) or 0:>7.0f} "
            f"{median([len(s.api_requests) for s in samples]) or 0:>7.0f} "
            f"{seconds_text(measures.api_alone_s.get(step)):>11}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per network (default 5)")
    parser.add_argument("--printers", type=int, default=1000, help="big network (default 1000)")
    parser.add_argument("--jobs", type=int, default=10_000, help="big network (default 10000)")
    parser.add_argument("--only", choices=("demo", "big"), help="measure one network only")
    args = parser.parse_args()
    # A SIGTERM unwinds like Ctrl-C, so that the stacks' children are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    quiet_streamlit()
    big_name = f"{args.printers:,}/{args.jobs:,}"
    stacks: dict[str, Callable[[Path], contextlib.AbstractContextManager[Any]]] = {
        "demo": demo,
        big_name: lambda workdir: big_network(workdir, args.printers, args.jobs),
    }
    if args.only == "demo":
        stacks.pop(big_name)
    elif args.only == "big":
        stacks.pop("demo")
    networks: dict[str, Measures] = {}
    for name, stack in stacks.items():
        print(f"{name}: starting", file=sys.stderr, flush=True)
        with (
            tempfile.TemporaryDirectory(prefix="makerline-browser-") as workdir,
            stack(Path(workdir)) as (base, api_url, tokens, api_log),
        ):
            networks[name] = measure(base, api_url, tokens, api_log, args.runs)
        print(table({name: networks[name]}, args.runs), file=sys.stderr, flush=True)
    print(table(networks, args.runs))
    for name, measures in networks.items():
        print()
        print(breakdown(name, measures))
    for line in misses(networks):
        print(line)


SHOWN_REQUESTS = 12


def misses(networks: dict[str, Measures]) -> list[str]:
    """Each step that never filled or confirmed: what the page showed instead, and the API
    requests (with their status) that came meanwhile."""
    lines = [
        f"{name}, {step}: the page showed {sample.missed}; "
        f"API, the first {SHOWN_REQUESTS} of {len(sample.api_requests)} requests meanwhile "
        f"(the demo's own included): {', '.join(sample.api_requests[:SHOWN_REQUESTS])}"
        for name, measures in networks.items()
        for step, samples in measures.samples.items()
        for sample in samples
        if sample.missed is not None
    ]
    return ["", "not filled or confirmed within the wait:", *lines] if lines else []


if __name__ == "__main__":
    main()
