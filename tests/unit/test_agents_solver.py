"""The solve node: one n=k request, candidates with ids, token stats, answers and stated confidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay import kit
from assay.agents.solver import PROMPTS, solve
from assay.context import RunContext
from assay.errors import InputError
from assay.settings import load_settings
from assay.state import Candidate, RunState, Task
from assay.testing import FakeLLM

QUESTION = "Tom has 3 bags of 4 apples. How many apples?"


def make_ctx(tmp_path: Path, fake: FakeLLM, **prompts: str) -> RunContext:
    settings = load_settings(home=tmp_path, samples=3, temperature=0.8, max_tokens=200)
    return RunContext(settings=settings, llm=fake.client(), prompts=prompts)


async def test_solve_makes_k_candidates_in_one_request(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on(
        QUESTION, texts=["3*4 = 12\nAnswer: 12\nConfidence: 90%", "Answer: 13", "3+4=7"], logprob=[-0.1, -1.0, -2.0]
    )
    state = RunState(task=Task(question=QUESTION, kind="math"), round=2)
    update = await solve(state, make_ctx(tmp_path, fake))
    cands: list[Candidate] = update["candidates"]
    assert [c.id for c in cands] == ["r2-solver-0", "r2-solver-1", "r2-solver-2"]
    assert [c.answer for c in cands] == ["12", "13", "7"]
    assert [c.verbal_confidence for c in cands] == [pytest.approx(0.9), None, None]
    assert all(c.origin == "solver" and c.round == 2 for c in cands)
    assert cands[0].tokens.n_tokens > 0 and cands[0].tokens.mean_logprob == pytest.approx(-0.1)
    assert cands[2].tokens.min_logprob == pytest.approx(-2.0)
    assert len(fake.requests) == 1
    body = fake.requests[0].body
    assert (body["n"], body["temperature"], body["max_tokens"], body["logprobs"]) == (3, 0.8, 200, True)
    assert "Answer: <number>" in fake.requests[0].prompt
    usage = update["usage"]
    assert usage.calls == 1 and usage.completion_tokens > 0


@pytest.mark.parametrize(("kind", "overrides", "sent"), [("math", {}, 0.3), ("qa", {}, 0.7),
                                                         ("math", {"temperature": 0.0}, 0.0)])  # fmt: skip
async def test_samples_are_drawn_at_the_kinds_temperature(
    tmp_path: Path, kind: str, overrides: dict[str, float], sent: float
) -> None:
    fake = FakeLLM(default="Answer: 12")
    ctx = RunContext(settings=load_settings(home=tmp_path, samples=2), llm=fake.client())
    await kit.with_settings(solve, **overrides)(RunState(task=Task(question=QUESTION, kind=kind)), ctx)
    assert fake.requests[0].body["temperature"] == sent  # math samples cooler; a greedy pass stays greedy


async def test_solve_ids_do_not_collide_with_existing(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("", texts=["Answer: Paris"])
    state = RunState(
        task=Task(question="Capital of France?", kind="qa"), candidates=[Candidate(id="r0-solver-0", text="x")]
    )
    update = await solve(state, make_ctx(tmp_path, fake))
    ids = [c.id for c in update["candidates"]]
    assert "r0-solver-0" not in ids and len(set(ids)) == 3


async def test_prompt_override_and_bad_placeholder(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("", texts=["```python\ndef f():\n    return 1\n```"])
    state = RunState(task=Task(question="Write f.", kind="code", context="f returns one"))
    update = await solve(state, make_ctx(tmp_path, fake, **{"solver.code": "CUSTOM {question}"}))
    assert update["candidates"][0].answer == "def f():\n    return 1"
    assert "CUSTOM Write f." in fake.requests[0].prompt and "f returns one" in fake.requests[0].prompt
    assert PROMPTS["code"] not in fake.requests[0].prompt
    with pytest.raises(InputError, match="placeholder"):
        await solve(state, make_ctx(tmp_path, fake, **{"solver.code": "bad {nope}"}))
