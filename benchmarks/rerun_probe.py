"""How often a math sample is right, by what re-running its own arithmetic says (no model calls).

Reads recorded ``assay bench`` results, re-runs each round-0 solver sample's stated calculations in the sandbox
(``assay.tools.program``) and sorts it into: no arithmetic found, a stated step is wrong (``refute``), the last
computed value matches the stated answer (``match``), or every step is right but the last value is another
number (``mismatch``). It prints, per outcome, how many samples were right and wrong: an outcome whose right
rate is no lower than "no arithmetic" carries no evidence against an answer (docs/signals.md, "Right steps
decide nothing"). Usage::

    python benchmarks/rerun_probe.py benchmarks/results/2026-12-02/gsm-314/results.json [more results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

from assay.agents._verify_math import PROGRAM_TIMEOUT_S, program_evidence
from assay.state import Candidate
from assay.tools.program import check_program, extract_arithmetic

OUTCOMES = ("none", "refute", "match", "mismatch", "undecided")


async def outcome(text: str, answer: str | None) -> str:
    """The re-run's verdict on one sample's own arithmetic, refutation as the verifier itself decides it."""
    program = extract_arithmetic(text)
    if program is None:
        return "none"
    check = await check_program(program, answer, timeout_s=PROGRAM_TIMEOUT_S)
    if program_evidence(Candidate(id="probe", text=text, answer=answer), program, check).passed is False:
        return "refute"
    return {True: "match", False: "mismatch", None: "undecided"}[check.matches]


def samples(paths: list[Path], recipe: str) -> list[dict[str, Any]]:
    """Round-0 solver samples of ``recipe`` in the given results files."""
    found = []
    for path in paths:
        for record in json.loads(path.read_text())["records"]:
            if record["recipe"] == recipe:
                found += [c for c in record["candidates"] if c["origin"] == "solver" and c["round"] == 0]
    return found


async def tally(cands: list[dict[str, Any]], concurrency: int) -> Counter[tuple[str, bool]]:
    gate = asyncio.Semaphore(concurrency)

    async def one(cand: dict[str, Any]) -> tuple[str, bool]:
        async with gate:
            return await outcome(cand["text"], cand["answer"]), bool(cand["correct"])

    return Counter(await asyncio.gather(*(one(c) for c in cands)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--recipe", default="adaptive")
    parser.add_argument("-c", "--concurrency", type=int, default=4)
    args = parser.parse_args()
    counts = asyncio.run(tally(samples(args.results, args.recipe), args.concurrency))
    print(f"{'outcome':10} {'right':>5} {'wrong':>5} {'right rate':>10}")
    for name in OUTCOMES:
        right, wrong = counts[(name, True)], counts[(name, False)]
        rate = f"{right / (right + wrong):.3f}" if right + wrong else "-"
        print(f"{name:10} {right:5d} {wrong:5d} {rate:>10}")


if __name__ == "__main__":
    main()
