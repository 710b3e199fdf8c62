"""The look every page shares: the sidebar's forms (sign-out, language; borders 4.8:1 on
the grey sidebar), and CSS that keeps Streamlit's own English words off the page.

Streamlit writes a few words of its own in English whatever the page's language: "Press
Enter to submit form" under a text field, and on a file uploader an "Upload" button and
"200MB per file • STL". The CSS hides them; the uploader's drop zone, which opens the file
dialog on a click or from the keyboard (Enter, Space), says instead, in the reader's
language, what to do. Each page's own caption names the files it takes.
"""

from __future__ import annotations

import streamlit as st

from dashboard.i18n import current_language, translate


def css_string(text: str) -> str:
    """`text` as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def look_css(language: str) -> str:
    """The shared CSS, with the uploader's words in `language`."""
    drop_here = css_string(
        f"{translate(language, 'form.drop_file')} {translate(language, 'form.browse')}"
    )
    return f"""
[data-testid="InputInstructions"] {{ display: none; }}
.sidebar-button {{ font: inherit; padding: 0.375rem 0.75rem; color: inherit;
  background: #FFFFFF; border: 1px solid #5F6B7A; border-radius: 0.5rem; cursor: pointer; }}
.sidebar-button:hover {{ border-color: #1565C0; color: #1565C0; }}
.sidebar-button:focus-visible {{ outline: 3px solid #0E1117; outline-offset: 2px; }}
.sidebar-button[aria-pressed="true"] {{ border: 2px solid #0E1117; font-weight: 600; }}
fieldset.language-switch {{ border: 0; margin: 0; padding: 0; display: flex; gap: 0.5rem; }}
fieldset.language-switch legend {{ padding: 0; margin-bottom: 0.25rem; font-size: 0.875rem; }}
/* Every tab in sight: tabs wrap onto a second line instead of scrolling out of a
   narrow window (the hub has 12), so no tab hides behind an arrow. */
[role="tablist"] {{ flex-wrap: wrap; overflow-x: visible; row-gap: 0.25rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button {{ display: none; }}
[data-testid="stFileUploaderDropzone"]::before {{
    content: {drop_here};
    text-decoration: underline;
    cursor: pointer;
}}
"""


def apply_look() -> None:
    """Put the shared CSS on the page (once per run; it takes no room)."""
    st.html(f"<style>{look_css(current_language())}</style>")
