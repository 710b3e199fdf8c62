"""`python -m dashboard --host H --port P --api-url URL`: serve the web app with Streamlit.

`makerline board` runs this once it has read the service's settings: the command crosses
the process boundary by the package's name, so the service never imports the board to
find its files. This process becomes Streamlit serving `server.py` (one `exec`, so that
signals reach Streamlit itself).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

SERVER = Path(__file__).with_name("server.py")

# Colours that meet WCAG 2.1 AA (France's RGAA) on the white page and the grey sidebar
# (#F0F2F6): Streamlit's own red gives white button text 3.3:1 and its grey captions
# 3.9:1, under the 4.5:1 text needs. Streamlit draws captions in the text colour at 60 %:
# near-black text keeps them at 4.8:1 or more. The light theme whatever the browser
# prefers, so that no untested dark palette shows.
THEME = {
    "base": "light",
    "primaryColor": "#1565C0",  # white on it 5.8:1, on white 5.8:1, on the sidebar 5.1:1
    "linkColor": "#1565C0",
    "textColor": "#0E1117",  # 18.9:1 on white; captions (60 %) 5.0:1, 4.8:1 on the sidebar
    "backgroundColor": "#FFFFFF",
    "secondaryBackgroundColor": "#F0F2F6",
}


def streamlit_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SERVER),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--server.fileWatcherType=none",
        # Streamlit would otherwise report usage to its servers.
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
        "--client.toolbarMode=viewer",  # no developer menu for volunteers
        *(f"--theme.{name}={value}" for name, value in THEME.items()),
    ]


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="Serve the web app (run by `makerline board`, which fills these in "
        "from the service's settings).",
    )
    parser.add_argument("--host", required=True, help="address to listen on")
    parser.add_argument("--port", type=int, required=True, help="port to listen on")
    parser.add_argument(
        "--api-url", required=True, help="the service's URL as the board reaches it"
    )
    args = parser.parse_args(argv)
    os.execve(
        sys.executable,
        streamlit_command(args.host, args.port),
        os.environ | {"MAKERLINE_API_URL": args.api_url},
    )


if __name__ == "__main__":
    main()
