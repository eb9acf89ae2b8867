"""Answer, code and confidence extraction, and the task-kind heuristic."""

from __future__ import annotations

import pytest

from assay.agents._extract import extract_answer, extract_code, extract_confidence
from assay.agents.kind import detect_kind


def test_extract_code_prefers_python_fence() -> None:
    text = "Here:\n```text\nnot code\n```\n```python\ndef f():\n    return 1\n```\nDone."
    assert extract_code(text) == "def f():\n    return 1"


def test_extract_code_unfenced_and_missing() -> None:
    assert extract_code("Sure.\ndef g(x):\n    return x") == "def g(x):\n    return x"
    assert extract_code("I cannot help with that.") is None
    assert extract_code("```\nprint(1)\n") == "print(1)"  # unterminated fence


def test_extract_math() -> None:
    assert extract_answer("3 + 4 = 7\n7 * 2 = 14\nAnswer: 14\nConfidence: 90%", "math") == "14"
    assert extract_answer("So we get $1,250 total. Confidence: 80%", "math") == "1,250"
    assert extract_answer("The result is \\boxed{42}.", "math") == "42"
    assert extract_answer("no digits", "math") is None
    # a fraction or a leading-dot decimal is one number, not its numerator or its digits
    assert extract_answer("x = 1/2\nAnswer: 3/4", "math") == "3/4"
    assert extract_answer("Answer: -$.5", "math") == "-.5"
    assert extract_answer("so she pays $12.50. Confidence: 80%", "math") == "12.50"


def test_a_step_heading_is_no_answer_of_a_cut_off_reply() -> None:
    # the end of a real qwen2.5-coder-0.5b reply (gsm_symbolic seed 1729, item 7) that looped until max_tokens
    looping = (
        "Step 9: Calculate the number of students who like to play tennis.\nThe total number of students is 24."
        "\n24 - 4 = 22 students like to play tennis.\n\nStep 10: Calculate the number of students who like to"
    )
    assert extract_answer(looping, "math") == "22"
    assert extract_answer("**Step 1:** 3 * 4 = 12\n**Step 2**: 12 + 1 = 13\n**Step 3.**", "math") == "13"
    assert extract_answer("Step 1: count the legs.\nStep 2: add.", "math") is None
    # an Answer line still wins, and a number after a step heading's colon still counts
    assert extract_answer("Step 1: 2 + 2 = 4\nStep 2: Answer: 4", "math") == "4"
    assert extract_answer("Step 3: 5", "math") == "5"


def test_extract_qa_and_open() -> None:
    assert extract_answer("Answer: Paris\nIt is the capital.\nConfidence: 70%", "qa") == "Paris"
    assert extract_answer("Paris is the capital.\nMore text", "qa") == "Paris is the capital."
    assert extract_answer("A poem.\nConfidence: 50%", "open") == "A poem."


def test_a_confidence_on_the_answer_line_is_not_part_of_the_answer() -> None:
    """qwen2.5-coder-0.5b writes both on one line (seen on SQuAD); the stored answer and the scorer saw both."""
    reply = "Answer: Tesla worked on alternating current in 1888. Confidence: 85%"
    assert extract_answer(reply, "qa") == "Tesla worked on alternating current in 1888."
    assert extract_answer("Answer: 391 (confidence: 90 %)", "math") == "391"
    assert extract_confidence(reply) == 0.85
    cut = "Answer: Danish law required 28 million kroner in 1949. Confidence: 38."  # no "%": seen on SQuAD
    assert extract_answer(cut, "qa") == "Danish law required 28 million kroner in 1949."
    assert extract_answer("Answer: 1968 (Confidence 90)", "qa") == "1968 (Confidence 90)"  # no ':': kept


def test_extract_confidence() -> None:
    assert extract_confidence("Answer: 3\nConfidence: 85%") == pytest.approx(0.85)
    assert extract_confidence("confidence = 7.5 %") == pytest.approx(0.075)
    assert extract_confidence("Confidence: 250%") is None
    assert extract_confidence("no statement") is None


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Write a Python function that reverses a string.", "code"),
        ('def add(a, b):\n    """Return a + b."""\n', "code"),
        ("Tom has 3 apples and buys 5 more. How many apples does he have?", "math"),
        ("What is 17 * 23?", "math"),
        ("Who wrote Pride and Prejudice?", "qa"),
        ("What is the function of the liver?", "qa"),
        ("How many legs does a spider have?", "qa"),
        ("Tell me a story about a dragon.", "open"),
    ],
)
def test_detect_kind(question: str, kind: str) -> None:
    assert detect_kind(question) == kind
