"""Streamlit's own words in the reader's language.

Streamlit's browser side writes words of its own, in English, whatever the page's
language: the "Skip to main content" link, the names screen readers announce ("Main
menu", "Increment", "Help for Grams", "Link to heading"), the table toolbar and column
menu, the file uploader ("200MB per file", "39.1KB"), the date picker ("Next month",
"Selected Date: January 01, 2026"), the number and time inputs' messages. Its page also
declares itself `<html lang="en">`, so a screen reader would read a French page with an
English voice.

The date picker's calendar and the tables take their language from the browser
(`navigator.language`), not from the page: a French page in an English browser showed
"December 2026", "Sunday, November 29, 2026". Its date field is always American
English (Streamlit pins it to `en-US`).

The web app's server (`server.py`) serves Streamlit's page with the reader's language in
`<html lang>` and, first of all its scripts, one of ours, `/streamlit-words.js` (from
this server, so the page's Content-Security-Policy allows it). That script tells
Streamlit the browser speaks the page's language, so the calendar is drawn in it by the
browser itself, and puts Streamlit's remaining English in that language as Streamlit
draws it. The words are here, as data; the script only looks them up.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TypedDict

from babel.dates import get_month_names

WORDS_SCRIPT_PATH = "/streamlit-words.js"
SCRIPT = Path(__file__).with_name("streamlit_words.js")
# The browser language Streamlit is told for a page in each language, unless the
# browser's own already is one of that language ("fr-CA" stays).
BROWSER_LOCALES = {"fr": "fr-FR", "en": "en-US"}

# Streamlit's dash in "Hours must be 0{DASH}23" and in a month's spoken value "12 {DASH} December".
DASH = "\N{EN DASH}"

# Streamlit's words, exactly as its browser side writes them, and their French.
FRENCH_WORDS: dict[str, str] = {
    "Skip to main content": "Aller au contenu principal",
    "Main menu": "Menu principal",
    "App pages": "Pages de l'application",
    "Sidebar": "Barre latérale",
    "Collapse sidebar": "Replier la barre latérale",
    "Expand sidebar": "Déplier la barre latérale",
    "View less": "Voir moins",
    "Link to heading": "Lien vers ce titre",
    "Help": "Aide",
    "Increment": "Augmenter",
    "Decrement": "Diminuer",
    "Open": "Ouvrir",
    "Close": "Fermer",
    "Clear all": "Tout effacer",
    "Clear value": "Effacer",
    "Select all": "Tout sélectionner",
    "No results": "Aucun résultat",
    "No options to select": "Aucun choix possible",
    "Choose an option": "Choisissez…",
    "Choose options": "Choisissez…",
    "Selectbox options": "Choix possibles",
    "Multiselect options": "Choix possibles",
    "Show suggestions": "Afficher les choix",
    "0 options available.": "Aucun choix disponible.",
    "1 option available.": "1 choix disponible.",
    "Dismiss": "Fermer",
    "Show password": "Afficher le mot de passe",
    "Hide password": "Masquer le mot de passe",
    "Running...": "En cours…",
    "Stop": "Arrêter",
    "Please wait...": "Veuillez patienter…",
    "Connecting": "Connexion…",
    "Page not found": "Page introuvable",
    "visualization": "graphique",  # a chart, as a screen reader names its kind
    # Tables: toolbar, search, column menu, empty table.
    "Search": "Rechercher",
    "Close Search": "Fermer la recherche",
    "Next Result": "Résultat suivant",
    "Previous Result": "Résultat précédent",
    "Download as CSV": "Télécharger en CSV",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Copy to clipboard": "Copier",
    "Dataframe column menu": "Menu de la colonne",
    "Copy column name": "Copier le nom de la colonne",
    "Sort ascending": "Trier par ordre croissant",
    "Sort descending": "Trier par ordre décroissant",
    "Automatic": "Automatique",
    "Localized": "Selon la langue",
    "Plain": "Brut",
    "Scientific": "Scientifique",
    "Percent": "Pourcentage",
    "Accounting": "Comptable",
    "Autosize": "Ajuster la largeur",
    "Pin column": "Épingler la colonne",
    "Unpin column": "Détacher la colonne",
    "Hide column": "Masquer la colonne",
    "No data": "Aucune donnée",
    "No content": "Vide",
    "Empty": "Vide",
    # Charts' toolbar.
    "Show data": "Afficher les données",
    "Show chart": "Afficher le graphique",
    "Download as PNG": "Télécharger en PNG",
    "Copy Vega-Lite spec": "Copier la description Vega-Lite",
    "Copied!": "Copié !",
    "Vega visualization": "Graphique",
    # The file uploader.
    "Upload": "Choisir un fichier",
    "file upload": "Envoi de fichier",
    "Add files": "Ajouter des fichiers",
    "add icon": "Ajouter",
    "Drag and drop a file here": "Déposez le fichier ici",
    "Drag and drop files here": "Déposez les fichiers ici",
    "Delete": "Supprimer",
    # The date picker (its calendar is the browser's, in the page's language).
    "Choose date": "Choisir une date",
    "Choose date range": "Choisir une période",
    "Clear date": "Effacer la date",
    "Clear dates": "Effacer les dates",
    "Date range": "Période",
    "Quick select a date range": "Choisir une période toute faite",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.": (
        "Flèches pour changer de date, Entrée pour la choisir, Échap pour fermer."
    ),
    "Previous month": "Mois précédent",
    "Next month": "Mois suivant",
    "Select...": "Choisir…",
    # The time input.
    "Clear time": "Effacer l'heure",
    f"Hours must be 0{DASH}23.": "Les heures vont de 0 à 23.",
    f"Minutes must be 0{DASH}59.": "Les minutes vont de 0 à 59.",
    f"Seconds must be 0{DASH}59.": "Les secondes vont de 0 à 59.",
    "Invalid time format. Please use HH:MM.": "Heure non reconnue : écrivez HH:MM.",
    "Invalid time format. Please use HH:MM:SS or HH:MM.": (
        "Heure non reconnue : écrivez HH:MM:SS ou HH:MM."
    ),
    # The number input.
    "Number is above the allowed range.": "Nombre trop grand.",
    "Number is below the allowed range.": "Nombre trop petit.",
}

# Words that begin a longer label ("Help for Grams", "Remove plan.stl"): the French
# beginning; the rest is kept (a name of the app's, in French already) or, if it is
# Streamlit's too ("Error: Number is below the allowed range."), looked up in turn.
FRENCH_PREFIXES: dict[str, str] = {
    "Help for ": "Aide : ",
    "Error: ": "Erreur : ",
    "Remove ": "Retirer ",
    "Choose date, ": "Choisir une date, ",
    # The date field's parts, as screen readers announce them: "day, Needed by".
    "day, ": "jour, ",
    "month, ": "mois, ",
    "year, ": "année, ",
}


class Pattern(TypedDict):
    """A whole text with parts that vary (numbers, names), as a regular expression, and
    its French with the parts in `$1`, `$2`...; `within`: only inside these elements."""

    english: str
    local: str
    within: str | None


def pattern(english: str, local: str, within: str | None = None) -> Pattern:
    return {"english": english, "local": local, "within": within}


NUMBER = r"(-?[\d.,]+)"
# Streamlit writes sizes as "200MB", "39.1KB" (`toFixed`, no space); French as "39,1 Ko".
SIZE_UNITS = {"GB": "Go", "MB": "Mo", "KB": "Ko", "B": "o"}
FILE_UPLOADER = '[data-testid="stFileUploader"]'
DATAFRAME = '[data-testid="stDataFrame"]'
DATE_FIELD = '[data-testid="stDateInputField"]'


def size_patterns() -> list[Pattern]:
    """Sizes in the file uploader: the limit per file, and each file's size, alone or
    after its name (a file's screen-reader label is "plan.stl, 39.1KB")."""
    patterns = []
    for english, french in SIZE_UNITS.items():
        for before, after in (("", ""), ("(.+), ", "$1, ")):
            shift = 1 if before else 0
            whole, fraction = f"${1 + shift}", f"${2 + shift}"
            patterns += [
                pattern(f"{before}(\\d+)\\.(\\d+){english}", f"{after}{whole},{fraction} {french}"),
                pattern(f"{before}(\\d+){english}", f"{after}{whole} {french}"),
            ]
        patterns.append(pattern(f"(\\d+){english} per file", f"$1 {french} par fichier"))
    return [{**each, "within": FILE_UPLOADER} for each in patterns]


def month_patterns() -> list[Pattern]:
    """The date field's words with a month: Streamlit pins the field to American English,
    whatever the page's or the browser's language. Month names as Babel (CLDR) has them."""
    english_months = get_month_names("wide", locale="en_US")
    french_months = get_month_names("wide", locale="fr")
    patterns = []
    for number, english in english_months.items():
        french = french_months[number]
        patterns += [
            pattern(f"(\\d{{1,2}}) {DASH} {english}", f"$1 {DASH} {french}"),
            pattern(
                f"Selected Date: {english} (\\d{{1,2}}), (\\d{{4}})",
                f"Date sélectionnée : $1 {french} $2",
            ),
        ]
    return patterns


FRENCH_PATTERNS: list[Pattern] = [
    *month_patterns(),
    *size_patterns(),
    pattern(r"(.+) files are not allowed\.", "Fichiers $1 non acceptés."),
    pattern(r"Select (\d+) matches", "Sélectionner les $1 résultats"),
    pattern(r"(\d+) options available\.", "$1 choix disponibles."),
    # A chart's parts, as its screen-reader names describe them ("rect mark container").
    pattern(r"\w+ mark container", "groupe d'éléments du graphique"),
    pattern(r"(.+), selected", "$1, sélectionné"),
    # An empty date field's parts, "dd / mm / yyyy" in American English.
    pattern("dd", "jj", within=DATE_FIELD),
    pattern("yyyy", "aaaa", within=DATE_FIELD),
    # A table's ticked and unticked boxes, as its screen-reader copy writes them.
    pattern("true", "oui", within=DATAFRAME),
    pattern("false", "non", within=DATAFRAME),
    pattern(
        "Number is above the allowed range. "
        f"Please enter a value less than or equal to {NUMBER}\\.",
        "Nombre trop grand : saisissez au plus $1.",
    ),
    pattern(
        "Number is below the allowed range. "
        f"Please enter a value greater than or equal to {NUMBER}\\.",
        "Nombre trop petit : saisissez au moins $1.",
    ),
    pattern(
        "Number is outside the allowed range. "
        f"Please enter a value between {NUMBER} and {NUMBER}\\.",
        "Nombre hors limites : saisissez une valeur de $1 à $2.",
    ),
    pattern(
        f"Time is out of range\\. Hours must be 0{DASH}23, "
        f"minutes 0{DASH}59(, seconds 0{DASH}59)?\\.",
        "Heure impossible : heures de 0 à 23, minutes et secondes de 0 à 59.",
    ),
]


class Words(TypedDict):
    locale: str
    words: dict[str, str]
    prefixes: dict[str, str]
    patterns: list[Pattern]


WORDS_BY_LANGUAGE: dict[str, tuple[dict[str, str], dict[str, str], list[Pattern]]] = {
    "fr": (FRENCH_WORDS, FRENCH_PREFIXES, FRENCH_PATTERNS)
}


@cache
def words_script(language: str) -> str:
    """The script that tells Streamlit the page's language and puts Streamlit's words in
    it (in English it only tells the language)."""
    words, prefixes, patterns = WORDS_BY_LANGUAGE.get(language, ({}, {}, []))
    table: Words = {
        "locale": BROWSER_LOCALES.get(language, language),
        "words": words,
        "prefixes": prefixes,
        "patterns": patterns,
    }
    return f"const STREAMLIT_WORDS = {json.dumps(table, ensure_ascii=False)};\n{SCRIPT.read_text()}"


def page_in_language(html: str, language: str) -> str:
    """Streamlit's page declaring `language`, and loading the words script before its own
    (deferred scripts run in order): Streamlit reads the browser's language as it draws."""
    script = f'<script src="{WORDS_SCRIPT_PATH}?lang={language}" defer></script>'
    return html.replace('<html lang="en">', f'<html lang="{language}">', 1).replace(
        "<head>", f"<head>\n    {script}", 1
    )
