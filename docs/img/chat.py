"""Make ``docs/img/chat.svg``: ``assay chat`` in the middle of a run, exported by the app itself.

    .venv/bin/python docs/img/chat.py [--model smollm2] [--out docs/img/chat.svg] [QUESTION]

Runs the real app headless (Textual's ``run_test``) against the servers ``assay up`` started, asks
QUESTION, and saves the screen (``export_screenshot``) at the busiest moment seen: a node active, tokens
streaming, candidates in the table and routes in the log; if the run ends first, the last such moment.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from assay.chat.app import ChatApp
from assay.chat.session import ChatSession
from assay.chat.startup import make_ensure
from assay.settings import load_settings

QUESTION = "Tom buys 7 pens at 3 dollars each and pays with a 50 dollar bill. How much change does he get?"


def busy(app: ChatApp) -> int:
    """How much of the run the screen shows now (0: nothing worth a picture)."""
    live = app.live
    if live is None or live.active is None or not live.candidates:
        return 0
    speaking = len(live.tokens.get(0, "")) > 80
    refining = live.speaker == "refiner" and live.active == "refine"  # a revision being written, live
    return 1 + bool(live.routes) + bool(live.tokens) + (live.round > 0) + speaking + 2 * (refining and speaking)


async def shoot(question: str, model: str, out: Path, size: tuple[int, int], timeout: float) -> None:
    settings = load_settings(model=model)
    app = ChatApp(ChatSession(settings), make_ensure(settings))
    best, best_score = "", 0
    async with app.run_test(size=size) as pilot:
        while not app.ready:
            await pilot.pause(0.2)
        await pilot.press(*question)
        await pilot.press("enter")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (app.live is None or app.live.status in ("running", "review")):
            await pilot.pause(0.1)
            score = busy(app)
            if score >= best_score and score:
                best, best_score = app.export_screenshot(title="assay chat"), score
        if not best:
            best = app.export_screenshot(title="assay chat")
    out.write_text(best, encoding="utf-8")
    print(f"wrote {out} (busy score {best_score}; run {app.live.status if app.live else '-'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("chat.svg"))
    parser.add_argument("--size", default="100x32", help="COLSxROWS")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    asyncio.run(shoot(args.question, args.model, args.out, (cols, rows), args.timeout))


if __name__ == "__main__":
    main()
