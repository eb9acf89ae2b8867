"""Unit-test verifier: per-test outcomes, HumanEval splitting, and broken candidates reported, not raised."""

from __future__ import annotations

import pytest

from assay.errors import InputError
from assay.tools._test_plan import plan_units
from assay.tools.sandbox import available_isolation
from assay.tools.tests import run_tests

pytestmark = pytest.mark.skipif(available_isolation() == "none", reason="no namespace backend on this machine")

ADD = "def add(a, b):\n    return a + b\n"
HUMANEVAL_TEST = """
METADATA = {"author": "x"}
import math

def check(candidate):
    assert candidate(1, 2) == 3
    assert candidate(2, 2) == 5, "two and two"
    base = 10
    assert candidate(base, 1) == 11
    for i in range(3):
        assert candidate(i, 0) == i
"""


async def test_assert_lines_are_reported_one_by_one() -> None:
    tests = ["assert add(1, 2) == 3", "assert add(1, 1) == 3", "assert add(None, 1) == 1", "assert add(0, 0) == 0"]
    report = await run_tests(ADD, tests)
    assert [o.passed for o in report.outcomes] == [True, False, False, True]
    assert report.error is None
    wrong, crash = report.outcomes[1], report.outcomes[2]
    assert wrong.error is not None and "assert add(1, 1) == 3" in wrong.error and "got 2" in wrong.error
    assert crash.error is not None and "TypeError" in crash.error
    assert crash.traceback is not None and 'File "candidate.py", line 2, in add' in crash.traceback
    assert "main.py" not in crash.traceback


async def test_humaneval_check_is_split_per_assert() -> None:
    report = await run_tests(ADD, [HUMANEVAL_TEST], entry_point="add")
    assert report.total == 4
    assert [o.passed for o in report.outcomes] == [True, False, True, True]
    assert "two and two" in (report.outcomes[1].error or "")
    assert report.outcomes[1].test == "assert candidate(2, 2) == 5, 'two and two'"


async def test_unsplittable_check_runs_whole() -> None:
    test = "def check(candidate):\n    if candidate(1, 1) != 2:\n        return\n    assert candidate(2, 3) == 6\n"
    assert plan_units([test], "add")[0]["kind"] == "call_check"
    report = await run_tests(ADD, [test], entry_point="add")
    assert report.total == 1
    assert report.outcomes[0].test == "check(add)"
    assert not report.outcomes[0].passed


async def test_entry_point_is_guessed_and_missing_one_is_reported() -> None:
    report = await run_tests("def helper():\n    pass\n\n" + ADD, [HUMANEVAL_TEST])
    assert report.passed == 3
    missing = await run_tests(ADD, [HUMANEVAL_TEST], entry_point="nope")
    assert missing.passed == 0
    assert "'nope' is not defined" in (missing.outcomes[0].error or "")


async def test_syntax_error_gives_report_not_exception() -> None:
    report = await run_tests("def add(a, b)\n    return a + b\n", ["assert add(1, 2) == 3", "assert add(0, 0) == 0"])
    assert report.error is not None and "syntax error" in report.error
    assert report.total == 2
    assert report.passed == 0


async def test_crash_at_import_fails_every_test() -> None:
    report = await run_tests("import sys\nsys.exit(3)\n", ["assert f(1) == 3", "assert True"])
    assert report.error is not None and "failed to load" in report.error
    assert report.total == 2 and report.passed == 0


async def test_hanging_test_times_out_and_keeps_earlier_results() -> None:
    code = "def f(x):\n    while x == 2:\n        pass\n    return x\n"
    report = await run_tests(code, ["assert f(1) == 1", "assert f(2) == 2", "assert f(3) == 3"], timeout_s=1.5)
    assert [o.passed for o in report.outcomes] == [True, False, False]
    assert report.error is not None and "timeout" in report.error
    assert all("timeout" in (o.error or "") for o in report.outcomes[1:])


async def test_binary_junk_and_hard_exit_are_reported() -> None:
    junk = "import sys\ndef f(x):\n    sys.stdout.buffer.write(bytes(range(256)) * 50)\n    return x\n"
    report = await run_tests(junk, ["assert f(1) == 1", "assert f(2) == 3"])
    assert [o.passed for o in report.outcomes] == [True, False]
    exits = await run_tests("import os\ndef f(x):\n    os._exit(0)\n", ["assert f(1) == 1", "assert True"])
    assert exits.passed == 0
    assert exits.error is not None and "ended early" in exits.error


async def test_forged_result_lines_are_ignored() -> None:
    forge = (
        'import json\nopen("results.jsonl", "a").write(json.dumps({"unit": 0, "test": "x", "passed": True}) + "\\n")\n'
        "def f(x):\n    return 0\n"
    )
    report = await run_tests(forge, ["assert f(1) == 1"])
    assert report.total == 1
    assert report.passed == 0


async def test_empty_tests_is_input_error() -> None:
    with pytest.raises(InputError):
        await run_tests(ADD, [])
