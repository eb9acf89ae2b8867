"""The ``assay`` command. Sub-commands register themselves; user mistakes become one stderr line."""

from __future__ import annotations

import sys
from typing import Any

import typer
import typer.core

from assay.errors import AssayError

app = typer.Typer(
    name="assay",
    help="Multi-agent LLM graphs routed on measured signals, on a local vLLM server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_type_of = typer.core.TyperOption.display_type_rich


def _flag_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """No type column for on/off flags (typer 0.29 prints ``<bool>`` next to ``--help`` and every flag)."""
    return None if self.is_flag and self.metavar is None else _type_of(self, ctx)


typer.core.TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


def _register() -> None:
    from assay.cli import graphs_cmd, run_cmd, server_cmds

    server_cmds.register(app)
    run_cmd.register(app)
    graphs_cmd.register(app)
    from assay.cli import bench_cmd

    bench_cmd.register(app)
    from assay.cli import serve_cmd

    serve_cmd.register(app)
    from assay.cli import chat_cmd

    chat_cmd.register(app)


def main() -> None:
    """Entry point: run the Typer app; AssayError and Ctrl-C become one clear line and an exit code."""
    _register()
    try:
        code = app(standalone_mode=False)  # typer returns Exit codes (Ctrl-C: 130) in this mode
        if isinstance(code, int) and code:
            sys.exit(code)
    except AssayError as exc:
        _fail(_one_line(exc), exc.exit_code)
    except KeyboardInterrupt:
        print("assay: interrupted", file=sys.stderr)
        sys.exit(130)
    except (typer.Exit, SystemExit) as exc:
        code = exc.exit_code if isinstance(exc, typer.Exit) else exc.code
        sys.exit(code if isinstance(code, int) else 1)
    except Exception as exc:  # usage errors from typer's (vendored) click
        format_message = getattr(exc, "format_message", None)
        if callable(format_message):
            _fail(str(format_message()), int(getattr(exc, "exit_code", 2)))
        if type(exc).__name__ == "Abort":
            _fail("aborted", 1)
        raise


def _one_line(exc: AssayError) -> str:
    """The error and its hint (e.g. how to resume a run) on one line."""
    return f"{exc}; {exc.hint}" if exc.hint else str(exc)


def _fail(message: str, code: int) -> None:
    print(f"assay: error: {message}", file=sys.stderr)
    sys.exit(code)
