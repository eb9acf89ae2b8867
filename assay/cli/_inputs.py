"""Validate what a user typed for ``assay run`` before any server is contacted: one clear line per mistake."""

from __future__ import annotations

import ast
from pathlib import Path

from assay.errors import InputError
from assay.state import TASK_KINDS, Budget, Task, TaskKind


def text_arg(name: str, value: str) -> str:
    """``value`` as valid text: the shell passes undecodable bytes as lone surrogates, which crash later."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"the {name} is not valid UTF-8 text (undecodable byte at position {exc.start})") from None
    return value


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read tests file {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"tests file {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "expected Python assert lines or a def check(candidate) function"
        ) from None


def _check_python(path: Path, source: str, line_no: int) -> None:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        where = line_no + (getattr(exc, "lineno", None) or 1) - 1
        msg = getattr(exc, "msg", None) or str(exc)
        raise InputError(f"tests file {path} is not valid Python: line {where}: {msg}") from None


def read_tests(path: Path) -> list[str]:
    """A HumanEval-style file (``def check(candidate)``) is one test; otherwise one test per non-comment line.

    Binary or non-Python files are an ``InputError`` here, not a failure blamed on every candidate later.
    """
    text = _decode(path)
    if "def check(" in text:
        _check_python(path, text, 1)
        return [text]
    tests: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            _check_python(path, line.strip(), number)
            tests.append(line.strip())
    if not tests:
        raise InputError(f"tests file {path} has no tests")
    return tests


def _kind(kind: str | None, question: str, has_tests: bool) -> TaskKind:
    if kind is None:
        if has_tests:
            return "code"
        from assay.agents.kind import detect_kind

        return detect_kind(question)
    for known in TASK_KINDS:
        if kind == known:
            return known
    raise InputError(f"unknown kind {kind!r}; use one of: {', '.join(TASK_KINDS)}")


def make_task(question: str, kind: str | None, tests: Path | None, reference: str | None) -> Task:
    question = text_arg("question", question)
    if reference is not None:
        reference = text_arg("reference", reference)
    if not question.strip():
        raise InputError("the question is empty")
    test_lines = read_tests(tests) if tests else []
    return Task(question=question, kind=_kind(kind, question, bool(test_lines)), tests=test_lines, reference=reference)


def make_budget(base: Budget, tokens: int | None, calls: int | None) -> Budget:
    for flag, value in (("--budget-tokens", tokens), ("--budget-calls", calls)):
        if value is not None and value < 1:
            raise InputError(f"{flag} must be at least 1 (got {value})")
    return base.model_copy(update={"max_tokens": tokens or base.max_tokens, "max_calls": calls or base.max_calls})
