#!/usr/bin/env bash
# Create OptiLLM's own virtual environment (its pins, torch and transformers among them, must not touch
# assay's .venv). Usage: benchmarks/peers/setup_optillm.sh   (prints the venv path on the last line)
# The venv lives under the assay home: ${ASSAY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/assay}/peers/optillm.
set -euo pipefail
HOME_DIR="${ASSAY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/assay}"
VENV="$HOME_DIR/peers/optillm"
VERSION="${OPTILLM_VERSION:-0.4.0}"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip >/dev/null
# The full requirement set: the proxy imports every approach module at start-up (torch, transformers, z3...).
# On machines without PyTorch's CPU wheel nearby, add: --extra-index-url https://download.pytorch.org/whl/cpu
"$VENV/bin/pip" install -q "optillm==$VERSION"
"$VENV/bin/python" -c "import optillm.server" >/dev/null
echo "$VENV"
