"""Selection over the candidate pool: (reward-weighted) vote, best-so-far, flip counts. Pure functions.

They live with the signals, below agents and graphs (the refiner uses them too), free of LangGraph and of any
model, so the invariants the graphs rely on ("the final answer is the best-scored candidate of the whole pool",
E1) can be property-tested on plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assay.state import Candidate, Flips

AnswerKey = Callable[[Candidate], str | None]
Weight = Callable[[Candidate], float]


def total(cand: Candidate) -> float:
    """A candidate's selection score; unscored candidates rank below every scored one."""
    return cand.scores.total if cand.scores.total is not None else -1.0


def best_candidate(pool: Iterable[Candidate]) -> Candidate | None:
    """The highest ``scores.total`` (E1: best so far, never blindly the last revision).

    Ties go to the earlier candidate, so a revision must beat its parent strictly to replace it: revising
    a right answer is the main risk of self-correction (A3, A4).
    """
    best: Candidate | None = None
    for cand in pool:
        if best is None or total(cand) > total(best):
            best = cand
    return best


@dataclass(frozen=True)
class Vote:
    """The outcome of a reward-weighted vote over normalised answers."""

    winner: Candidate | None  # best-scored candidate of the winning answer group
    share: float  # fraction of the voters that gave the winning answer
    weight_share: float  # fraction of the total reward weight on the winning answer
    reward: float | None  # mean reward of the winning group (None: no reward measured)
    agreement: float | None  # the solver-side agreement signal of the winning group, if measured
    groups: int  # number of distinct answers


def _group(pool: Sequence[Candidate], key: AnswerKey) -> dict[str, list[Candidate]]:
    groups: dict[str, list[Candidate]] = {}
    for cand in pool:
        norm = key(cand)
        groups.setdefault(norm if norm is not None else f"\0{cand.id}", []).append(cand)
    return groups


def reward_weight(cand: Candidate) -> float:
    """A vote's weight is the candidate's reward (1 when unmeasured)."""
    reward = cand.scores.reward
    return 1.0 if reward is None else max(reward, 0.0) + 1e-9


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def unit_weight(cand: Candidate) -> float:
    """Plain majority vote (self-consistency, G10)."""
    return 1.0


def vote(pool: Sequence[Candidate], key: AnswerKey, weight: Weight = reward_weight) -> Vote:
    """Weighted self-consistency over normalised answers (D1's "coarse aggregation" for easy problems).

    Each candidate votes for its normalised answer with ``weight`` (default: its reward, 1 when unmeasured);
    candidates without a usable answer vote alone. The answer is the best-scored candidate of the winning group.
    """
    if not pool:
        return Vote(None, 0.0, 0.0, None, None, 0)
    groups = _group(pool, key)
    weights = {name: sum(weight(c) for c in members) for name, members in groups.items()}
    name = max(groups, key=lambda g: (weights[g], len(groups[g]), max(total(c) for c in groups[g])))
    members = groups[name]
    rewards = [c.scores.reward for c in members if c.scores.reward is not None]
    agreements = [c.scores.agreement for c in members if c.scores.agreement is not None]
    return Vote(
        winner=best_candidate(members),
        share=len(members) / len(pool),
        weight_share=weights[name] / sum(weights.values()),
        reward=_mean(rewards),
        agreement=max(agreements) if agreements else None,
        groups=len(groups),
    )


def count_flips(pool: Sequence[Candidate], round_: int) -> Flips:
    """Correctness transitions of the revisions made in ``round_`` against their parents (A3).

    Only candidates whose correctness and whose parent's correctness are known (the task has a reference)
    count.
    """
    by_id = {c.id: c for c in pool}
    counts = {"right_to_wrong": 0, "wrong_to_right": 0, "right_to_right": 0, "wrong_to_wrong": 0}
    for cand in pool:
        parent = by_id.get(cand.parent) if cand.parent else None
        if cand.round != round_ or parent is None or cand.correct is None or parent.correct is None:
            continue
        before = "right" if parent.correct else "wrong"
        after = "right" if cand.correct else "wrong"
        counts[f"{before}_to_{after}"] += 1
    return Flips(**counts)


def improved(
    pool: Sequence[Candidate], round_: int, eps: float = 1e-9, key: Callable[[Candidate], str | None] | None = None
) -> tuple[bool, float, float]:
    """Did round ``round_`` beat every earlier candidate? Returns (improved, new best, earlier best).

    Compared on current scores, so a re-scored pool is judged consistently. With ``key`` (a normalised answer),
    a revision that repeats an earlier answer is no improvement, however it scores: it adds no new answer, and
    its rising total is only the agreement of copies (seen on SQuAD: three rounds of the same guess).
    """
    earlier_pool = [c for c in pool if c.round < round_]
    earlier = max((total(c) for c in earlier_pool), default=-1.0)
    seen = {k for c in earlier_pool if (k := key(c)) is not None} if key else set()
    fresh = [c for c in pool if c.round == round_ and (key is None or key(c) not in seen)]
    new = max((total(c) for c in fresh), default=-1.0)
    return new > earlier + eps, new, earlier
