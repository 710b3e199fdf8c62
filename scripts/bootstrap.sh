# Makes .venv and installs makerline into it, then puts it on the PATH.
# Sourced by scripts/demo and scripts/test, and by a maker beside their OctoPrint:
#   source scripts/bootstrap.sh [extras]   (extras: "" or "dev")
# Sourced into an interactive shell, it leaves that shell's options as they were: the
# work runs in a subshell with `set -euo pipefail`, and a failure returns, never exits.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

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

_makerline_install() (
  set -euo pipefail
  extras="${1:-}"
  python="${PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
  if [ -z "$python" ]; then apt_install python3 python3-venv python3-dev; python=python3; fi
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "makerline needs Python 3.11 or later; $python is $("$python" --version)"

  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment in .venv"
    "$python" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$python" -m venv "$VENV"; }
  fi

  stamp="$VENV/.installed-${extras:-main}"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    command -v gcc >/dev/null || apt_install gcc python3-dev
    say "installing makerline${extras:+ with [$extras]} into .venv"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e "$ROOT${extras:+[$extras]}"
    touch "$stamp"
  fi
)

if _makerline_install "${1:-}"; then
  case ":$PATH:" in *":$VENV/bin:"*) ;; *) export PATH="$VENV/bin:$PATH" ;; esac
else
  printf 'makerline: setting up .venv failed (see above)\n' >&2
  # Sourced: give the caller a failure without closing its shell.
  return 1 2>/dev/null || exit 1
fi
