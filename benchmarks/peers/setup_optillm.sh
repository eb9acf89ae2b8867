#!/usr/bin/env bash
# Create OptiLLM's own virtual environment (its pins must not touch assay's .venv).
# Usage: benchmarks/peers/setup_optillm.sh [--full]   (prints the venv path on the last line)
# The venv lives under the assay home: ${ASSAY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/assay}/peers/optillm.
#
# By default it installs optillm without its declared requirements and then only what the proxy imports to
# serve the approaches that run against a plain OpenAI-compatible server (bon, self_consistency, re2, moa,
# mcts, cot_reflection, plansearch, leap, rto, pvg, z3, rstar): the declared set pulls a CUDA build of torch,
# transformers, gradio, spacy and presidio (several GB), used only by its local-inference and plugin paths.
# --full installs the declared set instead.
set -euo pipefail
HOME_DIR="${ASSAY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/assay}"
VENV="$HOME_DIR/peers/optillm"
VERSION="${OPTILLM_VERSION:-0.4.0}"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
if [[ "${1:-}" == "--full" ]]; then
  "$VENV/bin/pip" install -q "optillm==$VERSION"
else
  "$VENV/bin/pip" install -q --no-deps "optillm==$VERSION"
  "$VENV/bin/pip" install -q openai "z3-solver<=4.15.4.0" sympy math-verify httpx flask cerebras_cloud_sdk \
    pyyaml numpy networkx azure-identity aiohttp requests tiktoken
fi
"$VENV/bin/python" -c "import optillm.server" >/dev/null
echo "$VENV"
