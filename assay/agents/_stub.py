"""Code stubs: when a code task IS a function signature with its docstring (HumanEval's form), the answer
starts as that stub and the model writes only the body.

The stub is sent as the start of the assistant's reply (vLLM's ``continue_final_message``), which is how
EvalPlus prompts chat models on HumanEval. Why: a small model otherwise re-types the whole prompt before
the body. On HumanEval/120–139 (qwen2.5-coder-0.5b) the echoed docstring was about half of each answer,
and 5 of 20 greedy answers hit ``max_tokens`` before the body ended. A server that ignores the prefix and
writes a whole fenced answer (or redefines the function) is taken at its word: its reply is used as is.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Any

from assay.llm.types import Completion, Message
from assay.state import Task

OPEN = "```python\n"
CLOSE = "\n```"
CONTINUE = {"continue_final_message": True, "add_generation_prompt": False}
# The model closes the block, or starts top-level demo code (column 0, so never inside the function): neither
# is part of the answer, and demo prints can fail at import. Helper functions after the stub still come.
# OpenAI-compatible servers take at most four stop strings.
STOP = ("```", "\nprint(", "\nif __name__", "\n# Test")


def _text(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _filler(node: ast.stmt) -> bool:
    return isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and getattr(node.value, "value", 0) is Ellipsis)


def _stub_end(node: ast.stmt) -> int | None:
    """The last line of a function that has a docstring and nothing else but imports and a filler
    (``pass``/``...``), which the model replaces with the body; None for anything else."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    kept = [s for s in node.body if not _filler(s)]
    if not any(_text(s) for s in kept) or not all(_text(s) or isinstance(s, ast.Import | ast.ImportFrom) for s in kept):
        return None
    return kept[-1].end_lineno


def code_stub(task: Task) -> str | None:
    """The task's question as the start of the answer, or None when it is not a stub: a code task whose
    whole question is Python ending in a docstring-only function (HumanEval/115 imports inside it too)."""
    if task.kind != "code":
        return None
    try:
        tree = ast.parse(task.question)
    except (SyntaxError, ValueError):
        return None
    end = _stub_end(tree.body[-1]) if tree.body else None
    return None if end is None else "\n".join(task.question.splitlines()[:end]).rstrip() + "\n"


def with_stub(msgs: Sequence[Message], stub: str | None) -> list[Message]:
    """The messages, with the stub as the start of the assistant's reply when there is one."""
    if stub is None:
        return list(msgs)
    return [*msgs, Message(role="assistant", content=OPEN + stub)]


def stub_options(stub: str | None) -> dict[str, Any]:
    """The request options that make the server continue the stub (none without a stub)."""
    return {} if stub is None else {"extra": dict(CONTINUE), "stop": list(STOP)}


def _whole(reply: str, stub: str) -> bool:
    """The reply is a complete answer of its own: fenced, or it defines the stub's function again."""
    names = re.findall(r"^(?:async\s+)?def\s+(\w+)", stub, re.M)
    redefines = bool(names) and re.search(rf"^(?:async\s+)?def\s+{names[-1]}\b", reply, re.M) is not None
    return "```" in reply or redefines


def completed(completion: Completion, stub: str | None) -> Completion:
    """Each choice's text as the whole answer: the stub, the model's body, the closing fence."""
    if stub is None:
        return completion
    choices = [
        c if _whole(c.text, stub) else c.model_copy(update={"text": OPEN + stub + c.text.rstrip() + CLOSE})
        for c in completion.choices
    ]
    return completion.model_copy(update={"choices": choices})
