"""Real-server fixtures: bring up generator + judge once per session (same API as `assay up`).

Servers that were already running are reused and left running; servers this session started are stopped at
the end. With ``ASSAY_BASE_URL`` set, that endpoint is used and nothing is started. A server that cannot be
started makes the tests fail (never a silent skip).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from assay.errors import AssayError
from assay.llm.client import LLMClient
from assay.llm.models import Endpoint, resolve_endpoint
from assay.llm.server import DEFAULT_MODELS, ensure_up, stop_servers
from assay.settings import Settings, load_settings


@pytest.fixture(scope="session")
def live_settings() -> Iterator[Settings]:
    """Settings pointing at running servers; starts (and later stops) the embedded ones if needed."""
    settings = load_settings()
    if "model" not in settings.model_fields_set:  # the generator these tests bring up, even if others run
        settings = load_settings(model=DEFAULT_MODELS[0])
    try:
        result = ensure_up(settings, DEFAULT_MODELS, report=lambda msg: print(f"[assay up] {msg}", file=sys.stderr))
    except AssayError as exc:
        pytest.fail(f"cannot start the vLLM servers: {exc}", pytrace=False)
    started = [r.name for r in result.started]
    yield settings
    if started:
        stop_servers(settings, started)


def _endpoint(settings: Settings, role: str) -> Endpoint | None:
    try:
        return resolve_endpoint(settings, role)  # type: ignore[arg-type]
    except AssayError as exc:
        pytest.fail(f"no {role} endpoint: {exc}", pytrace=False)


def _client(settings: Settings, endpoint: Endpoint) -> LLMClient:
    return LLMClient(endpoint.base_urls, model=endpoint.model, api_key=endpoint.api_key, timeout_s=120.0)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def generator_client(live_settings: Settings) -> AsyncIterator[LLMClient]:
    endpoint = _endpoint(live_settings, "generator")
    assert endpoint is not None
    client = _client(live_settings, endpoint)
    yield client
    await client.aclose()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def judge_client(live_settings: Settings) -> AsyncIterator[LLMClient]:
    endpoint = _endpoint(live_settings, "judge")
    if endpoint is None:  # only possible with an external ASSAY_BASE_URL and no ASSAY_JUDGE_URL
        pytest.skip("external endpoint without ASSAY_JUDGE_URL: no judge server to test")
    client = _client(live_settings, endpoint)
    yield client
    await client.aclose()
