"""Typed errors. Each carries one clear, user-facing line; the CLI prints it and exits non-zero."""

from __future__ import annotations


class AssayError(Exception):
    """Base class: ``str(err)`` is a single line meant for a user, never a traceback."""

    exit_code: int = 1
    hint: str | None = None  # a follow-up for the user, printed on the same line (e.g. how to resume)


class SettingsError(AssayError):
    """A setting (env var, TOML file or flag) is invalid."""

    exit_code = 2


class InputError(AssayError):
    """The user's input is unusable (empty question, unknown graph or kind, zero budget)."""

    exit_code = 2


class LLMError(AssayError):
    """Anything that went wrong talking to a model server."""


class ServerUnavailable(LLMError):
    """No server answers at the configured address."""


class ServerDied(ServerUnavailable):
    """An embedded server died and could not be brought back; the message ends with the last lines of its log."""


class LLMTimeout(LLMError):
    """The server accepted the request but did not answer in time."""


class LLMHTTPError(LLMError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class UnknownModel(LLMHTTPError):
    """The server does not serve the requested model name."""


class MalformedResponse(LLMError):
    """The server's answer is not the JSON an OpenAI-compatible server sends."""


class ServerError(AssayError):
    """Provisioning, starting or stopping the embedded vLLM server failed."""


class SandboxError(AssayError):
    """The sandbox cannot run code with the isolation that was asked for."""


class CheckpointError(AssayError):
    """A checkpoint file is unreadable or corrupted."""


class SearchError(AssayError):
    """A retriever cannot search: missing corpus package, unreadable documents folder, failing search API."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so a run shuts down as on Ctrl-C (tasks cancelled, sandboxes
    killed, the checkpoint kept) instead of dying mid-write; exit code 143."""
