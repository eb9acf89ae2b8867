"""A tour of ``assay.LLMClient``: every kind of call a graph makes, on one shared client.

Run it after `assay up` (it finds the servers `assay up` recorded, or ``ASSAY_BASE_URL``), or with ``--fake`` to
run it on the scripted ``FakeLLM`` with no server at all:

    python examples/client_tour.py
    python examples/client_tour.py --fake
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import assay
from assay.llm.client import LLMClient
from assay.testing import FakeLLM

QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


async def tour(llm: LLMClient, judge: LLMClient) -> dict[str, object]:
    """One call of each kind; returns what each printed line shows, so tests can check it."""
    seen: dict[str, object] = {}
    with llm.track() as used:  # per-run accounting: only the calls made inside this block
        # n samples in ONE request (vLLM batches them), with token logprobs for confidence signals
        done = await llm.chat(QUESTION, n=3, temperature=0.8, seed=1, max_tokens=8, logprobs=True, top_logprobs=2)
        seen["samples"] = [choice.text.strip() for choice in done.choices]
        tokens = done.choices[0].logprobs or []
        seen["mean_logprob"] = round(sum(t.logprob for t in tokens) / max(len(tokens), 1), 3)
        # constrained decoding: vLLM's structured outputs (also: regex, json, grammar; or response_format)
        picked = await llm.chat(QUESTION, structured_outputs={"choice": ["Paris", "Lyon"]}, max_tokens=4)
        seen["choice"] = picked.text
        # prompt scoring: logprobs of a given text (completions, echo=True, max_tokens=0)
        seen["score"] = round((await llm.score("The capital of France is Paris.")).total_logprob, 3)
        # streaming: tokens as they come, usage on the last chunk
        async with contextlib.aclosing(llm.stream_chat(QUESTION, max_tokens=8)) as chunks:
            seen["streamed"] = "".join([chunk.delta async for chunk in chunks])
    seen["run_usage"] = used.model_dump()
    # the judge server: P(yes) of yes/no questions through /classify
    seen["p_yes"] = await judge.classify(["Question: Is Paris the capital of France? Answer: Paris."])
    return seen


def _fake_clients() -> tuple[LLMClient, LLMClient]:
    fake = FakeLLM(default="Paris")
    fake.on("capital", texts=["Paris", "Paris", "Lyon"], logprob=[-0.1, -0.2, -2.0])
    fake.on_classify("Paris", p_yes=0.9)
    return fake.client(), fake.client()


async def main(use_fake: bool) -> None:
    if use_fake:
        llm, judge = _fake_clients()
    else:
        llm, maybe_judge, _ = assay.make_clients(assay.load_settings())
        if maybe_judge is None:
            raise SystemExit("no judge server: run `assay up` (or set ASSAY_JUDGE_URL)")
        judge = maybe_judge
    async with llm, judge:
        for name, value in (await tour(llm, judge)).items():
            print(f"{name:>13}: {value}")
        print(f"{'client total':>13}: {llm.usage.model_dump()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A tour of assay's LLM client.")
    parser.add_argument("--fake", action="store_true", help="use the scripted FakeLLM instead of a server")
    asyncio.run(main(parser.parse_args().fake))
