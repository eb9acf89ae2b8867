#!/usr/bin/env bash
# Create DSPy's own virtual environment. Usage: benchmarks/peers/setup_dspy.sh   (prints the venv path last)
set -euo pipefail
HOME_DIR="${ASSAY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/assay}"
VENV="$HOME_DIR/peers/dspy"
VERSION="${DSPY_VERSION:-3.4.1}"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip >/dev/null
"$VENV/bin/pip" install -q "dspy==$VERSION"
"$VENV/bin/python" -c "import dspy" >/dev/null
echo "$VENV"
