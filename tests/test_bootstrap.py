"""`source scripts/bootstrap.sh`, as the README's maker runs it beside OctoPrint, leaves
their shell as it was: no `set -e` that would close the terminal at the next failing
command, and a failed set-up returns an error instead of exiting."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def in_bash(script: str, home: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), **environment},
    )


def test_sourcing_it_keeps_the_shell_options_and_puts_makerline_on_the_path(
    tmp_path: Path,
) -> None:
    result = in_bash(
        "source scripts/bootstrap.sh; false; echo alive; echo options=$-; command -v makerline",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "alive" in lines
    (options,) = [line for line in lines if line.startswith("options=")]
    assert "e" not in options.removeprefix("options=")
    assert lines[-1] == str(ROOT / ".venv" / "bin" / "makerline")


def test_a_failed_setup_returns_without_closing_the_shell(tmp_path: Path) -> None:
    result = in_bash(
        "source scripts/bootstrap.sh; echo status=$?; echo alive", tmp_path, PYTHON="/bin/false"
    )
    assert "status=1" in result.stdout
    assert "alive" in result.stdout
    assert "makerline needs Python 3.11" in result.stderr
