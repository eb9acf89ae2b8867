"""Properties of the one scoring formula, the per-request agreement, per-signal AUC and budget bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assay.context import RunContext
from assay.llm.types import Usage
from assay.settings import load_settings
from assay.signals._measure import affordable, judge_item
from assay.signals.auc import auc, signal_auc, suggest_weights
from assay.signals.confidence import round_agreements
from assay.signals.reward import ClassifyJudge, LogprobJudge, render
from assay.signals.scoring import Status, Weights, combine, score
from assay.state import Budget, Candidate, Evidence, RunState, Scores, Task
from assay.testing import FakeLLM

unit = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0))
scores = st.builds(Scores, agreement=unit, confidence=unit, reward=unit, evidence=unit)
LOW: tuple[Status, ...] = ("refuted", "non_answer")
HIGH: tuple[Status, ...] = ("confirmed", "supported", "contested", "unverified")


@given(scores, scores, st.sampled_from(LOW), st.sampled_from(HIGH))
def test_refuted_never_beats_unrefuted(a: Scores, b: Scores, low: Status, high: Status) -> None:
    assert combine(a, status=low) < combine(b, status=high)


@given(scores, st.sampled_from(LOW + HIGH))
def test_total_is_on_one_scale(s: Scores, status: Status) -> None:
    assert 0.0 <= combine(s, status=status) <= 1.0


@given(scores)
def test_confirmed_is_always_confident(s: Scores) -> None:
    assert combine(s, status="confirmed") >= Weights().tau_confident


@given(scores, st.floats(min_value=0.0, max_value=1.0))
def test_more_evidence_never_lowers_the_total(s: Scores, bump: float) -> None:
    lo = s.model_copy(update={"evidence": (s.evidence or 0.0) * (1 - bump)})
    assert combine(lo) <= combine(s.model_copy(update={"evidence": s.evidence or 0.0})) + 1e-12


def test_zero_weight_signal_has_no_effect() -> None:
    w = Weights(reward=0.0)
    assert combine(Scores(agreement=0.5, reward=0.0), w) == combine(Scores(agreement=0.5, reward=1.0), w)


def test_agreement_is_within_one_request_not_the_pool() -> None:
    pool = [Candidate(id=f"r0-solver-{i}", text="", answer=a) for i, a in enumerate(["5", "5", "5", "7"])]
    pool += [Candidate(id=f"r1-refiner-{i}", text="", answer="6", round=1) for i in range(2)]
    pool += [Candidate(id="r1-repair-0", text="", answer="6", round=1)]
    shares = round_agreements(pool, "math")
    assert shares["r0-solver-0"] is not None and shares["r0-solver-0"].value == 0.75
    # Revisions of one attempt copy it: their agreement is not measured (neutral), neither a penalty for
    # differing from round 0 nor a bonus for two copies of one guess.
    assert shares["r1-refiner-0"] is None and shares["r1-refiner-1"] is None
    assert shares["r1-repair-0"] is None  # not sampled: no agreement


def test_a_copy_of_a_sampled_answer_carries_that_answers_agreement() -> None:
    """SQuAD/80-99: a refiner's copy of greedy's guess skipped the guess's low agreement and outscored the
    answer read from the passages; copying adds no vote and removes none."""
    pool = [Candidate(id=f"r0-solver-{i}", text="", answer=a) for i, a in enumerate(["5", "5", "5", "7"])]
    pool += [Candidate(id="r1-refiner-0", text="", answer="7", round=1)]
    pool += [Candidate(id="r1-refiner-1", text="", answer="6", round=1)]
    pool += [
        Candidate(id="r2-solver-0", text="", answer="7", round=2),
        Candidate(id="r2-solver-1", text="", answer="7", round=2),
    ]
    pool += [Candidate(id="r3-reader-0", text="", answer="5", round=3)]
    shares = round_agreements(pool, "math")
    copy, new, read = shares["r1-refiner-0"], shares["r1-refiner-1"], shares["r3-reader-0"]
    assert copy is not None and copy.value == 0.25  # "7" in round 0, the earliest request that drew it
    assert new is None and read is not None and read.value == 0.75
    assert shares["r2-solver-0"] is not None and shares["r2-solver-0"].value == 1.0  # its own request


def test_free_text_agreement_is_not_one_over_k() -> None:
    texts = ["Plants turn light into sugar.", "Plants turn sunlight into sugar.", "Cats sleep a lot."]
    pool = [Candidate(id=f"r0-solver-{i}", text=t, answer=t) for i, t in enumerate(texts)]
    shares = round_agreements(pool, "open")  # exact-match voting would give every distinct text 1/3
    values = [s.value if s is not None else -1.0 for s in shares.values()]
    assert values[0] > 1 / 3 and values[1] > 1 / 3 and values[2] == pytest.approx(1 / 3)


def test_judge_sees_no_tool_evidence_counted_once() -> None:
    cand = Candidate(id="a", text="Answer: 12", answer="12")
    ev = Evidence(id="e", candidate_id="a", tool="program", input="", outcome="re-run passed", passed=True)
    state = RunState(task=Task(question="3 * 4?", kind="math"), candidates=[cand], evidence=[ev])
    assert "re-run passed" not in render(judge_item(cand, state))


def test_auc_and_suggested_weights() -> None:
    assert auc([(0.9, True), (0.1, False)]) == 1.0
    assert auc([(0.1, True), (0.9, False)]) == 0.0
    assert auc([(0.5, True), (0.5, False)]) == 0.5
    assert auc([(0.5, True)]) is None
    cands = [
        Candidate(id=str(i), text="", correct=ok, scores=Scores(agreement=a, reward=0.5, total=a))
        for i, (a, ok) in enumerate([(1.0, True), (0.75, True), (0.25, False), (0.5, False)])
    ]
    ev = [Evidence(id="e0", candidate_id="0", tool="tests", input="", outcome="", passed=True),
          Evidence(id="e2", candidate_id="2", tool="tests", input="", outcome="", passed=False)]  # fmt: skip
    aucs = signal_auc(cands, ev)
    assert aucs["agreement"] == 1.0 and aucs["reward"] == 0.5 and aucs["confidence"] is None
    assert aucs["tool:tests"] == 1.0
    weights = suggest_weights(aucs)
    assert weights["reward"] == 0.0 and weights["agreement"] > 0


@given(st.integers(0, 50), st.integers(0, 30_000), st.integers(1, 20))
def test_judge_calls_are_bounded_by_the_budget(calls: int, tokens: int, wanted: int) -> None:
    budget = Budget(max_calls=40, max_tokens=20_000)
    state = RunState(task=Task(question="q"), budget=budget, usage=Usage(calls=calls, prompt_tokens=tokens))
    n = affordable(state, LogprobJudge(client=None), wanted)  # type: ignore[arg-type]
    assert 0 <= n <= wanted and n <= max(0, 40 - calls) and n * 300 <= max(0, 20_000 - tokens)
    m = affordable(state, ClassifyJudge(client=None), wanted)  # type: ignore[arg-type]
    assert (m == 0) if calls >= 40 else (0 <= m <= wanted)


async def test_score_counts_judge_prompt_tokens_in_usage(tmp_path: Path) -> None:
    gen, judge = FakeLLM(), FakeLLM().on_classify("", p_yes=0.7)
    ctx = RunContext(settings=load_settings(home=tmp_path), llm=gen.client(), judge=judge.client())
    pool = [Candidate(id=f"r0-solver-{i}", text="Answer: 4", answer="4") for i in range(2)]
    update = await score(RunState(task=Task(question="2+2?", kind="math"), candidates=pool), ctx)
    used = update["usage"]
    assert used.calls == len(judge.requests) and used.prompt_tokens > 0  # the /classify server's tokens count
    assert all(c.scores.reward == pytest.approx(0.7) for c in update["candidates"])


@given(st.integers(0, 25_000), st.integers(1, 8), st.integers(16, 512))
def test_samples_drawn_are_bounded_by_tokens_left(used: int, n: int, max_tokens: int) -> None:
    from assay.agents._common import MIN_SAMPLE_TOKENS, sample_plan

    state = RunState(task=Task(question="q"), budget=Budget(max_tokens=20_000), usage=Usage(completion_tokens=used))
    count, length = sample_plan(state, n, max_tokens)
    left = 20_000 - used
    assert 1 <= count <= n and MIN_SAMPLE_TOKENS <= length <= max(max_tokens, MIN_SAMPLE_TOKENS)
    assert count * length <= max(left, MIN_SAMPLE_TOKENS) or count == 1
