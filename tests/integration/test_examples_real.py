"""The client tour example against the real vLLM generator and judge."""

from __future__ import annotations

from types import ModuleType

import pytest

from assay.llm.client import LLMClient

pytestmark = pytest.mark.integration


async def test_client_tour_on_real_servers(
    client_tour: ModuleType, generator_client: LLMClient, judge_client: LLMClient
) -> None:
    seen = await client_tour.tour(generator_client, judge_client)
    samples = seen["samples"]
    assert isinstance(samples, list) and len(samples) == 3
    assert seen["choice"] in ("Paris", "Lyon")  # constrained decoding can only pick a listed choice
    assert isinstance(seen["score"], float) and seen["score"] < 0
    assert isinstance(seen["mean_logprob"], float) and seen["mean_logprob"] <= 0
    assert isinstance(seen["streamed"], str) and seen["streamed"]
    usage = seen["run_usage"]
    assert isinstance(usage, dict) and usage["calls"] == 4 and usage["completion_tokens"] > 0
    p_yes = seen["p_yes"]
    assert isinstance(p_yes, list) and len(p_yes) == 1 and 0.0 <= p_yes[0] <= 1.0
