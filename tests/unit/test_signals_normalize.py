"""Answer normalisation and reference matching per task kind."""

from __future__ import annotations

import pytest

from assay.signals._normalize import answers_match, normalize_answer, normalize_code, normalize_math


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", "12"), ("12.0", "12"), ("$12", "12"), ("1,200", "1200"), ("-3.50", "-3.5"), ("3/4", "0.75"),
     ("x = 7 apples", "7"), ("no number", None)],
)  # fmt: skip
def test_normalize_math(raw: str, expected: str | None) -> None:
    assert normalize_math(raw) == expected


def test_normalize_qa_drops_case_articles_and_punctuation() -> None:
    assert normalize_answer("The Eiffel Tower.", "qa") == "eiffel tower"
    assert normalize_answer("  ", "qa") is None
    assert normalize_answer(None, "math") is None


def test_normalize_code_ignores_formatting_comments_and_docstrings() -> None:
    a = 'def f(x):\n    """Add one."""\n    return x + 1  # inc\n'
    b = "def f(x):\n\n    return (x+1)\n"
    c = "def f(x):\n    return x + 2\n"
    assert normalize_code(a) == normalize_code(b)
    assert normalize_code(a) != normalize_code(c)
    assert normalize_code("def broken(:\n  pass") == "def broken(:\n  pass"


def test_answers_match() -> None:
    assert answers_match("$1,200.00", "1200", "math")
    assert not answers_match("1201", "1200", "math")
    assert answers_match("Paris, France", "Paris", "qa")
    assert not answers_match("Lyon", "Paris", "qa")
    assert not answers_match(None, "Paris", "qa")
