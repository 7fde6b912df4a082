# Sourced by scripts/demo and scripts/test: make .venv match requirements/lock.txt.
# Needs only Python 3.11 and the package registry; safe to run again (it then installs nothing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3 python; do
        [[ -n "$candidate" ]] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Error: newscorpus needs Python 3.11. Try installing it, or set PYTHON=/path/to/python3.11." >&2
    return 1
}

if [[ ! -x .venv/bin/python ]]; then
    echo "Creating .venv …" >&2
    "$(find_python)" -m venv .venv
fi
UV_VERSION="0.13.9"
if [[ "$(.venv/bin/uv --version 2>/dev/null)" != "uv $UV_VERSION"* ]]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
# Exactly the locked versions (sync also removes strays), then the project itself, editable. The lock holds
# the dev and ray extras (`--extra dev --extra ray`), so Ray is installed and the cluster tests run.
# Compiled to bytecode here, as pip does by default and uv does not: where PYTHONDONTWRITEBYTECODE is set
# nothing writes it later, and every process (each command, each Ray worker) compiled its imports again
# (importing datasets took 2.2 s instead of 0.7). Only what is missing or stale is compiled on a rerun.
.venv/bin/uv pip sync --quiet --compile-bytecode --python .venv/bin/python requirements/lock.txt
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
# The project's own modules too (an editable install is not compiled); a stale file is only ignored.
.venv/bin/python -m compileall -q src >/dev/null
export PATH="$ROOT/.venv/bin:$PATH"
