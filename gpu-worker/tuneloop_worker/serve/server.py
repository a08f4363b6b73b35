"""HTTP front of the engine (FastAPI on uvicorn): the OpenAI routes the hub uses, plus vLLM's runtime
LoRA routes.

    GET  /health                      200 when ready (no auth, like vLLM)
    GET  /v1/models                   base model and loaded adapters
    POST /v1/chat/completions         OpenAI Chat Completions, `stream: true` as server-sent events
    POST /v1/load_lora_adapter        {"lora_name", "lora_path"}  (vLLM's runtime LoRA API)
    POST /v1/unload_lora_adapter      {"lora_name"}

For development and tests on a CPU; production uses vLLM, which answers the same routes. Requests
are handled concurrently; generation itself is serialised by the engine's lock, because PEFT's
active adapter is model-wide state. Runtime adapter loads only read from `adapter_root` (the hub's
artifact store): a caller cannot make the server open files elsewhere. Bodies are read up to
MAX_BODY_BYTES; uvicorn (h11) refuses a malformed or negative Content-Length before any route runs.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import queue
import threading
import time
from typing import Any, Iterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .engine import Engine
from .protocol import ApiError, ChatRequest, chunk, completion, new_id, parse_chat_request, usage

MAX_BODY_BYTES = 8 * 1024 * 1024
log = logging.getLogger("tuneloop_worker.serve")


def inside(root: str, path: str) -> bool:
    """Whether `path`, symlinks resolved, lies under `root` (also resolved)."""
    real_root, real = os.path.realpath(root), os.path.realpath(path)
    return os.path.commonpath([real_root, real]) == real_root


def make_app(engine: Engine, api_key: str | None, adapter_root: str | None) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, err: ApiError) -> Response:
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        kind = "not_found_error" if err.status_code == 404 else "invalid_request_error"
        return JSONResponse(ApiError(err.status_code, f"no route {request.method} {request.url.path}", kind).body(),
                            status_code=err.status_code)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, err: Exception) -> Response:
        # A failed request must not kill the server, and its text (paths, tensors) is not for callers.
        log.error("request failed: %s: %s", type(err).__name__, err)
        return JSONResponse(ApiError(500, "internal error while generating", "server_error").body(), status_code=500)

    def authorize(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get("authorization", "")
        # Constant-time compare, so response timing does not leak the key.
        if not hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode()):
            raise ApiError(401, "missing or wrong API key", "authentication_error")

    async def read_json(request: Request) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            raise ApiError(413 if declared.isdigit() else 400, "request body too large" if declared.isdigit()
                           else "Content-Length must be a non-negative integer")
        data = bytearray()
        async for part in request.stream():
            data += part
            if len(data) > MAX_BODY_BYTES:
                raise ApiError(413, "request body too large")
        try:
            return json.loads(bytes(data) or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "the request body is not valid JSON") from None

    @app.get("/health")
    async def health() -> Response:
        return PlainTextResponse("")

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        authorize(request)
        created = int(time.time())
        data = [{"id": m["id"], "object": "model", "created": created, "owned_by": "tuneloop",
                 "root": m["root"], "parent": m["parent"]} for m in engine.models()]
        return JSONResponse({"object": "list", "data": data})

    @app.post("/v1/load_lora_adapter")
    async def load(request: Request) -> Response:
        authorize(request)
        body = await read_json(request)
        name = body.get("lora_name") if isinstance(body, dict) else None
        path = body.get("lora_path") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name or not isinstance(path, str) or not path:
            raise ApiError(400, "'lora_name' and 'lora_path' are required")
        if adapter_root is None:
            raise ApiError(403, "runtime adapter loading is off: start serve with --adapter-root (the artifact store)",
                           "permission_error", param="lora_path")
        if not os.path.isabs(path) or not inside(adapter_root, path):
            raise ApiError(403, "lora_path must be an absolute path inside the artifact store (--adapter-root)",
                           "permission_error", param="lora_path")
        await run_in_threadpool(engine.load_adapter, name, os.path.realpath(path))
        return PlainTextResponse(f"Success: LoRA adapter '{name}' added successfully.")

    @app.post("/v1/unload_lora_adapter")
    async def unload(request: Request) -> Response:
        authorize(request)
        body = await read_json(request)
        name = body.get("lora_name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise ApiError(400, "'lora_name' is required")
        await run_in_threadpool(engine.unload_adapter, name)
        return PlainTextResponse(f"Success: LoRA adapter '{name}' removed successfully.")

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        authorize(request)
        req = parse_chat_request(await read_json(request))
        if req.model != engine.base_name and req.model not in engine.adapters:
            raise ApiError(404, f"the model '{req.model}' does not exist", "not_found_error", param="model")
        id_ = new_id()
        if not req.stream:
            out = await run_in_threadpool(engine.generate, req)
            return JSONResponse(completion(id_, req.model, out["text"], out["finish_reason"],
                                           out["prompt_tokens"], out["completion_tokens"]))
        return StreamingResponse(stream(engine, req, id_), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    return app


def event(body: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(body)}\n\n".encode()


def stream(engine: Engine, req: ChatRequest, id_: str) -> Iterator[bytes]:
    """Server-sent events while the engine generates on its own thread; a client that leaves stops it.

    Starlette iterates this generator in its thread pool and closes it when the client disconnects;
    `left` then makes the engine's callback answer False, which cancels the generation.
    """
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    left = threading.Event()

    def on_text(text: str) -> bool:
        if left.is_set():
            return False
        pieces.put(("text", text))
        return True

    def run() -> None:
        try:
            pieces.put(("done", engine.generate(req, on_text)))
        except Exception as err:  # noqa: BLE001 - headers are sent: reported inside the stream
            pieces.put(("error", err))

    threading.Thread(target=run, daemon=True).start()
    try:
        yield event(chunk(id_, req.model, {"role": "assistant", "content": ""}))
        while True:
            kind, value = pieces.get()
            if kind == "text":
                yield event(chunk(id_, req.model, {"content": value}))
                continue
            if kind == "error":
                log.error("streaming request failed: %s: %s", type(value).__name__, value)
                yield event(ApiError(500, "internal error while generating", "server_error").body())
            else:
                yield event(chunk(id_, req.model, {}, value["finish_reason"]))
                if req.include_usage:
                    yield event(chunk(id_, req.model, {}, usage_=usage(value["prompt_tokens"], value["completion_tokens"]),
                                      choices=False))
            break
        yield b"data: [DONE]\n\n"
    finally:
        left.set()
