"""DSPy's BestOfN and Refine against the same vLLM server, over exported items; DSPy venv python.

    python run_dspy.py --items items.jsonl --vllm http://127.0.0.1:49009 --model qwen2.5-coder-0.5b \
        --modules best_of_n,refine --out answers.jsonl

The module is ``dspy.Predict`` (or, for the ``cot_*`` modules, ``dspy.ChainOfThought``) over a signature
whose instructions are assay's solver prompt for the task kind. The reward a DSPy user would write with the
same information assay's agents have: for code, the function compiles and passes the examples visible in the
docstring (run in a subprocess, no network when ``unshare`` is available); for math, the reply ends in a
parseable number. ``N`` is assay's k (4); Refine's
threshold is 1.0. The LM cache is off so every token is really generated.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import dspy

sys.path.insert(0, str(Path(__file__).parent))
from _driver import done_methods, read_items, run_phase

_FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


class Solve(dspy.Signature):
    """Solve the task exactly as it asks."""

    task: str = dspy.InputField()
    solution: str = dspy.OutputField()


def _code(text: str) -> str:
    found = _FENCE.findall(text)
    return max(found, key=len) if found else text


def _passes(code: str, tests: list[str], prompt: str, entry: str | None) -> bool:
    program = code if entry and f"def {entry}" in code else prompt + "\n" + code
    source = program + "\n\n" + "\n".join(tests) + "\n"
    cmd = [sys.executable, "-c", source]
    if shutil.which("unshare"):
        cmd = ["unshare", "-rn", "--", *cmd]
    try:
        return subprocess.run(cmd, capture_output=True, timeout=10, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def reward_for(item: dict[str, Any]) -> Any:
    def reward(args: dict[str, Any], pred: Any) -> float:
        text = str(getattr(pred, "solution", "") or "")
        if item["kind"] == "code":
            return (
                1.0 if _passes(_code(text), item.get("tests") or [], item["question"], item.get("entry_point")) else 0.0
            )
        return 1.0 if _NUMBER.search(text.split("Answer:")[-1]) else 0.0

    return reward


MODULES = ("best_of_n", "refine", "predict", "cot_best_of_n", "cot_refine", "cot")


def module_for(name: str, item: dict[str, Any], n: int) -> Any:
    """``cot_*``: the same module over ``dspy.ChainOfThought`` (a reasoning field before the solution)."""
    if name not in MODULES:
        raise SystemExit(f"unknown DSPy module {name!r}; use one of {', '.join(MODULES)}")
    signature = Solve.with_instructions(item["system"])
    cot = name.startswith("cot")
    base = dspy.ChainOfThought(signature) if cot else dspy.Predict(signature)
    wrapper = name.removeprefix("cot").removeprefix("_")
    if wrapper == "best_of_n":
        return dspy.BestOfN(module=base, N=n, reward_fn=reward_for(item), threshold=1.0)
    if wrapper == "refine":
        return dspy.Refine(module=base, N=n, reward_fn=reward_for(item), threshold=1.0)
    return base


def answer(name: str, item: dict[str, Any], n: int, lm: Any) -> tuple[str, dict[str, int]]:
    before = len(lm.history)
    with dspy.context(lm=lm):
        pred = module_for(name, item, n)(task=item["user"])
    usage: dict[str, int] = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
    for entry in lm.history[before:]:  # shared across threads: an estimate; the server count is exact
        used = entry.get("usage") or {}
        usage["calls"] += 1
        usage["prompt_tokens"] += int(used.get("prompt_tokens") or 0)
        usage["completion_tokens"] += int(used.get("completion_tokens") or 0)
    return str(pred.solution or ""), usage


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=Path, required=True)
    parser.add_argument("--vllm", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--modules", default="best_of_n,refine")
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=384)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    root = args.vllm.split(",")[0].rstrip("/")
    lm = dspy.LM(f"openai/{args.model}", api_base=root + "/v1", api_key="none", max_tokens=args.max_tokens,
                 temperature=0.7, cache=False)  # fmt: skip
    dspy.configure(lm=lm)
    items, finished = read_items(args.items), done_methods(args.out)
    for name in [m.strip() for m in args.modules.split(",") if m.strip()]:
        method = f"dspy/{name}"
        if method not in finished:
            run_phase(method, items, lambda it, nm=name: answer(nm, it, args.n, lm), args.vllm.split(","),
                      args.concurrency, args.out)  # fmt: skip


if __name__ == "__main__":
    main()
