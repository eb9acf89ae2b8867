"""LLMClient against the real vLLM servers (SmolLM2-135M generator + yes/no judge)."""

from __future__ import annotations

import json
import re

import pytest

from assay.llm.client import LLMClient

pytestmark = pytest.mark.integration

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


async def test_chat_answers_with_usage(generator_client: LLMClient) -> None:
    done = await generator_client.chat(QUESTION, max_tokens=24)
    assert done.text.strip()
    assert done.usage.prompt_tokens > 0 and 0 < done.usage.completion_tokens <= 24


async def test_n_samples_with_seed_are_distinct(generator_client: LLMClient) -> None:
    prompt = [{"role": "user", "content": "Write one short sentence about the sea."}]
    done = await generator_client.chat(prompt, n=4, seed=7, temperature=1.0, max_tokens=16)
    texts = [c.text for c in done.choices]
    assert len(texts) == 4
    assert len(set(texts)) >= 2
    assert sorted(c.index for c in done.choices) == [0, 1, 2, 3]


async def test_logprobs_and_top_logprobs(generator_client: LLMClient) -> None:
    done = await generator_client.chat(QUESTION, max_tokens=12, logprobs=True, top_logprobs=3)
    tokens = done.choices[0].logprobs
    assert tokens, "logprobs were asked for"
    for token in tokens:
        assert token.logprob <= 0
        assert 1 <= len(token.top) <= 3 + 1 and all(v <= 0 for v in token.top.values())


async def test_score_echoes_the_text(generator_client: LLMClient) -> None:
    fluent = await generator_client.score("The capital of France is Paris.")
    assert fluent.tokens and all(t.logprob <= 0 for t in fluent.tokens)
    assert "Paris" in "".join(t.token for t in fluent.tokens)
    assert fluent.total_logprob < 0


async def test_json_schema_response_format_parses(generator_client: LLMClient) -> None:
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string", "enum": ["yes", "no"]},
            "confidence": {"type": "integer", "minimum": 0, "maximum": 10},
        },
        "required": ["answer", "confidence"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema}}
    prompt = [{"role": "user", "content": "Is the sky blue? Reply in JSON."}]
    done = await generator_client.chat(prompt, max_tokens=48, response_format=fmt)
    data = json.loads(done.text)
    assert data["answer"] in {"yes", "no"} and 0 <= data["confidence"] <= 10


async def test_structured_outputs_choice_and_regex(generator_client: LLMClient) -> None:
    colors = ["red", "green", "blue"]
    pick = await generator_client.chat(
        [{"role": "user", "content": "Pick a color."}], max_tokens=5, structured_outputs={"choice": colors}
    )
    assert pick.text in colors
    number = await generator_client.chat(
        [{"role": "user", "content": "Give a number."}], max_tokens=8, structured_outputs={"regex": "[0-9]{3}"}
    )
    assert re.fullmatch(r"[0-9]{3}", number.text)


async def test_streaming_yields_deltas_and_final_usage(generator_client: LLMClient) -> None:
    chunks = [c async for c in generator_client.stream_chat(QUESTION, max_tokens=16)]
    text = "".join(c.delta for c in chunks)
    assert text.strip() and sum(1 for c in chunks if c.delta) >= 2
    usage = chunks[-1].usage
    assert usage is not None and 0 < usage.completion_tokens <= 16


async def test_classify_returns_probabilities(judge_client: LLMClient) -> None:
    texts = [
        "Question: What is 2+2? Answer: 4. Is the answer correct?",
        "Question: What is 2+2? Answer: 5. Is the answer correct?",
        "The sky is green.",
        "Water is wet.",
    ]
    probs = await judge_client.classify(texts)
    assert len(probs) == len(texts) and all(0.0 <= p <= 1.0 for p in probs)
    # No ordering claim: a 135M judge is not reliable. But it must be deterministic and input-dependent.
    again = await judge_client.classify(texts)
    assert again == pytest.approx(probs, abs=1e-4)
    assert max(probs) - min(probs) > 1e-3
