"""matplotlib PNGs of a results file: the cost/quality frontier and the flips per recipe."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.eval.report import Summary


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("plots need matplotlib; run: pip install 'assay[eval]'") from None
    return plt


def frontier(summaries: Sequence[Summary], path: Path, title: str) -> Path:
    """Accuracy (Wilson 95 % bars) against client-counted generated tokens per item."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    placed: dict[tuple[float, float], int] = {}  # recipes on one point (same samples) get stacked labels
    for s in summaries:
        yerr = [[s.accuracy - s.ci_low], [s.ci_high - s.accuracy]]
        ax.errorbar([s.gen_per_item], [s.accuracy], yerr=yerr, fmt="o", capsize=4, label=s.recipe)
        point = (round(s.gen_per_item, 1), round(s.accuracy, 3))
        above = placed[point] = placed.get(point, -1) + 1
        ax.annotate(s.recipe, (s.gen_per_item, s.accuracy), textcoords="offset points", xytext=(6, 4 + 10 * above),
                    fontsize=8)  # fmt: skip
    xs = [s.gen_per_item for s in summaries if s.gen_per_item > 0]
    wide = bool(xs) and max(xs) / min(xs) >= 10
    if wide:
        ax.set_xscale("log")
    else:
        ax.set_xlim(left=0, right=max(xs, default=1) * 1.25)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("generated tokens per problem" + (" (log scale)" if wide else ""))
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def flips(summaries: Sequence[Summary], path: Path, title: str) -> Path:
    """Right→wrong and wrong→right revisions per recipe (A3)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = range(len(summaries))
    ax.bar([x - 0.2 for x in xs], [s.right_to_wrong for s in summaries], width=0.4, label="right→wrong")
    ax.bar([x + 0.2 for x in xs], [s.wrong_to_right for s in summaries], width=0.4, label="wrong→right")
    ax.set_xticks(list(xs), [s.recipe for s in summaries], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("revisions")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(summaries: Sequence[Summary], out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [
        frontier(summaries, out / f"bench_{name}_frontier.png", f"{name}: accuracy vs generated tokens"),
        flips(summaries, out / f"bench_{name}_flips.png", f"{name}: flips per recipe"),
    ]
