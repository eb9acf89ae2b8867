"""``assay serve`` error cases: OpenAI-shaped 4xx bodies, the API key, oversized bodies, disconnects that cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import openai
import pytest
from _serve_support import QUESTION, Served, serve, wait_until

USER = [{"role": "user", "content": QUESTION}]
KEY = "s3cret-key"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = serve(tmp_path_factory.mktemp("serve-errors"), api_key=KEY, max_body=4096)
    yield running
    running.stop()


@pytest.fixture
def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served.url}/v1", api_key=KEY, max_retries=0)


def _post(served: Served, content: bytes, key: str | None = KEY) -> httpx.Response:
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
    return httpx.post(f"{served.url}/v1/chat/completions", content=content, headers=headers, timeout=30)


def _error(response: httpx.Response) -> dict[str, object]:
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    return dict(error)


def test_without_the_key_every_api_route_is_401(served: Served) -> None:
    bad = openai.OpenAI(base_url=f"{served.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="assay/adaptive", messages=USER)  # type: ignore[arg-type]
    response = _post(served, b"{}", key=None)
    assert response.status_code == 401 and _error(response)["code"] == "invalid_api_key"
    assert response.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{served.url}/health").status_code == 200  # the health probe needs no key


def test_with_the_key_it_answers(client: openai.OpenAI) -> None:
    done = client.chat.completions.create(model="assay/adaptive", messages=USER)  # type: ignore[arg-type]
    assert (done.model_extra or {})["assay"]["answer"] == "4"


def test_unknown_model_is_a_404_naming_the_models(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="assay/adaptive") as info:
        client.chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    assert info.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="assay/nope", messages=USER)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": "assay/adaptive"}, "messages"),
        ({"model": "assay/adaptive", "messages": []}, "messages"),
        ({"model": "assay/adaptive", "messages": [{"role": "system", "content": "hi"}]}, "user message"),
        ({"messages": USER}, "model"),
        ({"model": "assay/adaptive", "messages": USER, "top_p": 0.5}, "top_p"),
        ({"model": "assay/adaptive", "messages": USER, "tools": []}, "tools"),
        ({"model": "assay/adaptive", "messages": USER, "temperature": 5}, "temperature"),
        ({"model": "assay/adaptive", "messages": USER, "n": 2, "stream": True}, "n > 1"),
        ({"model": "assay/adaptive", "messages": USER, "n": 99}, "n"),
        ({"model": "assay/adaptive", "messages": USER, "max_tokens": 8}, "max_tokens"),
        ({"model": "assay/adaptive", "messages": USER, "assay": {"settings": {"base_url": "http://x"}}}, "base_url"),
        ({"model": "assay/adaptive", "messages": USER, "assay": {"settings": {"samples": 0}}}, "samples"),
        ({"model": "assay/adaptive", "messages": USER, "assay": {"budget": {"max_calls": 0}}}, "max_calls"),
        ({"model": "assay/adaptive", "messages": USER, "assay": {"budget": {"dollars": 3}}}, "dollars"),
        ({"model": "assay/adaptive", "messages": USER, "assay": {"kind": "poetry"}}, "kind"),
        ({"model": "assay/adaptive", "messages": USER, "assay": {"tests": ["assert 1"], "kind": "math"}}, "code"),
        ({"model": "assay/adaptive", "messages": USER, "assay": {"thread_id": "../x"}}, "thread_id"),
    ],
)
def test_bad_requests_are_400_with_the_field_named(served: Served, body: dict[str, object], needle: str) -> None:
    import json

    response = _post(served, json.dumps(body).encode())
    assert response.status_code == 400, response.text
    error = _error(response)
    assert needle in str(error["message"]) and error["type"] == "invalid_request_error"


def test_the_sdk_raises_bad_request_for_unsupported_parameters(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="top_p"):
        client.chat.completions.create(model="assay/adaptive", messages=USER, top_p=0.5)  # type: ignore[arg-type]


def test_invalid_json_and_non_object_bodies_are_400(served: Served) -> None:
    response = _post(served, b'{"model": "assay/adaptive", ')
    assert response.status_code == 400 and _error(response)["code"] == "invalid_json"
    assert _post(served, b"[1, 2]").status_code == 400
    assert _post(served, b"\xff\xfe").status_code == 400


def test_oversized_bodies_are_413_declared_or_chunked(served: Served) -> None:
    big = b'{"model": "assay/adaptive", "messages": [{"role": "user", "content": "' + b"x" * 8000 + b'"}]}'
    response = _post(served, big)
    assert response.status_code == 413 and _error(response)["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no content-length: the limit holds while reading
        yield big[:3000]
        yield big[3000:]

    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    response = httpx.post(f"{served.url}/v1/chat/completions", content=chunks(), headers=headers, timeout=30)
    assert response.status_code == 413


def test_unknown_paths_are_openai_shaped_404(served: Served) -> None:
    response = httpx.get(f"{served.url}/v1/nothing", headers={"authorization": f"Bearer {KEY}"})
    assert response.status_code == 404 and _error(response)


def test_a_client_that_leaves_mid_stream_cancels_its_run(served: Served) -> None:
    served.generator.stall(20.0)  # the solver request hangs: the run is in flight when the client leaves
    body = {"model": "assay/adaptive", "messages": USER, "stream": True}
    headers = {"authorization": f"Bearer {KEY}"}
    with httpx.stream("POST", f"{served.url}/v1/chat/completions", json=body, headers=headers, timeout=30) as r:
        lines = r.iter_lines()
        assert next(lines).startswith("data: ")  # the role chunk: the run has started
        assert wait_until(lambda: served.engine_active() == 1)
    assert wait_until(lambda: served.engine_active() == 0), "the run survived its client"
    served.generator._faults.clear()


def test_a_non_streaming_client_that_times_out_cancels_its_run(served: Served) -> None:
    served.generator.stall(20.0)
    quick = openai.OpenAI(base_url=f"{served.url}/v1", api_key=KEY, max_retries=0, timeout=1.0)
    with pytest.raises(openai.APITimeoutError):
        quick.chat.completions.create(model="assay/adaptive", messages=USER)  # type: ignore[arg-type]
    assert wait_until(lambda: served.engine_active() == 0), "the run survived its client"
    served.generator._faults.clear()


async def test_the_server_leaks_no_tasks_after_many_cancelled_streams(served: Served) -> None:
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {KEY}"}, timeout=30) as http:

        async def leave_early() -> None:
            body = {"model": "assay/adaptive", "messages": USER, "stream": True}
            async with http.stream("POST", f"{served.url}/v1/chat/completions", json=body) as response:
                async for _ in response.aiter_lines():
                    break

        served.generator.stall(20.0, times=10)
        await asyncio.gather(*(leave_early() for _ in range(10)))
    assert wait_until(lambda: served.engine_active() == 0)
    served.generator._faults.clear()


def test_a_model_server_failure_mid_stream_arrives_as_an_error_event(client: openai.OpenAI, served: Served) -> None:
    served.generator.fail(400, message="scripted model failure")  # not retried: the run fails at once
    stream = client.chat.completions.create(model="assay/adaptive", messages=USER, stream=True)  # type: ignore[arg-type]
    with pytest.raises(openai.APIError, match="model server failed"):
        list(stream)
    assert wait_until(lambda: served.engine_active() == 0)


def test_a_model_server_failure_is_a_502(client: openai.OpenAI, served: Served) -> None:
    served.generator.fail(400, message="scripted model failure")
    with pytest.raises(openai.InternalServerError, match="model server failed") as info:
        client.chat.completions.create(model="assay/adaptive", messages=USER)  # type: ignore[arg-type]
    assert info.value.status_code == 502


def test_a_thread_with_a_run_in_flight_is_a_409(client: openai.OpenAI, served: Served) -> None:
    served.generator.stall(20.0)
    body = {"model": "assay/adaptive", "messages": USER, "stream": True, "assay": {"thread_id": "busy-1"}}
    headers = {"authorization": f"Bearer {KEY}"}
    with httpx.stream("POST", f"{served.url}/v1/chat/completions", json=body, headers=headers, timeout=30) as r:
        lines = r.iter_lines()  # keep the iterator: a dropped one closes the response (a disconnect)
        assert next(lines).startswith("data: ")
        assert wait_until(lambda: "busy-1" in served.engine().threads)
        with pytest.raises(openai.ConflictError, match="in flight"):
            client.chat.completions.create(
                model="assay/adaptive", messages=USER, extra_body={"assay": {"thread_id": "busy-1"}}
            )  # type: ignore[arg-type]
    assert wait_until(lambda: served.engine_active() == 0)
    served.generator._faults.clear()
