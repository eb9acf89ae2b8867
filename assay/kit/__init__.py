"""The recipe kit: the pieces every recipe shares, so a new paper's recipe is a short file.

Nodes (``adapt``, ``gated``, ``with_settings``, typed ``Update``), rounds (``router``, ``next_round``, the human
gate), stop rules (``BudgetLimit``, ``Confident``, ``Patience``, ``MaxRounds``, ``Verified``, ``Consensus``),
selectors (``voted``, ``weighted_vote``, ``best_of``, ``best_so_far``, ``latest``, ``finish``), scoring
(``score``, ``rate``, ``tally``, ``Conservative``), the verifier registry (``register_verifier``, ``verify``),
recipe metadata and the ``Flow`` builder. See docs/recipes.md.
"""

from __future__ import annotations

from assay.kit._draw import mermaid, terminal
from assay.kit._nodes import (
    UPDATE_KEYS,
    GatedNode,
    GraphNode,
    NodeFn,
    Update,
    UpdateError,
    adapt,
    check_update,
    follow,
    gated,
    merged,
    with_settings,
)
from assay.kit._probe import ACCEPT, greedy, greedy_only, probe, widen
from assay.kit._recipe import Builder, Flow, Graph, Recipe
from assay.kit._rounds import Gate, Signals, human_gate, next_round, progress, router, usage_signals, with_human
from assay.kit._scoring import Conservative, rate, tally
from assay.kit._selectors import (
    Choice,
    Selector,
    best_of,
    best_so_far,
    final,
    finish,
    first_round,
    last_round,
    latest,
    reward,
    voted,
    weighted_vote,
    whole_pool,
)
from assay.kit._shapes import Steps, loop, one_shot
from assay.kit._stops import (
    DEFAULT_STOPS,
    BudgetLimit,
    Confident,
    Consensus,
    MaxRounds,
    Patience,
    Progress,
    Stopped,
    StopRule,
    Stops,
    Unguided,
    Unrefuted,
    Verified,
)
from assay.kit._verifiers import register_verifier, unregister_verifier, verifiers, verify
from assay.signals.scoring import score
from assay.signals.select import best_candidate, reward_weight, total, unit_weight, vote
from assay.state import register_kind

__all__ = [
    "ACCEPT",
    "DEFAULT_STOPS",
    "UPDATE_KEYS",
    "BudgetLimit",
    "Builder",
    "Choice",
    "Confident",
    "Consensus",
    "Conservative",
    "Flow",
    "Gate",
    "GatedNode",
    "Graph",
    "GraphNode",
    "MaxRounds",
    "NodeFn",
    "Patience",
    "Progress",
    "Recipe",
    "Selector",
    "Signals",
    "Steps",
    "StopRule",
    "Stopped",
    "Stops",
    "Unguided",
    "Unrefuted",
    "Update",
    "UpdateError",
    "Verified",
    "accept",
    "adapt",
    "best_candidate",
    "best_of",
    "best_so_far",
    "check_update",
    "final",
    "finish",
    "first_round",
    "follow",
    "gated",
    "greedy",
    "greedy_only",
    "human_gate",
    "last_round",
    "latest",
    "loop",
    "merged",
    "mermaid",
    "next_round",
    "one_shot",
    "probe",
    "progress",
    "rate",
    "register_kind",
    "register_verifier",
    "reward",
    "reward_weight",
    "router",
    "score",
    "tally",
    "terminal",
    "total",
    "unit_weight",
    "unregister_verifier",
    "usage_signals",
    "verifiers",
    "verify",
    "vote",
    "voted",
    "weighted_vote",
    "whole_pool",
    "widen",
    "with_human",
    "with_settings",
]
