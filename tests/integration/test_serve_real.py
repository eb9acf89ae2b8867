"""``assay serve`` on the real vLLM generator: one non-streamed and one streamed ``assay/single`` request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import openai
import pytest
import uvicorn

from assay.serve import ServeConfig, create_app
from assay.settings import Settings

pytestmark = pytest.mark.integration
USER = [{"role": "user", "content": "What is 2 + 2? Answer with a number."}]


@pytest.fixture(scope="module")
def url(live_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = live_settings.model_copy(update={"checkpoint_path": tmp_path_factory.mktemp("serve") / "cp.sqlite"})
    app = create_app(ServeConfig(settings=settings))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/v1"
    server.should_exit = True
    thread.join(timeout=30)


def test_single_through_the_server_on_the_real_model(url: str) -> None:
    client = openai.OpenAI(base_url=url, api_key="none", max_retries=0, timeout=300)
    done = client.chat.completions.create(model="assay/single", messages=USER, max_tokens=32)  # type: ignore[arg-type]
    record = (done.model_extra or {})["assay"]
    assert done.choices[0].message.content and record["calls"] == 1 and record["graph"] == "single"
    assert done.usage is not None and 0 < done.usage.completion_tokens <= 32


def test_streaming_single_sends_the_models_tokens_as_they_come(url: str) -> None:
    client = openai.OpenAI(base_url=url, api_key="none", max_retries=0, timeout=300)
    stream = client.chat.completions.create(
        model="assay/single",
        messages=USER,  # type: ignore[arg-type]
        max_tokens=32,
        stream=True,
        stream_options={"include_usage": True},
    )
    arrivals, pieces = [], []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
            arrivals.append(time.perf_counter())
    assert len(pieces) >= 2 and arrivals[-1] > arrivals[0]  # token by token as vLLM makes them, not one chunk
    assert chunk.usage is not None and chunk.usage.completion_tokens > 0
