"""Signing in and out, a refused token, and each role seeing only its own pages."""

from __future__ import annotations

import pytest

from tests.conftest import Network
from tests.dashboard.conftest import OpenApp, no_exception, texts

ALL_PAGES = {
    "board": "app_pages/board.py",
    "hub": "app_pages/hub.py",
    "maker": "app_pages/maker.py",
    "centre": "app_pages/centre.py",
}


def test_a_coordinator_signs_in_with_their_token_and_out_again(
    open_app: OpenApp, network: Network
) -> None:
    app = open_app()
    assert app.title[0].value == "Connexion à makerline"

    app.text_input(key="login_token").input(network.coordinator)
    app.button(key="login_submit").click().run()

    no_exception(app)
    assert app.title[0].value == "Tableau de production"
    assert "Fab-lab" in texts(app.sidebar.markdown)
    app.button(key="logout").click().run()
    assert app.title[0].value == "Connexion à makerline"
    assert app.text_input(key="login_token").value == ""


def test_a_wrong_token_is_refused_with_the_services_reason(open_app: OpenApp) -> None:
    app = open_app()

    app.text_input(key="login_token").input("mkl_not-a-real-token")
    app.button(key="login_submit").click().run()

    no_exception(app)
    error = texts(app.error)
    assert "Connexion refusée" in error
    assert "This token is not valid" in error
    assert app.title[0].value == "Connexion à makerline"
    assert app.text_input(key="login_token").value == "mkl_not-a-real-token"


def test_each_role_gets_only_its_own_pages(open_app: OpenApp, network: Network) -> None:
    roles = {
        network.coordinator: ("Tableau de production", {"board", "hub"}),
        network.maker: ("Mes imprimantes", {"maker"}),
        network.centre: ("Commandes de CH Abbeville", {"centre"}),
    }
    for token, (home_title, own_pages) in roles.items():
        app = open_app(token)
        no_exception(app)
        assert app.title[0].value == home_title
        for page, path in ALL_PAGES.items():
            if page in own_pages:
                app.switch_page(path)
            else:
                with pytest.raises(ValueError, match="Could not find a navigation page"):
                    app.switch_page(path)


def test_a_token_no_longer_accepted_sends_back_to_sign_in(open_app: OpenApp) -> None:
    app = open_app("mkl_revoked-token")

    no_exception(app)
    assert app.title[0].value == "Connexion à makerline"
    assert "This token is not valid" in texts(app.error)
    assert "token" not in app.session_state
