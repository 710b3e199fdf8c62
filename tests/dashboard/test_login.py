"""Signed in or out inside the app: a session without a sign-in is led to the sign-in
page, a signed-in one signs out through the server, a refused token ends the sign-in, and
each role sees only its own pages. (The sign-in page itself: test_session.py.)"""

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


def test_a_session_without_a_sign_in_is_led_to_the_sign_in_page(open_app: OpenApp) -> None:
    app = open_app()

    no_exception(app)
    assert app.title[0].value == "Connexion à makerline"
    assert "connectez-vous avec votre jeton d'accès" in texts(app.markdown)
    assert '<a class="signin-link" href="/signin">Se connecter</a>' in texts(app.html)
    (language_switch,) = app.sidebar.html  # and no sign-out for nobody
    assert '<form method="post" action="/language">' in language_switch.value


def test_signing_out_is_a_form_the_server_answers(open_app: OpenApp, network: Network) -> None:
    app = open_app(network.coordinator)

    no_exception(app)
    assert app.title[0].value == "Tableau de production"
    assert "Fab-lab" in texts(app.sidebar.markdown)
    language_switch, sign_out = app.sidebar.html
    assert '<input type="hidden" name="next" value="/">' in language_switch.value
    assert 'value="fr" lang="fr" aria-pressed="true">Français</button>' in language_switch.value
    assert '<form method="post" action="/signout">' in sign_out.value
    assert '<button class="sidebar-button" type="submit">Se déconnecter</button>' in (
        sign_out.value
    )
    assert not app.button  # the old in-tab button is gone


def test_the_sign_out_speaks_the_readers_language(open_app: OpenApp, network: Network) -> None:
    app = open_app(network.maker)
    app.session_state["language"] = "en"  # as the sidebar's switch leaves it after a reload
    app.run()

    no_exception(app)
    language_switch, sign_out = app.sidebar.html
    assert 'value="en" lang="en" aria-pressed="true">English</button>' in language_switch.value
    assert ">Log out</button>" in sign_out.value


def test_each_role_gets_only_its_own_pages(open_app: OpenApp, network: Network) -> None:
    roles = {
        network.coordinator: ("Tableau de production", {"board", "hub"}),
        network.maker: ("Mes imprimantes", {"maker"}),
        network.centre: ("CH Abbeville", {"centre"}),  # its orders
    }
    for token, (home_title, own_pages) in roles.items():
        app = open_app(token)
        no_exception(app)
        assert home_title in app.title[0].value
        for page, path in ALL_PAGES.items():
            if page in own_pages:
                app.switch_page(path)
            else:
                with pytest.raises(ValueError, match="Could not find a navigation page"):
                    app.switch_page(path)


def test_a_token_no_longer_accepted_ends_the_sign_in(open_app: OpenApp) -> None:
    app = open_app("mkl_revoked-token")

    no_exception(app)
    assert app.title[0].value == "Connexion à makerline"
    assert "Votre jeton n'est plus accepté : reconnectez-vous." in texts(app.error)
    assert "token" not in app.session_state
    assert "account" not in app.session_state
