"""Tool-driven repair: wrong steps found by the real sandboxed verifier become a corrected revision."""

from __future__ import annotations

from pathlib import Path

from assay.agents.refiner import refine
from assay.agents.repair import apply_fix, corrections, repair, repairs
from assay.agents.verifier import program_evidence
from assay.context import RunContext
from assay.settings import load_settings
from assay.signals.scoring import refresh
from assay.state import Candidate, Evidence, Review, RunState, Scores, Task
from assay.testing import FakeLLM
from assay.tools.program import check_program, extract_arithmetic

WRONG = "I start with 94 stickers.\n12 * 7 = 94\nThen 94 + 6 = 100\nAnswer: 100"


async def verified(text: str, answer: str, cid: str = "c") -> Evidence:
    cand = Candidate(id=cid, text=text, answer=answer)
    program = extract_arithmetic(text)
    assert program is not None
    return program_evidence(cand, program, await check_program(program, answer))


async def test_wrong_step_is_corrected_and_later_uses_follow_but_earlier_ones_do_not() -> None:
    evidence = await verified(WRONG, "100")
    assert evidence.passed is False
    assert corrections([evidence], "c") == [("12 * 7", "94", "84")]  # "94 + 6 = 100" is right as written
    fixed = apply_fix(WRONG, ("12 * 7", "94", "84"))
    assert fixed == "I start with 94 stickers.\n12 * 7 = 84\nThen 84 + 6 = 100\nAnswer: 100"
    again = await verified(fixed, "100")  # the dependent step is now visibly wrong: the next round repairs it
    assert corrections([again], "c") == [("84 + 6", "100", "90")]
    assert apply_fix(fixed, corrections([again], "c")[0]).endswith("84 + 6 = 90\nAnswer: 90")


async def test_off_by_one_in_a_large_whole_number_is_caught() -> None:
    evidence = await verified("1000 * 1234 = 1234001\nAnswer: 1234001", "1234001")
    assert corrections([evidence], "c") == [("1000 * 1234", "1234001", "1234000")]


async def test_large_results_are_exact_not_exponent_notation() -> None:
    evidence = await verified("1000 * 1234 = 1235000\nAnswer: 1235000", "1235000")
    assert corrections([evidence], "c") == [("1000 * 1234", "1235000", "1234000")]


def _state(kind: str, text: str, evidence: list[Evidence]) -> RunState:
    cand = Candidate(id="r0-solver-0", text=text, answer="94")
    review = Review(id="v", candidate_id=cand.id, verdict="incorrect", critique="step 1", evidence_ids=[evidence[0].id])
    return RunState(task=Task(question="What is 12 * 7?", kind=kind), candidates=[cand], evidence=evidence,
                    reviews=[review], round=1)  # fmt: skip


async def test_refine_adds_the_repair_next_to_the_model_revisions(tmp_path: Path) -> None:
    text = "12 * 7 = 94\nAnswer: 94"
    evidence = await verified(text, "94", "r0-solver-0")
    fake = FakeLLM(default="12 * 7 = 80\nAnswer: 80")
    ctx = RunContext(settings=load_settings(home=tmp_path), llm=fake.client())
    update = await refine(_state("math", text, [evidence]), ctx)
    repaired = [c for c in update["candidates"] if "repair" in c.id]
    assert len(update["candidates"]) == 3 and [c.id for c in repaired] == ["r1-repair-0"]
    assert repaired[0].answer == "84" and repaired[0].parent == "r0-solver-0" and repaired[0].round == 1
    assert repaired[0].origin == "repair"


async def test_no_repair_outside_math_or_when_already_in_the_pool() -> None:
    text = "12 * 7 = 94\nAnswer: 94"
    evidence = await verified(text, "94", "r0-solver-0")
    assert repair(Candidate(id="r0-solver-0", text=text), _state("qa", text, [evidence]), "x") is None
    state = _state("math", text, [evidence])
    first = repair(state.candidates[0], state, "r1-repair-0")
    assert first is not None
    state.candidates.append(first)
    assert repair(state.candidates[0], state, "r1-repair-1") is None


async def test_every_pool_candidate_with_wrong_steps_gets_one_repair_best_first() -> None:
    texts = {"a": "12 * 7 = 94\nAnswer: 94", "b": "So 12 * 7 = 90\nAnswer: 90", "c": "It is 84.\nAnswer: 84"}
    evidence = [await verified(text, text[-2:], cid) for cid, text in texts.items() if "=" in text]
    cands = [
        Candidate(id=cid, text=text, answer=text[-2:], scores=Scores(total=total))
        for (cid, text), total in zip(texts.items(), (0.2, 0.5, 0.9), strict=True)
    ]
    state = RunState(task=Task(question="What is 12 * 7?", kind="math"), candidates=cands, evidence=evidence, round=2)
    made = repairs(state)
    assert [(c.id, c.parent, c.answer) for c in made] == [("r2-repair-0", "b", "84"), ("r2-repair-1", "a", "84")]
    again = state.model_copy(update={"candidates": [*cands, *made]})
    assert repairs(again) == []  # nothing new to propose


def test_later_uses_at_the_end_of_a_sentence_are_rewritten_but_other_numbers_are_not() -> None:
    text = "12 * 7 = 90\nThe answer is 90. Not 1.90 or 900 or 90.5.\nAnswer: 90"
    fixed = apply_fix(text, ("12 * 7", "90", "84"))
    assert fixed == "12 * 7 = 84\nThe answer is 84. Not 1.90 or 900 or 90.5.\nAnswer: 84"


async def test_right_steps_ending_in_a_check_are_no_evidence_against_the_answer() -> None:
    """gsm replies often end with a check step ("84 / 140 * 100 = 60"); right steps decide nothing either way."""
    text = "28 + 56 = 84 questions\nConfidence: 84 / 140 * 100 = 60%\nAnswer: 84"
    checked = await verified(text, "84")
    assert checked.passed is None and checked.details["mismatch"] is True
    assert "no evidence either way" in checked.outcome
    matching = await verified("28 + 56 = 84\nAnswer: 84", "84")
    assert matching.passed is None and matching.details["mismatch"] is False
    wrong = await verified("28 + 56 = 85\nConfidence: 85 / 140 * 100 = 60%\nAnswer: 85", "85")
    assert wrong.passed is False  # a wrong stated step still refutes
    cands = [Candidate(id=c, text=text, answer="84", scores=Scores(confidence=0.9)) for c in ("r0-solver-0", "b")]
    state = RunState(task=Task(question="q", kind="math"), candidates=cands,
                     evidence=[checked.model_copy(update={"candidate_id": "r0-solver-0"})])  # fmt: skip
    first, second = refresh(cands, state)
    assert first.scores.evidence is None and first.scores.total == second.scores.total  # as if nothing ran
