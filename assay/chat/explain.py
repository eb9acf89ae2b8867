"""Decisions and spend in words: what ``/why`` and ``/budget`` print.

``/why`` reads only the ``Route`` records (source, target, signal values, thresholds, reason), the same data
the JSON output carries, so the explanation can never disagree with what the graph actually did.
"""

from __future__ import annotations

from assay.llm.types import Usage
from assay.state import Budget, Route

# (signal, threshold, words): a decision threshold ("reached" / "is below") ...
_TAUS: tuple[tuple[str, str, str], ...] = (
    ("agreement", "tau_agreement", "sample agreement"),
    ("reward", "tau_reward", "reward"),
    ("best_total", "tau_confident", "best total score"),
    ("no_improve", "patience", "rounds without improvement"),
)
# ... or a limit, reported as spent "of" allowed
_LIMITS: tuple[tuple[str, str, str], ...] = (
    ("round", "max_rounds", "rounds"),
    ("calls", "max_calls", "LLM calls"),
    ("tokens", "max_tokens", "tokens"),
    ("elapsed_s", "max_seconds", "seconds"),
)


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def comparisons(route: Route) -> list[str]:
    """Each signal the decision measured against its threshold, e.g. "sample agreement 0.50 is below 0.75",
    then the spend against the limits, e.g. "LLM calls 12 of 40"."""
    out: list[str] = []
    for signal, threshold, words in _TAUS:
        if signal not in route.signals or threshold not in route.thresholds:
            continue
        value, limit = route.signals[signal], route.thresholds[threshold]
        if value is None:
            out.append(f"{words} was not measured (threshold {_num(limit)})")
        else:
            out.append(f"{words} {_num(value)} {'reached' if value >= limit else 'is below'} {_num(limit)}")
    for signal, threshold, words in _LIMITS:
        value = route.signals.get(signal)
        if value is not None and threshold in route.thresholds:
            out.append(f"{words} {_num(value)} of {_num(route.thresholds[threshold])}")
    return out


def _name(node: str) -> str:
    return "END" if node == "__end__" else node


def _decision(routes: list[Route]) -> Route | None:
    """The last routing decision proper (made on signals and thresholds), else the last record."""
    for route in reversed(routes):
        if route.thresholds:
            return route
    return routes[-1] if routes else None


def why(routes: list[Route], stopped_by: str | None = None) -> list[str]:
    """The last decision explained in sentences, then how the run ended."""
    decision = _decision(routes)
    if decision is None:
        return ["No decision yet: ask a question first."]
    lines = [
        f"In round {decision.round}, {decision.source} sent the run to {_name(decision.target)}.",
        f"Reason: {decision.reason}.",
    ]
    facts = comparisons(decision)
    if facts:
        lines.append("Measured: " + "; ".join(facts) + ".")
    later = routes[routes.index(decision) + 1 :]
    lines.extend(f"Then {r.source} → {_name(r.target)}: {r.reason}." for r in later)
    if stopped_by:
        lines.append(f"The run stopped by {stopped_by}; {len(routes)} route record(s) in all (see /save).")
    return lines


def _bar(used: float, limit: float, width: int = 10) -> str:
    filled = 0 if limit <= 0 else min(width, round(width * used / limit))
    return "█" * filled + "░" * (width - filled)


def budget_lines(budget: Budget, usage: Usage | None, seconds: float) -> list[str]:
    """The limits, and what the last (or current) run spent of each."""
    used = usage or Usage()
    rows = (
        ("calls", used.calls, budget.max_calls),
        ("tokens", used.total_tokens, budget.max_tokens),
        ("seconds", seconds, budget.max_seconds),
    )
    lines = [f"{name:<8}{_bar(u, m)} {_num(u)} of {_num(m)}" for name, u, m in rows]
    lines.append("Change with /budget calls N | tokens N | seconds N.")
    return lines
