"""``kit.keep_greedy``: a sample must beat the unrefuted greedy answer by the recorded margin to replace it."""

from __future__ import annotations

from pathlib import Path

from _recipe_fakes import run_recipe

from assay import kit
from assay.graphs.adaptive import pick
from assay.state import Candidate, Evidence, Route, RunState, Scores, Task
from assay.testing import FakeLLM

TASK = Task(question="How many apples are left?", kind="math", reference="86")


def cand(i: int, answer: str, total: float) -> Candidate:
    return Candidate(id=f"r0-solver-{i}", text=f"Answer: {answer}", answer=answer, scores=Scores(total=total))


def widened(margin: float | None) -> Route:
    limits = {"samples": 4.0} if margin is None else {"samples": 4.0, "greedy_margin": margin}
    return Route(source="probe", target="widen", round=0, thresholds=limits, reason="widen")


def state(
    totals: list[tuple[str, float]], margin: float | None = 0.06, evidence: tuple[Evidence, ...] = ()
) -> RunState:
    pool = [cand(i, a, t) for i, (a, t) in enumerate(totals)]
    return RunState(task=TASK, candidates=pool, routes=[widened(margin)], evidence=list(evidence))


def test_two_samples_a_vote_ahead_do_not_replace_the_greedy_answer() -> None:
    choice = pick(state([("86", 0.458), ("80", 0.51), ("80", 0.50), ("66", 0.46)]))  # gsm 314/9's pool
    assert choice.winner is not None and choice.winner.id == "r0-solver-0"
    assert "kept" in choice.reason and choice.signals["greedy_margin"] == 0.06


def test_a_sample_that_leads_by_more_than_the_margin_wins() -> None:
    choice = pick(state([("86", 0.40), ("80", 0.55), ("80", 0.55)]))
    assert choice.winner is not None and choice.winner.answer == "80" and "kept" not in choice.reason


def test_no_recorded_margin_is_the_plain_best_so_far() -> None:
    choice = pick(state([("86", 0.458), ("80", 0.51)], margin=None))
    assert choice.winner is not None and choice.winner.answer == "80"


def test_a_refuted_greedy_answer_is_never_kept() -> None:
    refuted = Evidence(id="e1", candidate_id="r0-solver-0", tool="expression", input="", outcome="wrong", passed=False)
    choice = pick(state([("86", 0.15), ("80", 0.19)], evidence=(refuted,)))
    assert choice.winner is not None and choice.winner.answer == "80"


def test_a_winner_a_decisive_tool_confirms_beats_the_anchor() -> None:
    confirmed = Evidence(id="e1", candidate_id="r0-solver-1", tool="expression", input="", outcome="ok", passed=True)
    choice = pick(state([("86", 0.79), ("80", 0.80)], evidence=(confirmed,)))
    assert choice.winner is not None and choice.winner.answer == "80"


def test_the_anchor_wraps_any_selector() -> None:
    anchored = kit.keep_greedy(kit.best_of(label="total"))
    choice = anchored(state([("86", 0.45), ("80", 0.47)]))
    assert choice.winner is not None and choice.winner.answer == "86"


SOLVER = "Solve this problem"


def reply(answer: str) -> str:
    return f"Counting them up.\nAnswer: {answer}\nConfidence: 80%"  # no arithmetic to re-run, no program


def solver(greedy: str, samples: list[str]) -> FakeLLM:
    fake = FakeLLM(default="no idea").on(SOLVER, texts=[reply(greedy)], times=1)
    return fake.on(SOLVER, texts=[reply(a) for a in samples])


async def test_the_probe_records_the_kind_margin_and_the_run_keeps_greedy(tmp_path: Path) -> None:
    fake = solver("86", ["80", "80", "66"])  # nothing decides: only the votes differ
    run = await run_recipe("adaptive", fake, tmp_path, task=TASK, samples=4, greedy_margin={"math": 0.2})
    probe = run.routes[0]
    assert probe.target == "widen" and probe.thresholds["greedy_margin"] == 0.2
    assert run.answer == "86" and "kept" in run.routes[-1].reason


async def test_kinds_without_a_margin_pick_the_best_total(tmp_path: Path) -> None:
    run = await run_recipe("adaptive", solver("86", ["80", "80", "66"]), tmp_path, task=TASK, samples=4,
                           greedy_margin={})  # fmt: skip
    assert "greedy_margin" not in run.routes[0].thresholds and run.answer == "80"
