"""``assay serve``: every graph recipe behind an OpenAI-compatible ``/v1/chat/completions`` (model ``assay/<graph>``).

``create_app(ServeConfig(settings))`` is the ASGI app; ``assay serve`` runs it with uvicorn on 127.0.0.1.
"""

from __future__ import annotations

from assay.serve.app import create_app
from assay.serve.engine import Engine, ServeConfig

__all__ = ["Engine", "ServeConfig", "create_app"]
