"""Retrieve, then read, for QA: one answer grounded in the passages found for the question (CRITIC B1, RAG).

A small closed-book model rarely knows a SQuAD fact, and revising its guess from a critique only reshuffles
guesses: before this, ``adaptive`` spent 20 calls per SQuAD question for the same 1/20 as one greedy call
(docs/BENCHMARKS.md). CRITIC's search tool does more than verify: its passages let the model correct itself.
So the first QA refine round also asks for one greedy answer read from the passages retrieved for the
question (a reading-comprehension prompt: the shortest span of the passages that answers it). That answer is
not trusted for it: it is fact-checked like every other candidate, scored, and wins only on evidence and
score (best so far, E1). The prompts are overridable under the agent name ``reader``.
"""

from __future__ import annotations

from assay import streaming
from assay.agents._common import candidates_from, fill, get_prompt, messages
from assay.context import RunContext
from assay.llm.types import Completion
from assay.state import Candidate, RunState
from assay.tools.types import Passage

PROMPTS: dict[str, str] = {
    "system": "You answer questions from the passages you are given. Copy the answer from the passages.",
    "user": (
        "Passages:\n{passages}\n\nQuestion: {question}\n\nReply with one line 'Answer: <the shortest span "
        "of the passages that answers the question>', then a line 'Confidence: NN%'."
    ),
}
READER = "reader"
PASSAGES = 3
PASSAGE_CHARS = 900  # three passages and the question fit well inside a 2k-token prompt


def context_of(passages: list[Passage]) -> str:
    """The passages as the solver's ``context``: numbered, titled, clipped."""
    return "\n\n".join(f"[{i}] {p.title}: {p.text[:PASSAGE_CHARS]}" for i, p in enumerate(passages, 1))


def wants_reading(state: RunState, ctx: RunContext) -> bool:
    """QA with a retriever, and no read answer in the pool yet (reading the same passages again adds nothing)."""
    return (
        state.task.kind == "qa"
        and ctx.retriever is not None
        and not state.task.context
        and all(c.origin != READER for c in state.candidates)
    )


async def read(state: RunState, ctx: RunContext, max_tokens: int) -> tuple[list[Candidate], Completion | None]:
    """One greedy answer from the passages retrieved for the question; nothing when nothing is found."""
    if not wants_reading(state, ctx) or ctx.retriever is None:
        return [], None
    passages = await ctx.retriever.search(state.task.question, k=PASSAGES)
    if not passages:
        return [], None
    prompt = fill(get_prompt(ctx, READER, "user", PROMPTS), passages=context_of(passages), question=state.task.question)
    completion = await streaming.chat(
        ctx.llm,
        messages(get_prompt(ctx, READER, "system", PROMPTS), prompt),
        n=1,
        temperature=0.0,
        max_tokens=max_tokens,
        logprobs=True,
        top_logprobs=1,
        agent=READER,
    )
    return candidates_from(completion, state, origin=READER, kind=state.task.kind), completion
