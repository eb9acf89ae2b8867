"""Math program verifier: value extraction, tolerant comparison, arithmetic extraction from solutions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from assay.tools.program import check_program, extract_arithmetic, parse_number, same_number
from assay.tools.sandbox import available_isolation

needs_ns = pytest.mark.skipif(available_isolation() == "none", reason="no namespace backend on this machine")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,000", Fraction(1000)),
        ("$5", Fraction(5)),
        ("3/4", Fraction(3, 4)),
        ("2.50", Fraction(5, 2)),
        ("The answer is -7.", Fraction(-7)),
        ("12%", Fraction(12)),
        ("$1,234.5", Fraction(24690, 20)),
        ("no number", None),
        ("1/0", None),
    ],
)
def test_parse_number(text: str, expected: Fraction | None) -> None:
    assert parse_number(text) == expected


def test_same_number_tolerates_float_noise_only() -> None:
    assert same_number(Fraction(0.1 + 0.2), Fraction("0.3"))
    assert not same_number(Fraction("0.33"), Fraction(1, 3))


@needs_ns
@pytest.mark.parametrize(
    ("program", "claimed", "value", "matches"),
    [
        ("answer = 1000", "1,000", "1000", True),
        ("answer = 5 / 2", "2.50", "2.5", True),
        ("answer = 3 / 4", "3/4", "0.75", True),
        ("print('total', 12)\nprint('so', 7 * 6)", "$42", "42", True),
        ("answer = 41", "42", "41", False),
        ("from fractions import Fraction\nanswer = Fraction(1, 3)", "1/3", "1/3", True),
        ("answer = 10", None, "10", None),
    ],
)
async def test_check_program_values(program: str, claimed: str | None, value: str, matches: bool | None) -> None:
    check = await check_program(program, claimed)
    assert check.error is None
    assert check.value == value
    assert check.matches is matches


@needs_ns
async def test_failing_or_silent_program_gives_error() -> None:
    crashed = await check_program("answer = 1 / 0", "1")
    assert crashed.value is None and crashed.matches is None
    assert crashed.error is not None and "ZeroDivisionError" in crashed.error
    silent = await check_program("x = 'hello'\nprint(x)", "1")
    assert silent.error == "program printed no number"
    hung = await check_program("while True:\n    pass", "1", timeout_s=1)
    assert hung.error == "program killed (timeout)"
    surrogate = await check_program('answer = "\ud800"', "1")  # model text can hold lone surrogates
    assert surrogate.value is None and surrogate.error is not None and "UnicodeDecodeError" in surrogate.error


def test_extract_arithmetic_finds_plain_and_annotated_steps() -> None:
    program = extract_arithmetic("She buys 3 x 4 = 12 apples, then 12 + 5 = 17. Finally $1,000 / 4 = $250.")
    assert program is not None
    assert "step((3*4), (12)" in program and "step((1000 / 4), (250)" in program
    gsm = extract_arithmetic("Natalia sold 48/2 = <<48/2=24>>24 clips.\n48+24 = <<48+24=72>>72\n#### 72")
    assert gsm is not None and gsm.count("step((") == 2
    assert extract_arithmetic("Let x = 5 apples; nothing to compute here.") is None


@needs_ns
async def test_extracted_arithmetic_runs_as_evidence() -> None:
    right = extract_arithmetic("First 3 * 4 = 12, then 12 + 5 = 17.")
    assert right is not None
    good = await check_program(right, "17")
    assert good.matches is True and good.value == "17"
    wrong = extract_arithmetic("First 3 * 4 = 13, then 13 + 5 = 18.")
    assert wrong is not None
    bad = await check_program(wrong, "18")
    assert bad.matches is None
    assert bad.error is not None and "3 * 4 = 13 (computed 12)" in bad.error


@needs_ns
async def test_a_ratio_times_100_written_as_a_percentage_is_a_right_step() -> None:
    """ "84 / 140 * 100 = 60%" is right (the x 100 made it a percentage); "28 / 140 = 20%" is right as a ratio."""
    for text in ("84 / 140 * 100 = 60%", "100 * 0.2 = 20%", "28 / 140 = 20%", "84 / 140 * 100% = 60%"):
        program = extract_arithmetic(f"{text}\nAnswer: 1")
        assert program is not None
        assert (await check_program(program, "1")).error is None, text
    wrong = extract_arithmetic("0.2 * 1000 = 20%\nAnswer: 1")
    assert wrong is not None and "AssertionError" in str((await check_program(wrong, "1")).error)
