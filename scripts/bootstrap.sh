# Sourced by scripts/demo and scripts/test: makes .venv and installs makerline into it.
# Usage: source scripts/bootstrap.sh [extras]   (extras: "" or "dev")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'makerline: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "this needs root to run: $*"; fi
}

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "missing $*; install it with your package manager"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  say "installing $* (Debian packages)"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
[ -n "$PYTHON" ] || apt_install python3 python3-venv python3-dev
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "makerline needs Python 3.11 or later; $PYTHON is $("$PYTHON" --version)"

if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtual environment in .venv"
  "$PYTHON" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$PYTHON" -m venv "$VENV"; }
fi

STAMP="$VENV/.installed-${EXTRAS:-main}"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  command -v gcc >/dev/null || apt_install gcc python3-dev
  say "installing makerline${EXTRAS:+ with [$EXTRAS]} into .venv"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e "$ROOT${EXTRAS:+[$EXTRAS]}"
  touch "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
