"""Human review inside the app (``--human``): approve, edit or reject a refined answer before it replaces
the solver's. The reply goes to the runtime's human hook: ``True``, ``False`` or ``{"approve", "answer"}``."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from assay.runtime import HumanReply


def _describe(label: str, cand: dict[str, Any]) -> Text:
    total = cand.get("total")
    score = "-" if total is None else f"{total:.2f}"
    text = Text(f"{label}: ", style="bold")
    text.append(str(cand.get("answer") or cand.get("text") or "(empty)"))
    text.append(f"   ({cand.get('origin', '?')}, score {score})", style="dim")
    return text


class ReviewScreen(ModalScreen[HumanReply]):
    """Shows the current best and the proposal; a = approve, e = edit (then Enter), r or Esc = reject."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "approve"),
        Binding("e", "edit", "edit"),
        Binding("r,escape", "reject", "reject"),
    ]
    AUTO_FOCUS = "#approve"
    DEFAULT_CSS = """
    ReviewScreen { align: center middle; }
    #review { width: 90%; max-width: 100; height: auto; border: thick $warning; background: $panel; padding: 0 1; }
    #review Horizontal { height: auto; }
    #review Button { margin: 0 1 0 0; min-width: 12; }
    #edit { display: none; }
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self.payload = payload

    def compose(self) -> ComposeResult:
        proposed = self.payload.get("proposed") or {}
        with Vertical(id="review"):
            yield Static(Text("Human review: a refined answer would replace the solver's.", style="bold"))
            yield Static(_describe("current ", self.payload.get("current") or {}))
            yield Static(_describe("proposed", proposed))
            yield Input(str(proposed.get("answer") or ""), id="edit", placeholder="your answer; Enter keeps it")
            with Horizontal():
                yield Button("Approve (a)", id="approve", variant="success")
                yield Button("Edit (e)", id="edit-button", variant="primary")
                yield Button("Reject (r)", id="reject", variant="error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"approve": self.action_approve, "edit-button": self.action_edit, "reject": self.action_reject}
        actions[event.button.id or "reject"]()

    def action_approve(self) -> None:
        self.dismiss(True)

    def action_reject(self) -> None:
        self.dismiss(False)

    def action_edit(self) -> None:
        box = self.query_one("#edit", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss({"approve": True, "answer": text} if text else True)
