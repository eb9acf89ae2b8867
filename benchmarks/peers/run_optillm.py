"""Drive OptiLLM's proxy (running in front of the same vLLM) over exported items; OptiLLM venv python.

    python run_optillm.py --items items.jsonl --proxy http://127.0.0.1:8100/v1 --vllm http://127.0.0.1:49009 \
        --model qwen2.5-coder-0.5b --approaches bon,self_consistency,re2,moa --out answers.jsonl

The approach is chosen the documented way, as a model-name prefix (``bon-qwen2.5-coder-0.5b``). Sampling
settings are OptiLLM's own defaults; ``max_tokens`` is assay's (384) so answers have the same room.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _driver import done_methods, read_items, run_phase


def chat(proxy: str, model: str, item: dict[str, Any], max_tokens: int, timeout: float) -> tuple[str, dict[str, Any]]:
    messages = [{"role": "system", "content": item["system"]}, {"role": "user", "content": item["user"]}]
    body = {"model": model, "max_tokens": max_tokens, "messages": messages}
    request = urllib.request.Request(
        proxy.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer none"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = json.loads(response.read())
    return str(data["choices"][0]["message"]["content"] or ""), dict(data.get("usage") or {})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=Path, required=True)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--vllm", required=True, help="vLLM server root(s), comma-separated, for /metrics")
    parser.add_argument("--model", required=True)
    parser.add_argument("--approaches", default="bon,self_consistency,re2,moa")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=384)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    items, roots, finished = read_items(args.items), args.vllm.split(","), done_methods(args.out)
    for approach in [a.strip() for a in args.approaches.split(",") if a.strip()]:
        method = f"optillm/{approach}"
        if method in finished:
            continue
        model = f"{approach}-{args.model}"
        run_phase(method, items, lambda it, m=model: chat(args.proxy, m, it, args.max_tokens, args.timeout),
                  roots, args.concurrency, args.out)  # fmt: skip


if __name__ == "__main__":
    main()
