"""Reply prefixes: the start of the model's reply is sent with the request (vLLM's ``continue_final_message``)
and the model writes the rest.

- **A code stub** (a task that IS a function signature with its docstring, HumanEval's form) starts the
  reply, so the model writes only the body; this is how EvalPlus prompts chat models on HumanEval. Why: a
  small model otherwise re-types the whole prompt first. On HumanEval/120–139 (qwen2.5-coder-0.5b) the
  echoed docstring was about half of each answer and 5 of 20 greedy answers hit ``max_tokens`` before the
  body ended; on the held-in HumanEval/20–39 the prefix cut greedy's tokens by 61 % (16 → 17 of 20 right).
- **Math** starts with ``Step 1:``: asked for a final ``Answer:`` line, qwen2.5-coder-0.5b often wrote
  ``Answer: 100`` with no working. Measured on greedy (``benchmarks/prefix_probe.py``): 11 → 14 of 60 right on
  three held-in gsm_symbolic slices, 2 → 3 of 20 on the fresh seed 99: noise-sized, but the answer-first
  replies are gone (6 of 20 → 0 on seed 99) and fewer replies hit ``max_tokens`` (5 → 2).

A server that ignores the prefix and writes a whole fenced answer (or defines the stub's function again) is
taken at its word: its reply is used as is. ``Settings.reply_prefix = False`` turns prefixes off.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay import streaming
from assay.llm.client import LLMClient
from assay.llm.types import Completion, Message
from assay.state import Task

OPEN = "```python\n"
CLOSE = "\n```"
MATH = "Step 1:"
CONTINUE = {"continue_final_message": True, "add_generation_prompt": False}
# The model closes the block, or starts top-level demo code (column 0, so never inside the function): neither
# is part of the answer, and demo prints can fail at import. Helper functions after the stub still come.
# OpenAI-compatible servers take at most four stop strings.
CODE_STOP = ("```", "\nprint(", "\nif __name__", "\n# Test")


@dataclass(frozen=True)
class Prefix:
    """The start of a reply, the stop strings its continuation needs, and what closes it."""

    text: str
    stop: tuple[str, ...] = ()
    close: str = ""
    function: str | None = None  # a code stub's function: a reply that defines it again is whole on its own


def _text(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _filler(node: ast.stmt) -> bool:
    return isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and getattr(node.value, "value", 0) is Ellipsis)


def _stub_end(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """The last line of a function that has a docstring and nothing else but imports and a filler
    (``pass``/``...``), which the model replaces with the body; None for any other function."""
    kept = [s for s in node.body if not _filler(s)]
    if not any(_text(s) for s in kept) or not all(_text(s) or isinstance(s, ast.Import | ast.ImportFrom) for s in kept):
        return None
    return kept[-1].end_lineno


def _stub(task: Task) -> tuple[str, str] | None:
    """(the stub's text, its function's name) when ``task`` is a code stub, else None."""
    if task.kind != "code":
        return None
    try:
        tree = ast.parse(task.question)
    except (SyntaxError, ValueError):
        return None
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.FunctionDef | ast.AsyncFunctionDef) or (end := _stub_end(last)) is None:
        return None
    return "\n".join(task.question.splitlines()[:end]).rstrip() + "\n", last.name


def code_stub(task: Task) -> str | None:
    """The task's question as the start of the answer, or None when it is not a stub: a code task whose
    whole question is Python ending in a docstring-only function (HumanEval/115 imports inside it too)."""
    found = _stub(task)
    return found[0] if found else None


def reply_prefix(task: Task, enabled: bool = True) -> Prefix | None:
    """The prefix for ``task``'s solver and refiner replies: a code stub, ``Step 1:`` for math, else None."""
    if not enabled:
        return None
    if task.kind == "math":
        return Prefix(MATH)
    found = _stub(task)
    return Prefix(OPEN + found[0], CODE_STOP, CLOSE, found[1]) if found else None


async def chat(llm: LLMClient, msgs: Sequence[Message], prefix: Prefix | None, **kwargs: Any) -> Completion:
    """``streaming.chat`` with ``prefix`` as the start of the reply; each choice's text is the whole reply."""
    if prefix is None:
        return await streaming.chat(llm, msgs, **kwargs)
    start = [*msgs, Message(role="assistant", content=prefix.text)]
    done = await streaming.chat(llm, start, extra=dict(CONTINUE), stop=list(prefix.stop) or None, **kwargs)
    return _completed(done, prefix)


def _whole(reply: str, prefix: Prefix) -> bool:
    """The reply is complete on its own: it repeats the prefix, or (code) it is fenced or defines the stub's
    function again."""
    if reply.lstrip().startswith(prefix.text.strip()):
        return True
    if not prefix.close:
        return False
    pattern = rf"^(?:async\s+)?def\s+{re.escape(prefix.function)}\b" if prefix.function else None
    return "```" in reply or (pattern is not None and re.search(pattern, reply, re.M) is not None)


def _completed(completion: Completion, prefix: Prefix) -> Completion:
    """Each choice's text as the whole reply: the prefix, the model's continuation, what closes it."""
    choices = [
        c if _whole(c.text, prefix) else c.model_copy(update={"text": prefix.text + c.text.rstrip() + prefix.close})
        for c in completion.choices
    ]
    return completion.model_copy(update={"choices": choices})
