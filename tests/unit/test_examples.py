"""The client tour example runs on the scripted fake (so the documented calls cannot rot)."""

from __future__ import annotations

from types import ModuleType


async def test_client_tour_on_the_fake(client_tour: ModuleType) -> None:
    tour = client_tour
    llm, judge = tour._fake_clients()
    async with llm, judge:
        seen = await tour.tour(llm, judge)
    assert seen["samples"] == ["Paris", "Paris", "Lyon"]
    assert seen["choice"] == "Paris" and seen["streamed"] == "Paris"
    assert seen["mean_logprob"] == -0.1 and isinstance(seen["score"], float) and seen["score"] < 0
    assert seen["p_yes"] == [0.9]
    assert seen["run_usage"] == llm.usage.model_dump() and llm.usage.calls == 4
