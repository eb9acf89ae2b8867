"""The ``solve`` node: k samples in ONE request (``n=k``), with token logprobs for confidence.

One request with ``n=k`` shares the prompt prefix and is batched by vLLM; the samples feed agreement
voting (self-consistency) and the easy/hard gate (D1). Math and QA prompts ask for a stated confidence
(A2, IoE) that is kept next to the logprob confidence.
"""

from __future__ import annotations

from typing import Any

from assay.agents import _prefix
from assay.agents._common import candidates_from, fill, get_prompt, messages, sample_plan, usage_of
from assay.context import RunContext
from assay.state import RunState, Task

PROMPTS: dict[str, str] = {
    "system": "You are a careful problem solver. Follow the requested answer format exactly.",
    "code": (
        "Write a Python function for this task. Reply with the complete function (imports, signature and "
        "body) in one ```python code block.\n\n{question}"
    ),
    "math": (
        "Solve this problem. Reason step by step, one step per line. End with a line 'Answer: <number>' "
        "and then a line 'Confidence: NN%'.\n\n{question}"
    ),
    "qa": (
        "Answer the question. Put the short answer on the first line as 'Answer: ...', then one sentence "
        "of justification, then a line 'Confidence: NN%'.\n\n{question}"
    ),
    "open": "{question}",
    "context": "Use this context:\n{context}\n\n",
}

TOP_LOGPROBS = 1  # the sampled token's logprob is what confidence needs; alternatives cost bandwidth


def user_prompt(task: Task, ctx: RunContext, agent: str = "solver") -> str:
    """The per-kind task prompt, with the task's context (e.g. retrieved passages) in front if any."""
    text = fill(get_prompt(ctx, agent, task.kind, PROMPTS), question=task.question)
    if task.context:
        text = fill(get_prompt(ctx, agent, "context", PROMPTS), context=task.context) + text
    return text


async def solve(state: RunState, ctx: RunContext) -> dict[str, Any]:
    """Node: ``settings.samples`` candidates for the current round, origin ``solver``."""
    settings = ctx.settings
    n, max_tokens = sample_plan(state, settings.samples, settings.max_tokens)  # bounded by the budget left
    start = _prefix.reply_prefix(state.task, settings.reply_prefix)  # e.g. a code stub: the model writes the body
    completion = await _prefix.chat(
        ctx.llm,
        messages(get_prompt(ctx, "solver", "system", PROMPTS), user_prompt(state.task, ctx)),
        start,
        n=n,
        temperature=settings.temperature_for(state.task.kind),
        max_tokens=max_tokens,
        seed=state.round,
        logprobs=True,
        top_logprobs=TOP_LOGPROBS,
        agent="solver",
    )
    cands = candidates_from(completion, state, origin="solver", kind=state.task.kind)
    return {"candidates": cands, "usage": usage_of([completion])}
