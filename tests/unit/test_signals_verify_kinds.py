"""Verification for every kind: code without a tests file (docstring examples, model-written tests, load check),
math (question arithmetic, program of thought). Runs see only the prompt, never hidden tests."""

from __future__ import annotations

from pathlib import Path

from assay.agents._verify_math import question_expression
from assay.agents.verifier import verify
from assay.context import RunContext
from assay.settings import load_settings
from assay.signals.scoring import evidence_status
from assay.state import Candidate, RunState, Task
from assay.testing import FakeLLM
from assay.tools._examples import docstring_tests, parse_asserts

PROMPT = '''def double(x: int) -> int:
    """Return twice x.
    >>> double(2)
    4
    double(5) == 10
    """
'''
GOOD = "def double(x: int) -> int:\n    return 2 * x"
BAD = "def double(x: int) -> int:\n    return x + 2"
BROKEN = "def double(x: int) -> int:\n    return ("


def ctx(tmp_path: Path, fake: FakeLLM) -> RunContext:
    return RunContext(settings=load_settings(home=tmp_path, sandbox_allow_weak=True), llm=fake.client())


def test_docstring_examples_become_asserts() -> None:
    assert docstring_tests(PROMPT, "double") == ["assert double(2) == 4", "assert double(5) == 10"]
    reply = "Here:\nassert double(3) == 6\nassert double(0) == 0\nassert other(1) == 1\nassert double(("
    assert parse_asserts(reply, "double") == ["assert double(3) == 6", "assert double(0) == 0"]


def test_docstring_examples_read_javascript_literals_and_skip_prose() -> None:
    prompt = 'def even(n):\n    """\n    even(2) => true\n    even(3) => false\n    even(n) == n % 2 == 0\n    """\n'
    assert docstring_tests(prompt, "even") == ["assert even(2) == True", "assert even(3) == False"]
    doctest = 'def even(n):\n    """\n    >>> even(2) == True\n    True\n    """\n'
    assert docstring_tests(doctest, "even") == ["assert even(2) == True"]  # never ``even(2) == True == True``


async def test_code_without_tests_file_is_still_verified(tmp_path: Path) -> None:
    fake = FakeLLM().on("Write 5 assert statements", texts=["assert double(3) == 6", "assert double(0) == 0"])
    task = Task(question=PROMPT, kind="code", entry_point="double")
    pool = [Candidate(id=f"r0-solver-{i}", text="", answer=a) for i, a in enumerate([GOOD, BAD, BROKEN])]
    update = await verify(RunState(task=task, candidates=pool), ctx(tmp_path, fake))
    ev = update["evidence"]
    gen = [r.body for r in fake.requests if "assert statements" in r.prompt]
    assert len(gen) == 1 and gen[0]["n"] == 3  # ONE n>1 request for model-written tests
    assert "hidden" not in fake.requests[0].prompt
    status = {c.id: evidence_status(c, ev, "code") for c in pool}
    assert status == {"r0-solver-0": "confirmed", "r0-solver-1": "refuted", "r0-solver-2": "refuted"}
    by = {(e.candidate_id, e.tool): e for e in ev}
    assert by[("r0-solver-0", "gentests")].details["passed"] == 2
    assert by[("r0-solver-2", "compile")].passed is False
    assert by[("r0-solver-1", "tests")].details["source"] == "docstring"
    # a later round reuses the written tests: no second request
    state = RunState(task=task, candidates=pool, evidence=ev, round=1)
    more = Candidate(id="r1-refiner-0", text="", answer=GOOD, round=1)
    again = await verify(state.model_copy(update={"candidates": [*pool, more]}), ctx(tmp_path, fake))
    assert len([r for r in fake.requests if "assert statements" in r.prompt]) == 1
    assert {e.tool for e in again["evidence"]} == {"compile", "tests", "gentests"}


def test_question_arithmetic() -> None:
    assert question_expression("What is 17 * 23?") == "17 * 23"
    assert question_expression("Compute 2^10.") in ("2**10", "2 ** 10")
    assert question_expression("A baker makes 24 muffins and sells 3/4 of them. How many are left?") is None


async def test_math_program_of_thought_and_question_arithmetic(tmp_path: Path) -> None:
    program = "```python\nmuffins = 24\nsold = muffins * 3 // 4\nanswer = muffins - sold\n```"
    fake = FakeLLM().on("Write a short Python program", texts=[program, program])
    question = "A baker makes 24 muffins and sells 3/4 of them. How many are left?"
    right = Candidate(id="r0-solver-0", text="24 * 3/4 = 18\n24 - 18 = 6\nAnswer: 6", answer="6")
    wrong = Candidate(id="r0-solver-1", text="24 / 4 = 6\n6 - 4 = 2\nAnswer: 2", answer="2")
    state = RunState(task=Task(question=question, kind="math"), candidates=[right, wrong])
    update = await verify(state, ctx(tmp_path, fake))
    pot = {e.candidate_id: e for e in update["evidence"] if e.tool == "pot"}
    assert pot[right.id].passed is True and pot[wrong.id].passed is False
    # agreeing programs support an answer; they do not confirm it (one model's two derivations: measured, the
    # answers they "confirmed" on fresh gsm splits were wrong 6 in 10), and a disagreeing one does not refute
    assert evidence_status(right, update["evidence"], "math") == "supported"
    assert evidence_status(wrong, update["evidence"], "math") == "contested"
    bare = RunState(task=Task(question="What is 17 * 23?", kind="math"),
                    candidates=[Candidate(id="r0-solver-0", text="Answer: 391,", answer="391")])  # fmt: skip
    calls = len(fake.requests)
    done = await verify(bare, ctx(tmp_path, fake))
    assert [e.passed for e in done["evidence"] if e.tool == "expression"] == [True]
    assert len(fake.requests) == calls  # bare arithmetic needs no program of thought


def test_a_list_bullet_is_not_a_minus_sign() -> None:
    from assay.tools._arithmetic import find_equations

    found = find_equations("Steps:\n- 17 * 23 = 391\n* 1000 - 387 = 613\nx = -3 + 5 = 2")
    assert [(lhs, rhs) for lhs, rhs, _ in found] == [("17 * 23", "391"), ("1000 - 387", "613"), ("-3 + 5", "2")]
