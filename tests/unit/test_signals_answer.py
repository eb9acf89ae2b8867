"""The fact check checks the ANSWER (claims from question + answer), refusals are never confident, and the
verdict a user reads is honest. Candidates use the solver's real output format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.agents._extract import extract_answer
from assay.agents.verifier import verify
from assay.context import RunContext
from assay.settings import load_settings
from assay.signals._normalize import non_answer
from assay.signals.scoring import Weights, evidence_status, refresh
from assay.signals.verdict import reference_match, verdict
from assay.state import Candidate, Evidence, RunState, Scores, Task
from assay.testing import FakeLLM
from assay.tools._answer_claim import answer_claim
from assay.tools.types import Passage

AUSTEN = "Pride and Prejudice is an 1813 novel of manners by English author Jane Austen."
REFUSAL = (
    "Answer: I'm sorry for any confusion, but I'd be happy to provide a more specific answer.\n"
    "Pride and Prejudice is a novel.\nConfidence: 90%"
)
RIGHT = "Answer: Jane Austen\nShe wrote it in 1813.\nConfidence: 80%"
WRONG = "Answer: Charles Dickens\nPride and Prejudice is a novel by Jane Austen.\nConfidence: 95%"


class Shelf:
    async def search(self, query: str, k: int = 5) -> list[Passage]:
        return [Passage(id="p1", title="Pride and Prejudice", text=AUSTEN, score=1.0)]


def cand(cid: str, text: str) -> Candidate:
    return Candidate(id=f"r0-solver-{cid}", text=text, answer=extract_answer(text, "qa"))


def ctx_with(tmp_path: Path, fake: FakeLLM | None = None) -> RunContext:
    llm = (fake or FakeLLM(default="supported")).client()
    return RunContext(settings=load_settings(home=tmp_path), llm=llm, retriever=Shelf())


@pytest.mark.parametrize(
    ("question", "answer", "claim"),
    [
        ("Who wrote Pride and Prejudice?", "Jane Austen", "Jane Austen wrote Pride and Prejudice."),
        ("What is the capital of France?", "Paris.", "The capital of France is Paris."),
        ("When was Albert Einstein born?", "1879", "Albert Einstein was born in 1879."),
        ("Where is the Eiffel Tower?", "Paris", "The Eiffel Tower is in Paris."),
        ("How many legs does a spider have?", "8", "The answer to 'How many legs does a spider have?' is 8."),
    ],
)
def test_claims_are_built_from_question_and_answer(question: str, answer: str, claim: str) -> None:
    assert answer_claim(question, answer) == claim


def test_refusals_and_empty_answers_are_no_answer() -> None:
    assert non_answer(extract_answer(REFUSAL, "qa"), "qa") is not None
    assert non_answer("I don't know.", "qa") is not None
    assert non_answer("it depends on many different things in the end", "qa") is not None
    assert non_answer("Jane Austen", "qa") is None and non_answer("blue", "qa") is None
    assert non_answer("twelve", "math") is not None and non_answer("12", "math") is None


def test_a_lowercase_answer_that_tells_something_the_question_does_not_is_an_answer() -> None:
    question = "Where do ctenophora live?"
    assert non_answer("Ctenophora live in marine waters worldwide.", "qa") is not None  # no question: old rule
    assert non_answer("Ctenophora live in marine waters worldwide.", "qa", question) is None
    assert non_answer("ctenophora do live where they live", "qa", question) is not None


async def test_support_for_the_justification_is_not_support(tmp_path: Path) -> None:
    # a judge that says "supported" to everything: the gate still needs a quote naming the ANSWER
    task = Task(question="Who wrote Pride and Prejudice?", kind="qa")
    pool = [cand("0", REFUSAL), cand("1", RIGHT), cand("2", WRONG)]
    update = await verify(RunState(task=task, candidates=pool), ctx_with(tmp_path))
    by_cand = {e.candidate_id: e for e in update["evidence"] if e.tool == "factcheck"}
    assert by_cand["r0-solver-1"].passed is True
    assert by_cand["r0-solver-1"].input == "Jane Austen wrote Pride and Prejudice."
    assert by_cand["r0-solver-2"].passed is None  # the passage names Austen, not Dickens
    assert by_cand["r0-solver-2"].input == "Charles Dickens wrote Pride and Prejudice."
    refusal = by_cand.get("r0-solver-0")
    assert refusal is None or refusal.passed is not True


def scored(pool: list[Candidate], evidence: list[Evidence], task: Task) -> RunState:
    state = RunState(task=task, candidates=pool, evidence=evidence)
    high = Scores(agreement=1.0, confidence=1.0, reward=1.0)
    state = state.model_copy(update={"candidates": [c.model_copy(update={"scores": high}) for c in pool]})
    return state.model_copy(update={"candidates": refresh(state.candidates, state, Weights())})


def test_a_refusal_is_never_confident_whatever_its_signals() -> None:
    task = Task(question="Who wrote Pride and Prejudice?", kind="qa", reference="Jane Austen")
    state = scored([cand("0", REFUSAL)], [], task)
    refusal = state.candidates[0]
    assert evidence_status(refusal, [], "qa") == "non_answer"
    assert refusal.scores.total is not None and refusal.scores.total < Weights().refuted_cap
    final = state.model_copy(update={"best_id": refusal.id, "answer": refusal.answer})
    assert verdict(final, 0.8).label == "no answer"
    assert reference_match(final) is False


def test_verdicts_are_honest() -> None:
    task = Task(question="Who wrote Pride and Prejudice?", kind="qa", reference="Jane Austen")
    right = cand("1", RIGHT).model_copy(update={"scores": Scores(agreement=0.25, confidence=0.3)})
    state = RunState(task=task, candidates=[right])
    state = state.model_copy(update={"candidates": refresh(state.candidates, state), "best_id": right.id})
    assert verdict(state, 0.8).label == "unverified"  # no evidence, low total: never "confident"
    support = Evidence(id="e", candidate_id=right.id, tool="factcheck", input="", outcome="", passed=True)
    backed = state.model_copy(update={"evidence": [support]})
    backed = backed.model_copy(update={"candidates": refresh(backed.candidates, backed)})
    assert verdict(backed, 0.8).label in ("uncertain", "confident")
    assert reference_match(backed) is True


def test_tool_refuted_candidate_never_beats_an_unrefuted_one() -> None:
    task = Task(question="What is 17 * 23?", kind="math")
    good = Candidate(id="r0-solver-0", text="Answer: 391", answer="391")
    bad = Candidate(id="r0-solver-1", text="Answer: 392", answer="392")
    ev: list[Any] = [
        Evidence(id="a", candidate_id=bad.id, tool="expression", input="", outcome="", passed=False),
        Evidence(id="b", candidate_id=good.id, tool="expression", input="", outcome="", passed=True),
    ]
    state = scored([good, bad], ev, task)
    by_id = {c.id: c for c in state.candidates}
    assert by_id[good.id].scores.total is not None and by_id[bad.id].scores.total is not None
    assert by_id[good.id].scores.total >= Weights().tau_confident > by_id[bad.id].scores.total


@pytest.mark.parametrize(
    ("text", "question", "answer"),
    [
        (
            "Answer: The capital of Japan is Tokyo.\nIt is big.\nConfidence: 90%",
            "What is the capital of Japan?",
            "Tokyo",
        ),
        ("Answer: Paris is the capital of France.\nConfidence: 80%", "What is the capital of France?", "Paris"),
        ("Answer: Romeo and Juliet by William Shakespeare.", "Who wrote Romeo and Juliet?", "William Shakespeare"),
        ("Answer: Paris is the capital of Italy.", "What is the capital of France?", "Paris is the capital of Italy."),
    ],
)
def test_qa_answers_that_restate_the_question_are_trimmed(text: str, question: str, answer: str) -> None:
    assert extract_answer(text, "qa", question) == answer


class Tasmania:
    async def search(self, query: str, k: int = 5) -> list[Passage]:
        text = "Tasmania is the most decentralised state in Australia, with the lowest share in its capital."
        return [Passage(id="t1", title="Tasmania", text=text.replace(" in its capital", ""), score=1.0)]


async def test_a_passage_that_names_the_answer_but_not_what_was_asked_is_no_support(tmp_path: Path) -> None:
    ctx = RunContext(settings=load_settings(home=tmp_path), llm=FakeLLM(default="supported").client(),
                     retriever=Tasmania())  # fmt: skip
    text = "Answer: The most decentralised state in Australia is Tasmania.\nConfidence: 90%"
    task = Task(question="What is the capital of Australia?", kind="qa")
    pool = [Candidate(id="r1-refiner-0", text=text, answer=extract_answer(text, "qa", task.question))]
    update = await verify(RunState(task=task, candidates=pool), ctx)
    assert [e.passed for e in update["evidence"]] == [None]


@pytest.mark.parametrize(
    "text",
    [  # real replies of qwen2.5-coder-0.5b on SQuAD/120-139 (refiner and reader), in the solver's format
        "Answer: Tool evidence shows errors: claim contradicted: The additional service is HD.\nConfidence: 60%",
        "Confidence: Part of the process of free movement of goods is transportation.",
        "Answer: To improve the solution, a physician may diagnose a large number of conditions.\nConfidence: 70%",
        "Answer: <the shortest span of the passages that answers the question>,\nConfidence: 90%",
        "Answer: The shortest span of the passages that answers the question is the passage about Harvard.",
    ],
)
def test_an_echo_of_the_prompt_is_no_answer(text: str) -> None:
    answer = extract_answer(text, "qa")
    assert non_answer(answer, "qa") == "an echo of the prompt, not an answer"
    assert non_answer(extract_answer(text, "math"), "math") is not None


def test_answers_that_merely_mention_confidence_or_evidence_are_answers() -> None:
    assert non_answer("Confidence was high in 1999, says Smith", "qa") is None
    assert non_answer("The tool evidence rule of 1975", "qa") is None
    assert non_answer("Martin Luther", "qa") is None
