"""``assay chat``: the interactive terminal demo (Textual), or plain lines when not on a terminal."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer


def chat_command(
    graph: Annotated[str, typer.Option("--graph", "-g", help="Recipe name (see `assay graphs`).")] = "adaptive",
    model: Annotated[str | None, typer.Option("--model", "-m", help="Generator model (see `assay up`).")] = None,
    human: Annotated[bool, typer.Option("--human", help="Approve / edit / reject refined answers.")] = False,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL(s) instead of `assay up`.")] = None,
    plain: Annotated[bool, typer.Option("--plain", help="Plain line output even on a terminal.")] = False,
) -> None:
    """Ask questions and watch the graph run live: nodes, tokens, candidates, routes and budget."""
    from assay.chat.session import ChatSession
    from assay.chat.startup import make_ensure
    from assay.llm.models import get_model
    from assay.settings import load_settings

    settings = load_settings(model=model, base_url=base_url)
    if not settings.base_url:
        get_model(settings.model)  # an unknown --model is one line now, not an error inside the app
    session = ChatSession(settings, graph=graph, human=human)
    ensure = make_ensure(settings)
    if plain or not (sys.stdin.isatty() and sys.stdout.isatty()):
        from assay.chat.plain import PlainChat

        code = asyncio.run(PlainChat(session, sys.stdin, sys.stdout, ensure).main())
        raise typer.Exit(code)
    from assay.chat.app import ChatApp

    ChatApp(session, ensure).run()


def register(app: typer.Typer) -> None:
    """Add ``chat`` to ``app``."""
    app.command("chat")(chat_command)
