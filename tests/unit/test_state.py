"""RunState: exact JSON round trips, reducers, and the evidence rule on reviews."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from assay.llm.types import Usage
from assay.state import (
    Budget,
    Candidate,
    Evidence,
    Flips,
    Review,
    Route,
    RunState,
    Scores,
    Task,
    TokenStats,
    merge_by_id,
)

unit = st.floats(min_value=0, max_value=1, allow_nan=False)
text = st.text(max_size=40)


@st.composite
def candidates(draw: st.DrawFn) -> Candidate:
    return Candidate(
        id=draw(st.uuids()).hex,
        text=draw(text),
        answer=draw(st.none() | text),
        origin=draw(st.sampled_from(["solver", "refiner"])),
        round=draw(st.integers(0, 5)),
        tokens=TokenStats(n_tokens=draw(st.integers(0, 99)), mean_logprob=draw(st.none() | st.floats(-20, 0))),
        scores=Scores(agreement=draw(st.none() | unit), reward=draw(st.none() | unit), steps=draw(st.lists(unit))),
        correct=draw(st.none() | st.booleans()),
    )


@given(st.lists(candidates(), max_size=5), st.text(min_size=1).filter(str.strip))
def test_run_state_json_round_trip_is_exact(pool: list[Candidate], question: str) -> None:
    state = RunState(
        task=Task(question=question, kind="math", reference="4"),
        candidates=pool,
        evidence=[Evidence(id="e1", candidate_id="c", tool="tests", input="x", outcome="1/2", passed=False)],
        reviews=[Review(id="v1", candidate_id="c", verdict="incorrect", critique="off", evidence_ids=["e1"])],
        routes=[Route(source="score", target="verify", signals={"agreement": 0.5}, reason="hard")],
        usage=Usage(calls=3, prompt_tokens=10, completion_tokens=7),
        flips=Flips(wrong_to_right=1),
        best_id=pool[0].id if pool else None,
    )
    assert RunState.model_validate_json(state.model_dump_json()) == state


def test_blank_question_is_rejected() -> None:
    with pytest.raises(ValidationError, match="question is empty"):
        Task(question="   ")


def test_incorrect_verdict_without_evidence_is_downgraded() -> None:
    review = Review(id="v", candidate_id="c", verdict="incorrect", critique="I think it is wrong")
    assert review.verdict == "unsure"
    cited = Review(id="v", candidate_id="c", verdict="incorrect", critique="test 2 fails", evidence_ids=["e"])
    assert cited.verdict == "incorrect"


def test_merge_by_id_replaces_known_and_appends_new() -> None:
    old = [Candidate(id="a", text="1"), Candidate(id="b", text="2")]
    new = [Candidate(id="b", text="2'"), Candidate(id="c", text="3")]
    merged = merge_by_id(old, new)
    assert [(c.id, c.text) for c in merged] == [("a", "1"), ("b", "2'"), ("c", "3")]


@pytest.mark.parametrize(
    ("usage", "elapsed", "expected"),
    [
        (Usage(calls=2, prompt_tokens=10), 1.0, None),
        (Usage(calls=5), 0.0, "calls"),
        (Usage(calls=1, prompt_tokens=60, completion_tokens=40), 0.0, "tokens"),
        (Usage(calls=1), 10.0, "seconds"),
    ],
)
def test_budget_names_the_exhausted_limit(usage: Usage, elapsed: float, expected: str | None) -> None:
    assert Budget(max_calls=5, max_tokens=100, max_seconds=10).exhausted(usage, elapsed) == expected


def test_zero_budget_is_invalid() -> None:
    with pytest.raises(ValidationError):
        Budget(max_tokens=0)


def test_state_helpers_find_candidates_by_id_and_round() -> None:
    state = RunState(
        task=Task(question="q"),
        candidates=[Candidate(id="a", text="x", round=0), Candidate(id="b", text="y", round=1)],
        best_id="b",
        round=1,
    )
    assert state.best is not None and state.best.text == "y"
    assert [c.id for c in state.round_candidates()] == ["b"]
    with pytest.raises(KeyError):
        state.candidate("zzz")
