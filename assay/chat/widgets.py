"""The panels of ``assay chat``: graph, speaking agent, candidates, budget, and the prompt with history.

Each panel redraws itself from a ``LiveRun``; none of them holds run state of its own, so a resize or a
missed event never leaves a panel showing something the run did not do.
"""

from __future__ import annotations

import textwrap
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Input, Static

from assay.chat.commands import COMMANDS
from assay.chat.live import LiveRun
from assay.chat.topology import Topology
from assay.state import Budget, Candidate


class GraphView(Static):
    """The recipe's nodes in order: the active one highlighted, visited ones green, and where it may go."""

    def show(self, topo: Topology, live: LiveRun | None) -> None:
        active = live.active if live else None
        visited = set(live.visited) if live else set()
        line = Text(no_wrap=True, overflow="ellipsis")
        for name, label in zip(topo.nodes, self._labels(topo.nodes, active), strict=True):
            style = "bold black on yellow" if name == active else ("green" if name in visited else "dim")
            line.append(label, style=style)
            line.append(" ")
        here = active or (live.visited[-1] if live and live.visited else topo.nodes[0])
        nxt = " · ".join(topo.successors(here)) or "END"
        line.append(f"\n {here} → {nxt}", style="italic")
        if live is not None:
            line.append(f"   round {live.round} · {live.status}", style="bold" if live.status == "running" else "")
        self.update(line)

    def _labels(self, nodes: tuple[str, ...], active: str | None) -> list[str]:
        """Padded names when they fit the width; else bare names; else shortened ones (the active node whole)."""
        width = max(20, self.content_size.width or 80)
        for pad in (" ", ""):
            labels = [f"{pad}{n}{pad}" for n in nodes]
            if sum(len(x) + 1 for x in labels) <= width:
                return labels
        room = max(3, (width - len(active or "")) // max(1, len(nodes)) - 1)
        return [n if n == active else n[:room] for n in nodes]


class TokenView(Static):
    """The streamed text of the agent speaking now (its first sample; how many are in flight)."""

    def show(self, live: LiveRun | None) -> None:
        if live is None or live.speaker is None:
            self.border_title = "agent"
            self.update(Text("(the speaking agent's tokens appear here)", style="dim"))
            return
        samples = len(live.tokens)
        self.border_title = f"{live.speaker} · {samples} sample{'s' if samples != 1 else ''}"
        self.update(Text(self._tail(live.tokens.get(0) or next(iter(live.tokens.values()), ""))))

    def _tail(self, text: str) -> str:
        """The last lines that fit the panel, wrapped to its width."""
        width, height = max(10, self.content_size.width), max(1, self.content_size.height)
        lines = [w for raw in text.splitlines() or [""] for w in textwrap.wrap(raw, width) or [""]]
        return "\n".join(lines[-height:])


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


class CandidateTable(DataTable[str]):
    """One row per candidate: answer, confidence, reward, total, evidence pass/fail, origin, round."""

    COLUMNS = ("id", "answer", "conf", "reward", "total", "evidence", "origin", "rnd")

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns(*self.COLUMNS)

    _shown: tuple[tuple[str, ...], ...] = ()

    def show(self, live: LiveRun | None) -> None:
        """Rebuild the rows when they changed (not on every tick: scrolling and the cursor stay put)."""
        best = live.final.best_id if live and live.final else None
        rows = tuple(self._row(c, live, c.id == best) for c in live.candidates.values()) if live else ()
        if rows == self._shown:
            return
        self._shown = rows
        self.clear()
        for row in rows:
            self.add_row(*row)

    @staticmethod
    def _row(cand: Candidate, live: LiveRun, best: bool) -> tuple[str, ...]:
        checks = [e.passed for e in live.evidence_for(cand.id)]
        passed, failed = checks.count(True), checks.count(False)
        evidence = (
            "-" if not checks else " ".join(p for p in (f"✓{passed}" * bool(passed), f"✗{failed}" * bool(failed)) if p)
        )
        answer = " ".join((cand.answer if cand.answer is not None else cand.text).split())
        mark = "★ " if best else ""
        return (mark + cand.id, answer[:28], _score(cand.scores.confidence), _score(cand.scores.reward),
                _score(cand.scores.total), evidence or "?", cand.origin, str(cand.round))  # fmt: skip


def _bar(label: str, used: float, limit: float, shown: str, width: int = 8) -> Text:
    share = 0.0 if limit <= 0 else min(1.0, used / limit)
    filled = round(width * share)
    style = "red" if share >= 0.9 else ("yellow" if share >= 0.6 else "green")
    out = Text(f"{label} ")
    out.append("█" * filled, style=style)
    out.append("░" * (width - filled), style="dim")
    out.append(f" {shown}  ")
    return out


def _k(n: float) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else f"{n:.0f}"


class BudgetBar(Static):
    """Calls, tokens and seconds spent against the run's budget."""

    def show(self, live: LiveRun | None, budget: Budget) -> None:
        """``live``'s spend against its budget; with no run yet, the budget the next run gets."""
        calls = live.usage.calls if live else 0
        tokens = live.usage.total_tokens if live else 0
        seconds = live.spent_seconds() if live else 0.0
        b = live.budget if live else budget
        line = Text()
        line.append_text(_bar("calls", calls, b.max_calls, f"{calls}/{b.max_calls}"))
        line.append_text(_bar("tokens", tokens, b.max_tokens, f"{_k(tokens)}/{_k(b.max_tokens)}"))
        line.append_text(_bar("time", seconds, b.max_seconds, f"{seconds:.1f}s/{b.max_seconds:.0f}s"))
        self.update(line)


class PromptInput(Input):
    """A one-line editor (cursor keys, Ctrl+A/E/W/U/K) with ↑/↓ history and slash-command completion."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("up", "older", show=False), Binding("down", "newer", show=False)]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(placeholder="Ask a question, or /help", suggester=SuggestFromList(COMMANDS), **kwargs)  # type: ignore[arg-type]
        self.history: list[str] = []
        self._pos = 0
        self._draft = ""

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._pos, self._draft = len(self.history), ""

    def action_older(self) -> None:
        if self._pos == len(self.history):
            self._draft = self.value
        if self._pos > 0:
            self._pos -= 1
            self._set(self.history[self._pos])

    def action_newer(self) -> None:
        if self._pos < len(self.history):
            self._pos += 1
            self._set(self.history[self._pos] if self._pos < len(self.history) else self._draft)

    def _set(self, value: str) -> None:
        self.value = value
        self.cursor_position = len(value)
