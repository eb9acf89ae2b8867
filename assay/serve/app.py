"""The OpenAI-compatible app: ``GET /v1/models``, ``POST /v1/chat/completions``, ``GET /health``.

Model ``assay/<graph>`` picks the recipe (the registry is read on every request, so recipes registered after
start-up are served too). See docs/serving.md for the extra body fields and the stream format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from assay.errors import AssayError
from assay.graphs.registry import recipes
from assay.serve.engine import PREFIX, Engine, ServeConfig
from assay.serve.errors import APIError, check_key, from_assay, read_json
from assay.serve.responses import completion_body, models_body
from assay.serve.schemas import parse_request
from assay.serve.stream import RunStream, complete, failure, sse


def create_app(config: ServeConfig) -> FastAPI:
    """The server as an ASGI app; it opens its clients and checkpointer at startup and closes them at shutdown."""
    engine = Engine(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        try:
            yield
        finally:
            await engine.aclose()

    app = FastAPI(title="assay", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    _errors(app)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "runs_in_flight": len(engine.active)}

    @app.get("/v1/models")
    async def models(request: Request) -> dict[str, Any]:
        check_key(request, config.api_key)
        listed = recipes()
        return models_body([PREFIX + r.name for r in listed], [r.description for r in listed])

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> Response:
        check_key(request, config.api_key)
        chat = parse_request(await read_json(request, config.max_body_bytes))
        jobs = engine.jobs(chat)
        if chat.stream:
            include_usage = bool(chat.stream_options and chat.stream_options.include_usage)
            return RunStream(sse(engine, jobs[0], include_usage))
        states = await complete(engine, jobs, request)
        return JSONResponse(
            completion_body(chat.model, [(s, j.graph, j.thread_id) for s, j in zip(states, jobs, strict=True)])
        )

    return app


def _errors(app: FastAPI) -> None:
    """Every error leaves as OpenAI-shaped JSON."""

    @app.exception_handler(APIError)
    async def api_error(_: Request, exc: APIError) -> Response:
        return exc.response()

    @app.exception_handler(AssayError)
    async def assay_error(_: Request, exc: AssayError) -> Response:
        return from_assay(exc).response()

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        code = "not_found" if exc.status_code == 404 else None
        return APIError(exc.status_code, str(exc.detail), code=code).response()

    @app.exception_handler(Exception)
    async def crashed(_: Request, exc: Exception) -> Response:
        return failure(exc).response()

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        return APIError(400, str(exc.errors()[0].get("msg", "invalid request"))).response()
