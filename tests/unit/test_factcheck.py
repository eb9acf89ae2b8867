"""Claim extraction and CRITIC-style claim checking (model judge over MockTransport, lexical fallback)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assay.errors import SearchError
from assay.llm.client import LLMClient
from assay.testing import FakeLLM
from assay.tools.factcheck import (
    best_quote,
    check_answer,
    check_claims,
    excerpt,
    extract_claims,
    judge_messages,
    parse_verdict,
    split_sentences,
)
from assay.tools.types import Passage

BERLIN = Passage(
    id="wiki:Berlin",
    title="Berlin",
    text="Berlin is the capital and largest city of Germany. It lies on the Spree.",
    score=5.0,
)
TOWER = Passage(
    id="wiki:Eiffel Tower",
    title="Eiffel Tower",
    text="The Eiffel Tower is a lattice tower in Paris. It was completed in 1889 for the World's Fair.",
    score=4.0,
)


class ListRetriever:
    def __init__(self, *passages: Passage) -> None:
        self.passages = list(passages)

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        return self.passages[:k]


class FailingRetriever:
    async def search(self, query: str, k: int = 5) -> list[Passage]:
        raise SearchError("documents folder /nope does not exist or is not a folder")


def test_split_sentences_keeps_abbreviations_and_joins_wrapped_lines() -> None:
    text = "Dr. J. R. R. Tolkien was born in 1892.\nHe wrote\nThe Hobbit. It sold well!\n\n- U.S. sales grew."
    assert split_sentences(text) == [
        "Dr. J. R. R. Tolkien was born in 1892.",
        "He wrote The Hobbit.",
        "It sold well!",
        "U.S. sales grew.",
    ]


def test_extract_claims_drops_questions_hedges_chatter_and_dangling_pronouns() -> None:
    answer = (
        "Sure! The Eiffel Tower is in Paris. Was it built in 1889? I think it is 330 metres tall. "
        "It is made of iron. **Therefore, the tower was completed in 1889.** Let me know if that helps."
    )
    assert extract_claims(answer) == ["The Eiffel Tower is in Paris.", "The tower was completed in 1889."]


def test_extract_claims_splits_semicolons_and_keeps_the_most_specific_in_order() -> None:
    answer = "Cats are mammals; Berlin has 3.8 million people. Water is wet stuff. Rome was founded in 753 BC."
    assert extract_claims(answer, max_claims=2) == ["Berlin has 3.8 million people.", "Rome was founded in 753 BC."]
    assert len(extract_claims(answer, max_claims=10)) == 4
    assert extract_claims(answer, max_claims=0) == []
    assert extract_claims("") == []


def test_best_quote_is_the_sentence_sharing_most_words_with_the_claim() -> None:
    passage, quote, score = best_quote("The Eiffel Tower was completed in 1889.", [BERLIN, TOWER])
    assert passage is TOWER
    assert quote == "It was completed in 1889 for the World's Fair."
    assert 0 < score <= 1


def test_excerpt_keeps_the_relevant_sentences_within_budget() -> None:
    filler = " ".join(f"Sentence {i} talks about weather." for i in range(40))
    long = Passage(id="x", title="X", text=f"{filler} The treaty was signed in Utrecht in 1713.", score=1.0)
    cut = excerpt(long, {"treaty", "signed", "utrecht", "1713"}, max_chars=200)
    assert "Utrecht in 1713" in cut
    assert len(cut) <= 220


def test_judge_prompt_holds_claim_and_passages_only() -> None:
    messages = judge_messages("Paris is the capital of Germany.", [BERLIN])
    user = messages[-1]["content"]
    assert "Paris is the capital of Germany." in user
    assert "[1] Berlin: Berlin is the capital" in user


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [("supported", "supported"), (" Contradicted.", "contradicted"), ("I cannot tell", "unknown")],
)
def test_parse_verdict(reply: str, verdict: str) -> None:
    assert parse_verdict(reply) == verdict


async def test_lexical_fallback_supports_matches_and_never_contradicts() -> None:
    claims = ["The Eiffel Tower was completed in 1889.", "Paris is the capital of Germany.", "Moon cheese is tasty."]
    checks = await check_claims(claims, ListRetriever(BERLIN, TOWER), None)
    assert [c.verdict for c in checks] == ["supported", "unknown", "unknown"]
    assert checks[0].passage_ids == ["wiki:Eiffel Tower", "wiki:Berlin"]  # quoted passage first
    assert checks[1].quote == "Berlin is the capital and largest city of Germany."


async def test_failing_retriever_gives_unknown_not_a_crash() -> None:
    checks = await check_claims(["Berlin is in Germany."], FailingRetriever(), None)
    assert checks[0].verdict == "unknown"
    assert checks[0].passage_ids == []


def _judge(verdicts: dict[str, str], bodies: list[dict[str, Any]], *, barrier: int = 0) -> LLMClient:
    """A chat server that answers per claim; with ``barrier`` it only answers once that many calls wait."""
    arrived = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        if len(bodies) >= barrier:
            arrived.set()
        await asyncio.wait_for(arrived.wait(), timeout=5)
        claim = body["messages"][-1]["content"].split("Claim: ")[1].split("\n")[0]
        message = {"role": "assistant", "content": verdicts[claim]}
        usage = {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
        return httpx.Response(200, json={"model": "m", "choices": [{"index": 0, "message": message}], "usage": usage})

    transport = httpx.MockTransport(handler)
    return LLMClient("http://127.0.0.1:9", model="m", max_attempts=1, transport=transport)


async def test_model_judge_runs_concurrently_with_structured_choice() -> None:
    verdicts = {"Paris is the capital of Germany.": "contradicted", "The Eiffel Tower is in Paris.": "supported"}
    bodies: list[dict[str, Any]] = []
    async with _judge(verdicts, bodies, barrier=2) as llm:
        checks = await check_claims(list(verdicts), ListRetriever(BERLIN, TOWER), llm, k=2)
    assert [c.verdict for c in checks] == ["contradicted", "supported"]
    assert len(bodies) == 2
    for body in bodies:
        assert body["structured_outputs"] == {"choice": ["supported", "contradicted", "unknown"]}
        assert body["temperature"] == 0.0
        assert "Eiffel Tower: The Eiffel Tower is a lattice tower" in body["messages"][-1]["content"]


async def test_model_failure_falls_back_to_word_overlap() -> None:
    fake = FakeLLM().fail(500)
    async with fake.client(max_attempts=1) as llm:
        checks = await check_claims(["The Eiffel Tower was completed in 1889."], ListRetriever(TOWER), llm)
    assert fake.calls["/v1/chat/completions"] == 1
    assert checks[0].verdict == "supported"
    assert checks[0].quote.startswith("It was completed in 1889")


async def test_free_text_reply_from_a_server_without_structured_output_is_parsed() -> None:
    fake = FakeLLM(default="unknown").on("Claim: Paris is the capital of Germany.", texts="It is contradicted.")
    async with fake.client() as llm:
        checks = await check_claims(["Paris is the capital of Germany.", "Berlin lies on the Spree."],
                                    ListRetriever(BERLIN), llm)  # fmt: skip
    assert [c.verdict for c in checks] == ["contradicted", "unknown"]
    assert all("Verdict (supported, contradicted or unknown)" in r.prompt for r in fake.requests)


async def test_a_supported_verdict_needs_a_quote_naming_the_claims_entities() -> None:
    fake = FakeLLM(default="supported")
    async with fake.client() as llm:
        checks = await check_claims(["Paris is the capital of Germany.", "Berlin is the capital of Germany."],
                                    ListRetriever(BERLIN), llm)  # fmt: skip
    assert fake.calls["/v1/chat/completions"] == 2
    assert [c.verdict for c in checks] == ["unknown", "supported"]


@given(st.text(max_size=400), st.integers(min_value=-2, max_value=8))
def test_extract_claims_never_fails_and_respects_the_limit(text: str, limit: int) -> None:
    claims = extract_claims(text, max_claims=limit)
    assert len(claims) <= max(limit, 0)
    assert all(c.strip() and not c.endswith("?") for c in claims)


async def test_a_contradicted_verdict_cannot_rest_on_a_quote_that_states_the_answer() -> None:
    """The mirror of the support gate: a small judge called a right answer contradicted by its own passage."""
    cost = Passage(id="sb", title="Super Bowl 50", score=1.0,
                   text="CBS charged an average of $5 million for a 30-second commercial during the game.")  # fmt: skip
    question = "What was the average cost for a 30 second commercial during Super Bowl 50?"
    fake = FakeLLM(default="contradicted")
    async with fake.client() as llm:
        right = await check_answer(question, "$5 million", ListRetriever(cost), llm)
        wrong = await check_answer(question, "$2 million", ListRetriever(cost), llm)
    assert right is not None and right.verdict == "unknown"  # the judge's word alone is no evidence here
    assert wrong is not None and wrong.verdict == "contradicted"  # the quote does not name "$2 million"
    text = "Sydney is the largest city of Australia and the capital of New South Wales, not of the nation."
    denial = Passage(id="syd", title="Sydney", score=1.0, text=text)
    async with fake.client() as llm:
        denied = await check_answer("What is the capital of Australia?", "Sydney", ListRetriever(denial), llm)
    assert denied is not None and denied.verdict == "contradicted"  # it names Sydney and capital, and denies it
