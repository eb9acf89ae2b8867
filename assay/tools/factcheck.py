"""CRITIC-style fact checking (papers.md B1, atomic facts as in B16): claims in, evidence-backed verdicts out.

``extract_claims`` cuts an answer into short checkable sentences; ``check_claims`` retrieves passages for each
claim and asks a judge model for one of supported / contradicted / unknown (vLLM structured output). The judge
sees the claim and the passages only, never the solver's reasoning, so it cannot be talked into a verdict.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

from assay.errors import AssayError, LLMError
from assay.llm.client import LLMClient
from assay.tools._answer_claim import answer_claim, answer_terms
from assay.tools.corpus import tokenize
from assay.tools.types import ClaimCheck, ClaimVerdict, Passage, Retriever

log = logging.getLogger(__name__)

VERDICTS: list[ClaimVerdict] = ["supported", "contradicted", "unknown"]
_VERDICT_BY_WORD: dict[str, ClaimVerdict] = {v: v for v in VERDICTS}
LEXICAL_THRESHOLD = 0.6  # share of the claim's terms a passage sentence must contain (no-model fallback)
EXCERPT_CHARS = 700  # per passage shown to the judge: three passages fit a 2k-token context

_HEDGE = re.compile(
    r"\b(i think|i believe|i guess|i'm not sure|not sure|maybe|perhaps|possibly|probably|might|it seems|"
    r"seems to|likely|unclear|as far as i know|could be|i don't know|i do not know)\b",
    re.IGNORECASE,
)
_META = re.compile(
    r"^(?:let me|let's|here is|here's|here are|hope|sure|yes|no|i|i'm|we|you|note|answer)\b", re.IGNORECASE
)
_DANGLING = re.compile(r"^(?:it|he|she|they|this|that|these|those|its|his|her|their)\b", re.IGNORECASE)
_LEAD = re.compile(
    r"^(?:so|therefore|thus|hence|in conclusion|in summary|to summarize|overall|finally|also|moreover)\b,?\s*",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:not|never|no|nor|neither|instead|rather than|\w+n't)\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#+)\s+")
_MARKUP = re.compile(r"[*_`]{1,3}")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|No|Mt|U\.S|U\.K|ca|c)|\b[A-Z])\.$")
_KEY_WORD = re.compile(r"\b[A-Z][\w'-]*|\b\d[\d,.]*")
_JUDGE_SYSTEM = (
    "You check one claim against evidence passages. Answer 'supported' if the passages state the claim, "
    "'contradicted' if they state something incompatible with it, and 'unknown' if they do not settle it. "
    "Use only the passages, not your own knowledge."
)


def _blocks(text: str) -> list[str]:
    """Paragraphs and list items, with hard-wrapped lines joined back together."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        is_item = bool(_BULLET.match(line))
        if (not line.strip() or is_item) and current:
            blocks.append(" ".join(current))
            current = []
        if line.strip():
            current.append(_BULLET.sub("", line).strip())
    if current:
        blocks.append(" ".join(current))
    return blocks


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, keeping abbreviations ("Dr.", "U.S.", initials) inside their sentence."""
    sentences: list[str] = []
    for block in _blocks(_MARKUP.sub("", text)):
        pending = ""
        for part in _SENTENCE_END.split(block):
            pending = f"{pending} {part}".strip()
            if not _ABBREVIATION.search(pending):
                sentences.append(pending)
                pending = ""
        if pending:
            sentences.append(pending)
    return sentences


def _checkable(sentence: str) -> bool:
    """A self-contained statement about the world: not a question, hedge, opinion, conversation, or a
    sentence whose subject is a pronoun (it cannot be checked without the sentence before it)."""
    return (
        not sentence.endswith("?")
        and not _HEDGE.search(sentence)
        and not _META.match(sentence)
        and not _DANGLING.match(sentence)
        and len(sentence.split()) >= 3
        and len(tokenize(sentence)) >= 2
    )


def _specificity(sentence: str) -> int:
    """Names and numbers make a claim checkable against an encyclopedia."""
    return len(_KEY_WORD.findall(sentence))


def extract_claims(text: str, *, max_claims: int = 5) -> list[str]:
    """Up to ``max_claims`` atomic, checkable sentences of ``text``, in their original order.

    Questions, hedged sentences ("I think", "probably") and conversational lines are dropped; when there are
    more claims than ``max_claims``, the most specific ones (names, numbers) are kept. A bare answer such as
    "Canberra" is not a claim: phrase it with its question first ("The capital of Australia is Canberra.").
    """
    claims: list[str] = []
    for sentence in split_sentences(text):
        for part in sentence.split("; "):
            claim = _LEAD.sub("", part.strip()).rstrip(":;,")
            claim = claim[:1].upper() + claim[1:]
            if _checkable(claim) and claim.lower() not in {c.lower() for c in claims}:
                claims.append(claim)
    keep = sorted(range(len(claims)), key=lambda i: (-_specificity(claims[i]), i))[: max(max_claims, 0)]
    return [claims[i] for i in sorted(keep)]


def overlap(claim_terms: set[str], sentence: str, title: str = "") -> float:
    """Share of the claim's terms in ``sentence``; the passage title counts too, because an encyclopedia
    sentence often names its subject only as "It" ("It was completed in 1889")."""
    found = set(tokenize(f"{title} {sentence}"))
    return len(claim_terms & found) / len(claim_terms) if claim_terms else 0.0


def best_quote(claim: str, passages: Sequence[Passage]) -> tuple[Passage | None, str, float]:
    """The passage sentence with the highest word overlap with the claim (earlier passages win ties)."""
    terms = set(tokenize(claim))
    best: tuple[Passage | None, str, float] = (None, "", 0.0)
    for passage in passages:
        for sentence in split_sentences(passage.text):
            score = overlap(terms, sentence, passage.title)
            if score > best[2]:
                best = (passage, sentence, score)
    return best


def _key_terms(claim: str) -> set[str]:
    """Terms of the names and numbers in the claim: a sentence about another entity must not support it."""
    return {term for word in _KEY_WORD.findall(claim) for term in tokenize(word)}


def names_quoted(claim: str, passage: Passage | None, quote: str) -> bool:
    """The quoted sentence (with its passage title) names all of the claim's names and numbers."""
    return passage is not None and _key_terms(claim) <= set(tokenize(f"{passage.title} {quote}"))


def lexical_verdict(claim: str, passage: Passage | None, quote: str, quote_overlap: float) -> ClaimVerdict:
    """No-model fallback: "supported" when the quoted sentence shares enough of the claim's terms and names
    all of its names and numbers, else "unknown". Word overlap cannot see negation, ordinals
    ("second-highest") or a wrong relation, so this never says "contradicted" and can call a reworded
    falsehood supported (on 20 hand-made claims: 10/10 true and 5/10 false ones "supported")."""
    ok = quote_overlap >= LEXICAL_THRESHOLD and names_quoted(claim, passage, quote)
    return "supported" if ok else "unknown"


def excerpt(passage: Passage, claim_terms: set[str], max_chars: int = EXCERPT_CHARS) -> str:
    """The passage, or its sentences that share most words with the claim, in text order, within budget."""
    if len(passage.text) <= max_chars:
        return passage.text
    sentences = split_sentences(passage.text)
    ranked = sorted(range(len(sentences)), key=lambda i: (-overlap(claim_terms, sentences[i]), i))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        if used + len(sentences[i]) > max_chars and chosen:
            break
        chosen.append(i)
        used += len(sentences[i]) + 1
    return " ".join(sentences[i] for i in sorted(chosen))[: max_chars * 2]


def judge_messages(claim: str, passages: Sequence[Passage]) -> list[dict[str, str]]:
    """The judge's prompt: the claim and the evidence only (no solver reasoning, no question framing)."""
    terms = set(tokenize(claim))
    evidence = "\n".join(f"[{i}] {p.title}: {excerpt(p, terms)}" for i, p in enumerate(passages, 1))
    user = f"Passages:\n{evidence}\n\nClaim: {claim}\n\nVerdict (supported, contradicted or unknown):"
    return [{"role": "system", "content": _JUDGE_SYSTEM}, {"role": "user", "content": user}]


def parse_verdict(text: str) -> ClaimVerdict:
    """The first verdict word in the reply (structured output makes it the whole reply); else unknown."""
    found = re.search(r"supported|contradicted|unknown", text.lower())
    return _VERDICT_BY_WORD[found.group(0)] if found else "unknown"


async def judge_claim(llm: LLMClient, claim: str, passages: Sequence[Passage]) -> ClaimVerdict | None:
    """The model's verdict, or None when the model call fails (the caller then falls back to overlap)."""
    try:
        completion = await llm.chat(
            judge_messages(claim, passages),
            temperature=0.0,
            max_tokens=4,
            structured_outputs={"choice": list(VERDICTS)},
        )
    except LLMError as exc:
        log.warning("claim judge failed, using word overlap instead: %s", exc)
        return None
    return parse_verdict(completion.text)


async def retrieve(retriever: Retriever, query: str, k: int) -> list[Passage]:
    """The top-``k`` passages for ``query``; none when retrieval fails (no evidence is an "unknown", not a
    failed run)."""
    try:
        return await retriever.search(query, k)
    except AssayError as exc:
        log.warning("retrieval failed for %r: %s", query[:80], exc)
        return []


async def check_claim(
    claim: str,
    retriever: Retriever,
    llm: LLMClient | None,
    *,
    k: int = 3,
    must_name: frozenset[str] = frozenset(),
    about: frozenset[str] = frozenset(),
) -> ClaimCheck:
    """Retrieve top-``k`` passages for one claim and judge it (see ``check_claims``). For "supported" to stand
    the quote (with its passage title) must contain every term of ``must_name`` (the answer's own terms) and
    more than half of ``about`` (the question's terms: a passage that names the answer but not what was asked,
    "Tasmania is the most decentralised state" for "the capital of Australia", is no support)."""
    passages = await retrieve(retriever, claim, k)
    if not passages:
        return ClaimCheck(claim=claim, verdict="unknown")
    quoted, quote, score = best_quote(claim, passages)
    verdict = await judge_claim(llm, claim, passages) if llm is not None else None
    if verdict is None:
        verdict = lexical_verdict(claim, quoted, quote, score)
    named = names_quoted(claim, quoted, quote) and _contains(quoted, quote, must_name) and _mostly(quoted, quote, about)
    if verdict == "supported" and not named:
        verdict = "unknown"  # evidence gate: "supported" must rest on a quote that names what the claim names
    elif verdict == "contradicted" and named and _restates(claim, quoted, quote, score):
        # ... and "contradicted" cannot rest on a quote that restates the claim, its names and numbers next to
        # the question's terms, with no negation: qwen2.5-coder-0.5b called "$5 million" contradicted by
        # "charged an average of $5 million for a 30-second commercial" (SQuAD). No evidence either way.
        verdict = "unknown"
    ids = [p.id for p in passages]
    if quoted is not None:  # the quoted passage first: it is the evidence a reviewer should read
        ids.insert(0, ids.pop(passages.index(quoted)))
    return ClaimCheck(claim=claim, verdict=verdict, passage_ids=ids, quote=quote)


async def check_claims(
    claims: Sequence[str], retriever: Retriever, llm: LLMClient | None, *, k: int = 3
) -> list[ClaimCheck]:
    """CRITIC (B1): check every claim against its top-``k`` retrieved passages, all claims concurrently.

    With ``llm``, a judge model picks supported / contradicted / unknown via vLLM structured output
    (``structured_outputs={"choice": [...]}``) from the claim and the passages; its "supported" stands only
    if the quote names the claim's names and numbers (small judges say "supported" to almost anything:
    SmolLM2-135M did for 9 of 10 false claims). Without ``llm`` (or when the
    model call fails) a lexical heuristic decides: "supported" if a passage sentence contains enough of the
    claim's words and the passage names all of its names and numbers, else "unknown" — it never returns
    "contradicted", because word overlap cannot detect a contradiction. A failing retriever gives "unknown".
    ``quote`` is the passage sentence with the highest word overlap with the claim.
    """
    return list(await asyncio.gather(*(check_claim(c, retriever, llm, k=k) for c in claims)))


def _restates(claim: str, quoted: Passage | None, quote: str, score: float) -> bool:
    """The quote says what the claim says, by word overlap, and denies nothing ("..., not of the nation")."""
    return lexical_verdict(claim, quoted, quote, score) == "supported" and not _NEGATION.search(quote)


def _contains(passage: Passage | None, quote: str, terms: frozenset[str]) -> bool:
    return passage is not None and terms <= set(tokenize(f"{passage.title} {quote}"))


def _mostly(passage: Passage | None, quote: str, terms: frozenset[str]) -> bool:
    if not terms:
        return True
    return passage is not None and 2 * len(terms & set(tokenize(f"{passage.title} {quote}"))) > len(terms)


async def check_answer(
    question: str, answer: str, retriever: Retriever, llm: LLMClient | None, *, k: int = 3
) -> ClaimCheck | None:
    """Fact-check the ANSWER, not its justification: the claim built from question and answer
    ("The capital of France is Paris."), supported only by a quote that names the answer's terms.
    None when the answer yields no claim (empty, or no searchable term: nothing to check)."""
    claim = answer_claim(question, answer)
    terms = frozenset(answer_terms(answer))
    if claim is None or not terms:
        return None
    about = frozenset(tokenize(question)) - terms
    return await check_claim(claim, retriever, llm, k=k, must_name=terms, about=about)
