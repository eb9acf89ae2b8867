"""The score node: signals for new candidates, pool-wide agreement/evidence refresh, reference checks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assay.context import RunContext
from assay.settings import load_settings
from assay.signals.scoring import Weights, combine, refresh, score
from assay.state import Candidate, Evidence, RunState, Scores, Task, TokenStats
from assay.testing import FakeLLM

YES = {"yes": math.log(0.8), "no": math.log(0.2)}
NO = {"yes": math.log(0.1), "no": math.log(0.9)}


def make_ctx(tmp_path: Path, fake: FakeLLM) -> RunContext:
    return RunContext(settings=load_settings(home=tmp_path), llm=fake.client())


def pool() -> list[Candidate]:
    texts = {"a": "3*4=12\nAnswer: 12", "b": "Answer: 12.0", "c": "Answer: $12", "d": "3+4+6=13\nAnswer: 13"}
    stats = TokenStats(n_tokens=4, mean_logprob=-0.2, min_logprob=-1.0)
    return [Candidate(id=k, text=t, answer=t.rsplit(" ", 1)[-1].lstrip("$"), tokens=stats) for k, t in texts.items()]


def judge(fake: FakeLLM) -> FakeLLM:
    fake.on("Partial solution", texts=["yes"], top=YES)
    fake.on("Final answer: 13", texts=["no"], top=NO)
    fake.on("Final answer:", texts=["yes"], top=YES)
    return fake


async def test_score_measures_all_signals(tmp_path: Path) -> None:
    fake = judge(FakeLLM())
    state = RunState(task=Task(question="3 bags of 4 apples?", kind="math", reference="12"), candidates=pool())
    update = await score(state, make_ctx(tmp_path, fake))
    by_id = {c.id: c for c in update["candidates"]}
    a, d = by_id["a"], by_id["d"]
    assert a.scores.agreement == pytest.approx(0.75) and d.scores.agreement == pytest.approx(0.25)  # one group
    assert a.scores.confidence == pytest.approx(math.exp(-0.2))
    assert a.scores.reward == pytest.approx(0.8) and d.scores.reward == pytest.approx(0.1)
    assert a.scores.evidence is None
    assert a.scores.total == pytest.approx(combine(a.scores)) and a.scores.total > d.scores.total
    # the generator-logprob judge pays a call per step, so steps are scored only when w_steps > 0
    assert [c.scores.steps for c in (a, by_id["b"], by_id["c"], d)] == [[], [], [], []]
    assert (a.correct, d.correct) == (True, False)
    assert update["usage"].calls == 4 == len(fake.requests)
    judged = [r.prompt for r in fake.requests if "Final answer:" in r.prompt]
    assert all("3*4=12" not in p for p in judged)  # the judge sees the final answer, not the reasoning (D6)


async def test_rescore_refreshes_evidence_without_new_judge_calls(tmp_path: Path) -> None:
    fake = judge(FakeLLM())
    scored = [
        c.model_copy(update={"scores": Scores(agreement=0.1, confidence=0.5, reward=0.9, total=0.7)}) for c in pool()
    ]
    evidence = [
        Evidence(id="e1", candidate_id="d", tool="tests", input="", outcome="", passed=True),
        Evidence(id="e2", candidate_id="a", tool="program", input="", outcome="", passed=True),
        Evidence(id="e3", candidate_id="b", tool="program", input="", outcome="", passed=False),
    ]
    state = RunState(task=Task(question="q", kind="math"), candidates=scored, evidence=evidence)
    update = await score(state, make_ctx(tmp_path, fake))
    by_id = {c.id: c for c in update["candidates"]}
    a, b, d = by_id["a"], by_id["b"], by_id["d"]
    assert d.scores.evidence == 1.0 and d.scores.agreement == pytest.approx(0.25)
    assert d.scores.reward == 0.9  # measured once, kept
    assert d.scores.total == pytest.approx(max(combine(d.scores), Weights().tau_confident))  # confirmed
    # a consistent arithmetic re-run proves little: it is not counted; a wrong stated step refutes
    assert a.scores.evidence is None and b.scores.evidence == 0.0
    assert a.scores.total == pytest.approx(combine(a.scores))
    assert b.scores.total < Weights().refuted_cap <= a.scores.total
    assert fake.requests == [] and update["usage"].calls == 0


async def test_judge_failure_leaves_reward_unmeasured(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.fail(400, times=50)
    state = RunState(task=Task(question="q", kind="math"), candidates=pool())
    update = await score(state, make_ctx(tmp_path, fake))
    assert all(c.scores.reward is None and c.scores.total is not None for c in update["candidates"])
    assert update["notes"] and "judge failed" in update["notes"][0]


def test_a_qa_answer_not_checked_yet_takes_the_verdict_on_the_same_answer() -> None:
    """The claim is built from question and answer, so an unchecked copy of a contradicted answer must not
    outscore it for want of a check (seen: three widened samples repeated a contradicted greedy answer)."""
    stats = TokenStats(n_tokens=4, mean_logprob=-0.1, min_logprob=-0.3)
    cands = [Candidate(id=i, text="Answer: 1972", answer="1972", tokens=stats) for i in ("greedy", "copy")]
    cands.append(Candidate(id="other", text="Answer: 1969", answer="1969", tokens=stats))
    refuted = Evidence(id="ev-greedy-claim0", candidate_id="greedy", tool="factcheck", input="claim",
                       outcome="claim contradicted", passed=False, details={"verdict": "contradicted"})  # fmt: skip
    state = RunState(task=Task(question="When?", kind="qa"), candidates=cands, evidence=[refuted])
    by_id = {c.id: c for c in refresh(cands, state)}
    assert by_id["copy"].scores.evidence == 0.0 and by_id["copy"].scores.total == by_id["greedy"].scores.total
    assert by_id["other"].scores.evidence is None  # another answer is not judged by this claim
    math_state = state.model_copy(update={"task": Task(question="When?", kind="math")})
    assert {c.id: c for c in refresh(cands, math_state)}["copy"].scores.evidence is None  # per candidate there
