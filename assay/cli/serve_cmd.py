"""``assay serve``: every graph recipe behind an OpenAI-compatible endpoint (model ``assay/<graph>``)."""

from __future__ import annotations

import errno
import os
import socket
from typing import Annotated

import typer
from rich.console import Console

from assay.errors import InputError

_err = Console(stderr=True)


def check_port(host: str, port: int) -> None:
    """Fail with one line before uvicorn starts if the address cannot be bound."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port must be between 0 and 65535 (got {port})")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"cannot resolve --host {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            why = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise InputError(f"cannot listen on {host}:{port}: {why}") from None


def serve(
    host: Annotated[str, typer.Option(help="Address to bind (default: loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="Require 'Authorization: Bearer KEY' (or ASSAY_SERVE_API_KEY).")
    ] = None,
    graph_default: Annotated[str, typer.Option("--graph-default", help="Graph for model 'assay'.")] = "adaptive",
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible model server URL(s).")] = None,
    max_body: Annotated[int, typer.Option(help="Largest request body in bytes.")] = 1 << 20,
) -> None:
    """Serve the graphs as an OpenAI-compatible API: /v1/models, /v1/chat/completions (streaming too)."""
    import uvicorn

    from assay.graphs.registry import get_recipe, graph_names
    from assay.llm.models import resolve_endpoint
    from assay.serve import ServeConfig, create_app
    from assay.settings import load_settings

    get_recipe(graph_default)
    if max_body < 1024:
        raise InputError(f"--max-body must be at least 1024 bytes (got {max_body})")
    key = api_key or os.environ.get("ASSAY_SERVE_API_KEY") or None
    settings = load_settings(base_url=base_url)
    endpoint = resolve_endpoint(settings, "generator")  # no server: one clear line now, not at the first request
    check_port(host, port)
    if key is None and host not in ("127.0.0.1", "localhost", "::1"):
        _err.print(f"[yellow]warning:[/] serving on {host} without --api-key: anyone who can reach it can use it")
    config = ServeConfig(settings=settings, api_key=key, default_graph=graph_default, max_body_bytes=max_body)
    models = ", ".join(f"assay/{g}" for g in graph_names())
    where = endpoint.base_urls[0] if endpoint else "?"
    _err.print(f"assay serve: http://{host}:{port}/v1 (models: {models}; generator {where})", highlight=False)
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
