"""``assay chat``: an interactive terminal view of graph runs (Textual), with a plain line mode for pipes."""

from __future__ import annotations

from assay.chat.commands import Reply, dispatch
from assay.chat.live import LiveRun
from assay.chat.session import ChatSession

__all__ = ["ChatSession", "LiveRun", "Reply", "dispatch"]
