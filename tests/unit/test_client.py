"""LLMClient requests and parsing against the scripted FakeLLM (chat, completions, score, stream, pooling)."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from assay.errors import SettingsError
from assay.llm.client import LLMClient
from assay.llm.types import Message
from assay.testing import FakeLLM

USER = [{"role": "user", "content": "What is the capital of France?"}]


async def test_chat_n_samples_with_logprobs_and_top() -> None:
    fake = FakeLLM().on("capital", texts=["Paris is", "Lyon"], logprob=[-0.1, -2.0], top={"Paris": -0.1, "Lyon": -2.0})
    async with fake.client() as llm:
        out = await llm.chat(USER, n=3, seed=7, temperature=0.8, logprobs=True, top_logprobs=2)
    assert [c.text for c in out.choices] == ["Paris is", "Lyon", "Paris is"]
    assert [c.index for c in out.choices] == [0, 1, 2]
    first = out.choices[0].logprobs
    assert first is not None
    assert [t.token for t in first] == ["Paris", " is"]
    assert [t.logprob for t in first] == [-0.1, -0.1]
    assert first[0].top == {"Paris": -0.1, "Lyon": -2.0}
    assert out.choices[1].logprobs is not None and out.choices[1].logprobs[0].logprob == -2.0
    # prompt: 6 words; completion: 2 + 1 + 2 words over the three choices
    assert (out.usage.calls, out.usage.prompt_tokens, out.usage.completion_tokens) == (1, 6, 5)
    assert out.usage.sequence_prompt_tokens == 18 == llm.usage.sequence_prompt_tokens  # vLLM's count: prompt x n
    sent = fake.requests[0].body
    assert (sent["n"], sent["seed"], sent["temperature"], sent["logprobs"], sent["top_logprobs"]) == (
        3,
        7,
        0.8,
        True,
        2,
    )
    assert out.model == "fake" and out.latency_s >= 0


async def test_chat_without_logprobs_sends_none_and_parses_none() -> None:
    fake = FakeLLM(default="fine")
    async with fake.client() as llm:
        out = await llm.chat([Message(role="user", content="hi")])
    assert out.text == "fine" and out.choices[0].logprobs is None
    body = fake.requests[0].body
    assert "logprobs" not in body and "n" not in body
    assert body["messages"] == [{"role": "user", "content": "hi"}]


async def test_completions_logprob_format() -> None:
    fake = FakeLLM().on("2+2", texts=" 4 apples", logprob=-0.3, top={" 4": -0.3, " 5": -1.5})
    async with fake.client() as llm:
        out = await llm.complete("2+2 =", logprobs=True, top_logprobs=2, stop=["\n"], max_tokens=5)
    tokens = out.choices[0].logprobs
    assert tokens is not None
    assert [(t.token, t.logprob) for t in tokens] == [(" 4", -0.3), (" apples", -0.3)]
    assert tokens[1].top == {" 4": -0.3, " 5": -1.5}
    body = fake.requests[0].body
    assert (body["prompt"], body["logprobs"], body["stop"], body["max_tokens"]) == ("2+2 =", 2, ["\n"], 5)


async def test_structured_outputs_response_format_and_extra_pass_through() -> None:
    fake = FakeLLM(default="yes")
    schema = {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object"}}}
    async with fake.client() as llm:
        await llm.chat(USER, structured_outputs={"choice": ["yes", "no"]}, response_format=schema,
                       top_p=0.9, extra={"ignore_eos": True}, model="other")  # fmt: skip
    body = fake.requests[0].body
    assert body["structured_outputs"] == {"choice": ["yes", "no"]}
    assert body["response_format"] == schema
    assert (body["top_p"], body["ignore_eos"], body["model"]) == (0.9, True, "other")
    assert not any(k.startswith("guided_") for k in body)


async def test_score_skips_first_null_logprob() -> None:
    fake = FakeLLM().on("sky", texts="unused", logprob=-0.5)
    async with fake.client() as llm:
        score = await llm.score("the sky is blue", top_logprobs=0)
    assert [t.token for t in score.tokens] == [" sky", " is", " blue"]
    assert math.isclose(score.total_logprob, -1.5)
    assert all(t.top == {} for t in score.tokens)
    body = fake.requests[0].body
    assert (body["max_tokens"], body["echo"], body["logprobs"]) == (0, True, 1)
    assert score.usage.prompt_tokens == 4


async def test_stream_chat_chunks_logprobs_and_final_usage() -> None:
    fake = FakeLLM().on("capital", texts="Paris is nice", logprob=-0.2)
    async with fake.client() as llm:
        chunks = [c async for c in llm.stream_chat(USER, logprobs=True)]
        total = llm.usage
    deltas = [c.delta for c in chunks if c.delta]
    assert "".join(deltas) == "Paris is nice"
    assert [c.logprobs[0].logprob for c in chunks if c.logprobs] == [-0.2, -0.2, -0.2]
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    assert (total.calls, total.prompt_tokens, total.completion_tokens) == (1, 6, 3)
    body = fake.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_classify_embed_models_health() -> None:
    fake = FakeLLM(models=["judge"]).on_classify("Paris", p_yes=0.9).on_classify(lambda t: "Lyon" in t, p_yes=0.2)
    async with fake.client(model="judge") as llm:
        assert await llm.classify(["Paris ok", "Lyon ok", "Rome"]) == [0.9, 0.2, 0.5]
        vectors = await llm.embed(["red apple", "red apple", "blue sky"])
        assert await llm.models() == ["judge"]
        assert await llm.health() is True
    assert len(vectors[0]) == 64 and vectors[0] == vectors[1] and vectors[0] != vectors[2]
    assert fake.requests[0].body == {"model": "judge", "input": ["Paris ok", "Lyon ok", "Rome"]}


async def test_classify_two_element_probs_takes_yes() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"probs": [0.3, 0.7]}, {"probs": [0.9, 0.1]}]})

    async with LLMClient("http://127.0.0.1:9", model="j", transport=httpx.MockTransport(handler)) as llm:
        assert await llm.classify(["a", "b"]) == [0.7, 0.1]


async def test_health_false_when_down_or_unhealthy() -> None:
    async with FakeLLM().disconnect().client() as llm:
        assert await llm.health() is False
    fake = FakeLLM().fail(503)
    async with fake.client() as llm:
        assert await llm.health() is False
        assert await llm.health() is True


@pytest.mark.parametrize(
    ("given", "roots"),
    [
        ("http://h:8000/v1", ["http://h:8000"]),
        ("http://h:8000/v1/", ["http://h:8000"]),
        ("http://h:8000", ["http://h:8000"]),
        ("http://a/v1, http://b", ["http://a", "http://b"]),
        (["https://a/v1", "http://b/"], ["https://a", "http://b"]),
    ],
)
async def test_base_urls_normalised(given: str | list[str], roots: list[str]) -> None:
    llm = LLMClient(given, model="m")
    assert llm.base_urls == roots
    await llm.aclose()


@pytest.mark.parametrize("bad", ["", "ftp://x", ["localhost:8000"]])
def test_bad_base_url_is_settings_error(bad: str | list[str]) -> None:
    with pytest.raises(SettingsError):
        LLMClient(bad, model="m")


async def test_api_key_sent_as_bearer() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json={"object": "list", "data": [{"id": "m"}]})

    async with LLMClient(
        "http://127.0.0.1:9", model="m", api_key="sk-1", transport=httpx.MockTransport(handler)
    ) as llm:
        await llm.models()
    assert seen == ["Bearer sk-1"]


async def test_body_is_json_with_content_type_and_urls_are_reused() -> None:
    """The hot path encodes with pydantic-core and caches parsed URLs; the wire must not change."""
    seen: list[tuple[str, str | None, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("content-type"), json.loads(request.content)))
        choice = {"index": 0, "message": {"role": "assistant", "content": "é"}, "finish_reason": "stop"}
        return httpx.Response(200, json={"model": "m", "choices": [choice], "usage": {}})

    async with LLMClient("http://127.0.0.1:9/v1", model="m", transport=httpx.MockTransport(handler)) as llm:
        first = await llm.chat([{"role": "user", "content": "naïve ✓"}], temperature=0.5, stop=["\n"])
        await llm.chat(USER)
    assert first.text == "é"
    url, content_type, body = seen[0]
    assert (url, content_type) == ("http://127.0.0.1:9/v1/chat/completions", "application/json")
    assert body == {
        "model": "m", "max_tokens": 256, "temperature": 0.5, "stop": ["\n"],
        "messages": [{"role": "user", "content": "naïve ✓"}],
    }  # fmt: skip
    assert seen[1][0] == url and llm.usage.calls == 2
