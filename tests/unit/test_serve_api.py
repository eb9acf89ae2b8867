"""``assay serve`` through the official ``openai`` SDK: models, sync, async, streaming, n, settings, threads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from _serve_support import QUESTION, RIGHT, Served, serve

from assay.graphs.adaptive import build_adaptive
from assay.graphs.registry import register_graph


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = serve(tmp_path_factory.mktemp("serve"))
    yield running
    running.stop()


@pytest.fixture
def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served.url}/v1", api_key="unused", max_retries=0)


USER = [{"role": "user", "content": QUESTION}]


def test_models_lists_every_recipe_and_reads_the_registry_live(client: openai.OpenAI) -> None:
    before = {m.id for m in client.models.list()}
    assert "assay/adaptive" in before and all(name.startswith("assay/") for name in before)
    register_graph("serve-late", build_adaptive, "registered after the server started")
    assert "assay/serve-late" in {m.id for m in client.models.list()}


def test_sync_completion_has_the_answer_summed_usage_and_the_run_record(client: openai.OpenAI, served: Served) -> None:
    before = len(served.generator.requests) + len(served.judge.requests)
    done = client.chat.completions.create(model="assay/adaptive", messages=USER)  # type: ignore[arg-type]
    assert done.object == "chat.completion" and done.model == "assay/adaptive"
    assert done.choices[0].message.content == RIGHT and done.choices[0].finish_reason == "stop"
    record = (done.model_extra or {})["assay"]
    assert record["answer"] == "4"  # the extracted answer; the content is the selected candidate's whole reply
    assert record["stopped_by"] == "easy" and record["routes"][0]["target"] == "aggregate"
    assert record["scores"]["total"] is not None and record["thread_id"]
    calls = len(served.generator.requests) + len(served.judge.requests) - before
    assert record["calls"] == calls >= 1  # the greedy solver request (a confirmed greedy answer needs no judge)
    assert done.usage is not None and done.usage.completion_tokens > 0
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens


def test_earlier_messages_become_the_tasks_context(client: openai.OpenAI, served: Served) -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Remember the number 17."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": QUESTION},
    ]
    client.chat.completions.create(model="assay/adaptive", messages=messages)  # type: ignore[arg-type]
    prompt = served.generator.requests[-1].prompt
    assert "user: Remember the number 17." in prompt and "assistant: Noted." in prompt and QUESTION in prompt


def test_temperature_max_tokens_and_graph_settings_reach_the_agents(client: openai.OpenAI, served: Served) -> None:
    extra = {"assay": {"settings": {"samples": 2}, "budget": {"max_calls": 9}}}
    client.chat.completions.create(
        model="assay/self-consistency",  # samples in one request (adaptive starts with one greedy answer)
        messages=USER,  # type: ignore[arg-type]
        temperature=0.9,  # the request's temperature holds for every kind (math's own 0.3 does not apply)
        max_tokens=50,
        extra_body=extra,
    )
    body = next(r.body for r in reversed(served.generator.requests) if r.path == "/v1/chat/completions")
    assert (body["temperature"], body["max_tokens"], body["n"]) == (0.9, 50, 2)


TEMPERATURES = [({}, 0.3), ({"temperature": 0.9}, 0.9), ({"temperature": 0.9, "kind_temperature": {"math": 0.2}}, 0.2)]


@pytest.mark.parametrize(("settings", "sent"), TEMPERATURES)
def test_a_requests_temperature_replaces_the_kinds_own(
    client: openai.OpenAI, served: Served, settings: dict[str, object], sent: float
) -> None:
    extra = {"assay": {"settings": {"samples": 2, **settings}}}
    client.chat.completions.create(model="assay/self-consistency", messages=USER, extra_body=extra)  # type: ignore[arg-type]
    body = next(r.body for r in reversed(served.generator.requests) if r.path == "/v1/chat/completions")
    assert body["temperature"] == sent  # QUESTION is math: its own temperature unless the request sets one


def test_n_runs_independent_threads_and_sums_their_usage(client: openai.OpenAI) -> None:
    one = client.chat.completions.create(model="assay/adaptive", messages=USER)  # type: ignore[arg-type]
    two = client.chat.completions.create(model="assay/adaptive", messages=USER, n=2)  # type: ignore[arg-type]
    assert [c.index for c in two.choices] == [0, 1] and {c.message.content for c in two.choices} == {RIGHT}
    threads = {r["thread_id"] for r in (two.model_extra or {})["assay"]["choices"]}
    assert len(threads) == 2
    assert one.usage is not None and two.usage is not None and two.usage.total_tokens == 2 * one.usage.total_tokens


def test_a_thread_id_resumes_the_finished_run_without_new_calls(client: openai.OpenAI, served: Served) -> None:
    extra = {"assay": {"thread_id": "serve-t1"}}
    first = client.chat.completions.create(model="assay/adaptive", messages=USER, extra_body=extra)  # type: ignore[arg-type]
    calls = len(served.generator.requests)
    again = client.chat.completions.create(model="assay/adaptive", messages=USER, extra_body=extra)  # type: ignore[arg-type]
    assert len(served.generator.requests) == calls
    assert (again.model_extra or {})["assay"] == (first.model_extra or {})["assay"]


def test_streaming_sends_stage_tokens_live_then_the_answer_and_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="assay/adaptive",
        messages=USER,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    reasoning = [(c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in chunks if c.choices]
    tokens = [t for t in reasoning if t]
    assert len(tokens) > 3 and "".join(tokens) == RIGHT  # the solver's tokens, live, as "thinking"
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == RIGHT  # then the selected reply
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finish) == 1 and (finish[0].model_extra or {})["assay"]["stopped_by"] == "easy"
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_streaming_without_include_usage_sends_no_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="assay/adaptive", messages=USER, stream=True))  # type: ignore[arg-type]
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)


async def test_async_client_runs_concurrent_requests(served: Served) -> None:
    import asyncio

    async with openai.AsyncOpenAI(base_url=f"{served.url}/v1", api_key="unused", max_retries=0) as aclient:
        replies = await asyncio.gather(
            *(aclient.chat.completions.create(model="assay/adaptive", messages=USER) for _ in range(5))  # type: ignore[arg-type]
        )
        assert [r.choices[0].message.content for r in replies] == [RIGHT] * 5
        stream = await aclient.chat.completions.create(model="assay/adaptive", messages=USER, stream=True)  # type: ignore[arg-type]
        content = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert content == RIGHT


def test_progress_arrives_as_sse_comments(served: Served) -> None:
    import httpx

    body = {"model": "assay/adaptive", "messages": USER, "stream": True}
    with httpx.stream("POST", f"{served.url}/v1/chat/completions", json=body, timeout=30) as response:
        lines = list(response.iter_lines())
    comments = [line for line in lines if line.startswith(": assay ")]
    assert any('"node":"solve"' in line and '"phase":"start"' in line for line in comments)
    assert any(line.startswith(": assay route ") and '"target":"aggregate"' in line for line in comments)
    assert lines[-2:] == ["data: [DONE]", ""] or lines[-1] == "data: [DONE]"
    quiet = {**body, "assay": {"progress": False}}
    with httpx.stream("POST", f"{served.url}/v1/chat/completions", json=quiet, timeout=30) as response:
        assert not [line for line in response.iter_lines() if line.startswith(":")]


def test_the_default_model_name_uses_the_default_graph(client: openai.OpenAI, tmp_path: Path) -> None:
    done = client.chat.completions.create(model="assay", messages=USER)  # type: ignore[arg-type]
    assert (done.model_extra or {})["assay"]["graph"] == "adaptive"


def test_a_one_pass_graph_streams_its_reply_tokens_as_content(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="assay/single", messages=USER)  # type: ignore[arg-type]
    chunks = list(client.chat.completions.create(model="assay/single", messages=USER, stream=True))  # type: ignore[arg-type]
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 3 and "".join(pieces) == whole.choices[0].message.content == RIGHT  # token by token, once
    assert not [c for c in chunks if c.choices and (c.choices[0].delta.model_extra or {}).get("reasoning_content")]
