"""Judge backends (logprob and /classify), ensembles, prompts and step splitting."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assay.context import RunContext
from assay.settings import load_settings
from assay.signals.reward import (
    NEUTRAL,
    ClassifyJudge,
    EnsembleScorer,
    JudgeItem,
    LogprobJudge,
    make_scorer,
    p_yes,
    render,
    split_steps,
    step_items,
)
from assay.testing import FakeLLM

VERDICT = "Reply with one word: yes or no."


def item(answer: str = "14", evidence: tuple[str, ...] = ()) -> JudgeItem:
    return JudgeItem(question="What is 7*2?", kind="math", answer=answer, evidence=evidence)


def test_p_yes_sums_variants() -> None:
    top = {"yes": math.log(0.5), " Yes": math.log(0.1), "no": math.log(0.2), "maybe": math.log(0.2)}
    assert p_yes(top) == pytest.approx(0.6 / 0.8)
    assert p_yes({"maybe": -0.1}) is None


async def test_logprob_judge_reads_top_logprobs() -> None:
    fake = FakeLLM()
    fake.on(VERDICT, texts=["yes"], logprob=-0.1, top={"yes": -0.1, "no": -2.3})
    async with fake.client() as llm:
        judge = LogprobJudge(llm)
        values = await judge.score([item(), item("15")])
    expected = math.exp(-0.1) / (math.exp(-0.1) + math.exp(-2.3))
    assert values == pytest.approx([expected, expected])
    assert judge.usage.calls == 2
    body = fake.requests[0].body
    assert body["max_tokens"] == 1 and body["logprobs"] is True and body["top_logprobs"] == 20


async def test_logprob_judge_neutral_without_yes_or_no() -> None:
    fake = FakeLLM()
    fake.on(VERDICT, texts=["maybe"], top={"maybe": -0.1, "perhaps": -1.0})
    async with fake.client() as llm:
        assert await LogprobJudge(llm).score([item()]) == [NEUTRAL]


async def test_classify_judge_is_one_batch_request() -> None:
    fake = FakeLLM()
    fake.on_classify("Final answer: 14", p_yes=0.8).on_classify("Final answer: 15", p_yes=0.1)
    async with fake.client() as llm:
        judge = ClassifyJudge(llm)
        values = await judge.score([item("14"), item("15")])
    assert values == pytest.approx([0.8, 0.1])
    assert len(fake.requests) == 1 and judge.usage.calls == 1
    assert fake.requests[0].prompt.startswith("<|im_start|>user\n")


async def test_ensemble_min_and_mean() -> None:
    fake = FakeLLM()
    fake.on(VERDICT, texts=["yes"], top={"yes": math.log(0.9), "no": math.log(0.1)})
    fake.on_classify("", p_yes=0.3)
    async with fake.client() as llm:
        low = await EnsembleScorer([LogprobJudge(llm), ClassifyJudge(llm)], agg="min").score([item()])
        mid = await EnsembleScorer([LogprobJudge(llm), ClassifyJudge(llm)], agg="mean").score([item()])
    assert low == pytest.approx([0.3])
    assert mid == pytest.approx([0.6])


def test_render_shows_final_answer_and_evidence_and_cuts_length() -> None:
    text = render(item("14", ("program: re-running gives 14",)))
    assert "Final answer: 14" in text and "program: re-running gives 14" in text
    long = render(item("9" * 5000))
    assert len(long) < 2500 and "[... cut]" in long
    code = render(JudgeItem(question="q", kind="code", answer="def f(): pass"))
    assert "```python\ndef f(): pass\n```" in code


def test_make_scorer_picks_backend(tmp_path: Path) -> None:
    fake = FakeLLM()
    llm = fake.client()
    settings = load_settings(home=tmp_path)
    assert isinstance(make_scorer(RunContext(settings=settings, llm=llm)), LogprobJudge)
    judge = make_scorer(RunContext(settings=settings, llm=llm, judge=llm, prompts={"judge.outcome": "X {answer}"}))
    assert isinstance(judge, ClassifyJudge)
    assert render(item(), judge.templates) == "X Final answer: 14\n"


def test_split_steps() -> None:
    assert split_steps("a\n\nb\nConfidence: 80%\nc") == ["a", "b", "c"]
    assert split_steps("First add. Then multiply. Answer: 3") == ["First add.", "Then multiply.", "Answer: 3"]
    many = "\n".join(f"line {i}" for i in range(13))
    steps = split_steps(many, max_steps=6)
    assert len(steps) == 5 and steps[0] == "line 0\nline 1\nline 2"
    prefixes = step_items("q", "math", ["s1", "s2"])
    assert [p.answer for p in prefixes] == ["s1", "s1\ns2"] and [p.steps_shown for p in prefixes] == [1, 2]
