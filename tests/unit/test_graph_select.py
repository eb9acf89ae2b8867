"""Selection functions and the graph-level invariants (best so far, budget overshoot), property-tested."""

from __future__ import annotations

import asyncio

from _graph_stubs import Script, make_ctx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.graphs.adaptive import build_adaptive
from assay.signals.select import best_candidate, count_flips, improved, vote
from assay.state import Budget, Candidate, RunState, Scores, Task


def cand(cid: str, answer: str, total: float | None = None, reward: float | None = None, **kw: object) -> Candidate:
    return Candidate(id=cid, text=answer, answer=answer, scores=Scores(total=total, reward=reward), **kw)


def by_answer(c: Candidate) -> str | None:
    return c.answer


def test_best_candidate_ties_go_to_the_earlier_and_unscored_rank_last() -> None:
    pool = [cand("a", "1", None), cand("b", "2", 0.5), cand("c", "3", 0.5)]
    best = best_candidate(pool)
    assert best is not None and best.id == "b"
    assert best_candidate([]) is None
    only_unscored = best_candidate([cand("x", "1"), cand("y", "2")])
    assert only_unscored is not None and only_unscored.id == "x"


def test_vote_is_reward_weighted_and_returns_the_best_of_the_winning_group() -> None:
    pool = [cand("a", "1", 0.2, 0.9), cand("b", "1", 0.6, 0.8), cand("c", "2", 0.9, 0.1), cand("d", "2", 0.1, 0.1)]
    result = vote(pool, by_answer)
    assert result.winner is not None and result.winner.id == "b"
    assert result.share == 0.5 and result.groups == 2
    assert result.reward is not None and abs(result.reward - 0.85) < 1e-9
    assert abs(result.weight_share - 1.7 / 1.9) < 1e-6


def test_vote_on_empty_pool_and_answerless_candidates() -> None:
    assert vote([], by_answer).winner is None
    result = vote([Candidate(id="a", text="x"), Candidate(id="b", text="y")], by_answer)
    assert result.groups == 2 and result.share == 0.5


def test_count_flips_and_improved() -> None:
    pool = [
        cand("p", "1", 0.3, correct=True),
        cand("q", "2", 0.4, correct=False),
        cand("r1", "3", 0.5, origin="refiner", parent="p", round=1, correct=False),
        cand("r2", "1", 0.2, origin="refiner", parent="q", round=1, correct=True),
        cand("r3", "1", 0.2, origin="refiner", parent="q", round=1),  # correctness unknown: not counted
    ]
    flips = count_flips(pool, 1)
    assert (flips.right_to_wrong, flips.wrong_to_right, flips.right_to_right, flips.wrong_to_wrong) == (1, 1, 0, 0)
    assert improved(pool, 1) == (True, 0.5, 0.4)


def test_a_revision_that_repeats_an_earlier_answer_is_no_improvement() -> None:
    """Copies of one guess agree with each other, so their total rises round on round (SQuAD, 2026-12-01)."""
    pool = [cand("p", "1888", 0.39), cand("r1", "1888", 0.63, origin="refiner", parent="p", round=1),
            cand("r2", "1888", 0.63, origin="refiner", parent="p", round=1)]  # fmt: skip
    assert improved(pool, 1) == (True, 0.63, 0.39)
    assert improved(pool, 1, key=by_answer) == (False, -1.0, 0.39)
    pool.append(cand("r3", "1891", 0.5, origin="refiner", parent="p", round=1))
    assert improved(pool, 1, key=by_answer) == (True, 0.5, 0.39)  # a new answer that scores higher is one


ANSWERS = st.sampled_from(list("abcdefgh"))
TOTALS = st.dictionaries(ANSWERS, st.floats(0, 1, allow_nan=False), min_size=8, max_size=8)


def _run(script: Script, budget: Budget, **config: object) -> RunState:
    app = build_adaptive(**script.nodes()).compile()
    start = RunState(task=Task(question="q", kind="math"), budget=budget)
    return RunState.model_validate(asyncio.run(app.ainvoke(start, context=make_ctx(**config))))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    solver=st.lists(ANSWERS, min_size=1, max_size=6),
    refine=st.lists(ANSWERS, min_size=1, max_size=4),
    totals=TOTALS,
    patience=st.integers(1, 3),
    max_rounds=st.integers(0, 4),
)
def test_final_answer_is_the_best_scored_candidate_of_the_pool(
    solver: list[str], refine: list[str], totals: dict[str, float], patience: int, max_rounds: int
) -> None:
    script = Script(solver, refine, totals=totals, rewards=dict.fromkeys(totals, 0.0))  # reward 0: never "easy"
    state = _run(script, Budget(), patience=patience, max_rounds=max_rounds)
    best = best_candidate(state.candidates)
    assert best is not None and state.stopped_by is not None
    assert state.best_id == best.id and state.answer == best.answer
    assert all((c.scores.total or 0) <= (best.scores.total or 0) for c in state.candidates)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    max_calls=st.integers(1, 12),
    max_tokens=st.integers(1, 200),
    per_call=st.integers(1, 4),
    per_tokens=st.integers(1, 60),
)
def test_budget_overshoot_is_at_most_one_nodes_spend(
    max_calls: int, max_tokens: int, per_call: int, per_tokens: int
) -> None:
    """Invariant: an LLM node starts only while usage < every limit, so final usage < limit + one node's spend."""
    script = Script(["a", "b"], ["c", "d", "e"], totals={"a": 0.2, "b": 0.1, "c": 0.3, "d": 0.4, "e": 0.5},
                    calls_per_node=per_call, tokens_per_node=per_tokens)  # fmt: skip
    state = _run(script, Budget(max_calls=max_calls, max_tokens=max_tokens), patience=9, max_rounds=9)
    assert state.usage.calls < max_calls + per_call
    assert state.usage.total_tokens < max_tokens + per_tokens
    assert state.stopped_by in ("budget", "confident", "max_rounds")
    if state.usage.calls >= max_calls or state.usage.total_tokens >= max_tokens:
        assert state.stopped_by == "budget" or script.calls["refine"] == 9
