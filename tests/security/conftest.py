"""The security suite (issue 13): each finding of the outside tries, tested against the
running service. The browser's fixtures come from the browser tests."""

from tests.browser.conftest import (  # noqa: F401  (fixtures)
    board_url,
    page,
    production_history,
    service,
)
