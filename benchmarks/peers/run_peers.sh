#!/usr/bin/env bash
# Run the peers (OptiLLM proxy approaches, DSPy modules) on the same problems and the same vLLM server as
# `assay bench`, then score them with assay's scorer. Usage (from the repository root):
#   benchmarks/peers/run_peers.sh DATASET LIMIT OFFSET SEED VLLM_ROOT MODEL OUT_DIR [OPTILLM_APPROACHES] [DSPY_MODULES]
# e.g. benchmarks/peers/run_peers.sh humaneval 20 0 42 http://127.0.0.1:49009 qwen2.5-coder-0.5b /tmp/peers-he
# Needs benchmarks/peers/setup_optillm.sh and setup_dspy.sh to have run. Resumable: finished methods are skipped.
set -euo pipefail
DATASET=$1 LIMIT=$2 OFFSET=$3 SEED=$4 VLLM=$5 MODEL=$6 OUT=$7
APPROACHES=${8-bon,self_consistency,re2,moa}  # "" skips OptiLLM
MODULES=${9-best_of_n,refine}  # "" skips DSPy
CONCURRENCY=${PEERS_CONCURRENCY:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
HOME_DIR="${ASSAY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/assay}"
OPTILLM="$HOME_DIR/peers/optillm" DSPY="$HOME_DIR/peers/dspy"
.venv/bin/python "$HERE/export_items.py" "$DATASET" --limit "$LIMIT" --offset "$OFFSET" --seed "$SEED" --out "$OUT"
if [[ -n "$APPROACHES" ]]; then
  PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  OPENAI_API_KEY=none "$OPTILLM/bin/optillm" --base-url "$VLLM/v1" --host 127.0.0.1 --port "$PORT" \
    > "$OUT/optillm-proxy.log" 2>&1 &
  PROXY=$!
  trap 'kill $PROXY 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break
    sleep 1
  done
  "$OPTILLM/bin/python" "$HERE/run_optillm.py" --items "$OUT/items.jsonl" --proxy "http://127.0.0.1:$PORT/v1" \
    --vllm "$VLLM" --model "$MODEL" --approaches "$APPROACHES" --concurrency "$CONCURRENCY" --out "$OUT/answers.jsonl"
  kill "$PROXY" 2>/dev/null || true
fi
if [[ -n "$MODULES" ]]; then
  "$DSPY/bin/python" "$HERE/run_dspy.py" --items "$OUT/items.jsonl" --vllm "$VLLM" --model "$MODEL" \
    --modules "$MODULES" --concurrency "$CONCURRENCY" --out "$OUT/answers.jsonl"
fi
.venv/bin/python "$HERE/score_peers.py" "$OUT"
