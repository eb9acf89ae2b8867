"""The public fake backend itself: rule matching, cycling, faults and the recorded requests."""

from __future__ import annotations

import httpx
import pytest

from assay.errors import LLMHTTPError, ServerUnavailable
from assay.llm import _retry
from assay.testing import FakeLLM, FakeRequest


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(_retry, "_sleep", no_sleep)


def _msgs(*contents: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": c} for c in contents]


async def test_rules_in_registration_order_with_times() -> None:
    fake = FakeLLM(default="fallback")
    fake.on("math", texts="first", times=1).on("math", texts="second").on(texts="anything")
    async with fake.client() as llm:
        replies = [(await llm.chat(_msgs("do math"))).text for _ in range(3)]
        other = (await llm.chat(_msgs("poetry"))).text
    assert replies == ["first", "second", "second"]
    assert other == "anything"


async def test_predicate_sees_the_joined_prompt_and_body() -> None:
    seen: list[FakeRequest] = []

    def wants(req: FakeRequest) -> bool:
        seen.append(req)
        return req.body.get("temperature") == 0.9

    fake = FakeLLM(default="cold").on(wants, texts="hot")
    async with fake.client() as llm:
        assert (await llm.chat(_msgs("sys", "user"), temperature=0.9)).text == "hot"
        assert (await llm.chat(_msgs("x"), temperature=0.1)).text == "cold"
    assert seen[0].prompt == "sys\nuser" and seen[0].path == "/v1/chat/completions"


async def test_default_reply_and_completions_cycling() -> None:
    fake = FakeLLM().on("Q:", texts=["a", "b"], finish_reason="length")
    async with fake.client() as llm:
        out = await llm.complete("Q: pick", n=5)
        plain = await llm.complete("no rule here")
    assert [c.text for c in out.choices] == ["a", "b", "a", "b", "a"]
    assert {c.finish_reason for c in out.choices} == {"length"}
    assert plain.text == "OK"


async def test_faults_are_used_in_order_on_any_path() -> None:
    fake = FakeLLM().disconnect().fail(502).malformed(times=0)
    async with fake.client(max_attempts=3) as llm:
        assert await llm.models() == ["fake"]
    assert fake.calls["/v1/models"] == 3
    async with fake.client(max_attempts=1) as llm:
        fake.fail(503)
        with pytest.raises(LLMHTTPError, match="scripted failure"):
            await llm.embed(["x"])
        fake.disconnect()
        with pytest.raises(ServerUnavailable):
            await llm.classify(["x"])
        assert await llm.classify(["x"]) == [0.5]


async def test_custom_embedding_and_classify_callable() -> None:
    fake = FakeLLM().on_embed(lambda t: [float(len(t)), 1.0]).on_classify(p_yes=lambda t: len(t) / 10)
    async with fake.client() as llm:
        assert await llm.embed(["abc", "a"]) == [[3.0, 1.0], [1.0, 1.0]]
        assert await llm.classify(["abcd"]) == [0.4]


async def test_requests_and_counters_are_recorded() -> None:
    fake = FakeLLM()
    async with fake.client() as llm:
        await llm.chat(_msgs("one"))
        await llm.score("two words")
        await llm.health()
    assert [r.path for r in fake.requests] == ["/v1/chat/completions", "/v1/completions", "/health"]
    assert fake.calls == {"/v1/chat/completions": 1, "/v1/completions": 1, "/health": 1}
    assert fake.requests[1].prompt == "two words"


async def test_unknown_path_is_404() -> None:
    fake = FakeLLM()
    async with httpx.AsyncClient(transport=fake.transport) as http:
        response = await http.post("http://127.0.0.1:9/v1/nothing", json={})
    assert response.status_code == 404


def test_empty_texts_rejected() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        FakeLLM().on(texts=[])
