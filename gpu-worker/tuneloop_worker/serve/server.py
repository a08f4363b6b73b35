"""HTTP front of the engine: the OpenAI routes the hub uses, plus vLLM's runtime LoRA routes.

    GET  /health                      200 when ready (no auth, like vLLM)
    GET  /v1/models                   base model and loaded adapters
    POST /v1/chat/completions         OpenAI Chat Completions, `stream: true` as server-sent events
    POST /v1/load_lora_adapter        {"lora_name", "lora_path"}  (vLLM's runtime LoRA API)
    POST /v1/unload_lora_adapter      {"lora_name"}

Standard library only (ThreadingHTTPServer): this server is for development and tests on a CPU;
production uses vLLM, which answers the same routes. Request logs go to stderr without bodies.
"""

from __future__ import annotations

import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .engine import Engine
from .protocol import ApiError, chunk, completion, new_id, parse_chat_request, usage

MAX_BODY_BYTES = 8 * 1024 * 1024


def make_handler(engine: Engine, api_key: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "tuneloop-worker"

        # ---- plumbing ---------------------------------------------------------------------------
        def _send_json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_text(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _read_json(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                raise ApiError(413, "request body too large")
            try:
                return json.loads(self.rfile.read(length) or b"null")
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "the request body is not valid JSON") from None

        def _authorized(self) -> bool:
            if api_key is None:
                return True
            given = self.headers.get("Authorization", "")
            # Constant-time compare, so response timing does not leak the key.
            return hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode())

        def _route(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            try:
                if method == "GET" and path == "/health":
                    return self._send_text(200, "")
                if not self._authorized():
                    raise ApiError(401, "missing or wrong API key", "authentication_error")
                if method == "GET" and path == "/v1/models":
                    return self._models()
                if method == "POST" and path == "/v1/chat/completions":
                    return self._chat(self._read_json())
                if method == "POST" and path == "/v1/load_lora_adapter":
                    return self._load(self._read_json())
                if method == "POST" and path == "/v1/unload_lora_adapter":
                    return self._unload(self._read_json())
                raise ApiError(404, f"no route {method} {path}", "not_found_error")
            except ApiError as err:
                self._send_json(err.status, err.body())
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away; nothing to answer
            except Exception as err:  # noqa: BLE001 - a failed request must not kill the server
                self.log_error("request failed: %s: %s", type(err).__name__, err)
                self._send_json(500, ApiError(500, "internal error while generating", "server_error").body())

        def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        # ---- routes -----------------------------------------------------------------------------
        def _models(self) -> None:
            created = int(time.time())
            data = [{"id": m["id"], "object": "model", "created": created, "owned_by": "tuneloop",
                     "root": m["root"], "parent": m["parent"]} for m in engine.models()]
            self._send_json(200, {"object": "list", "data": data})

        def _load(self, body: Any) -> None:
            name = body.get("lora_name") if isinstance(body, dict) else None
            path = body.get("lora_path") if isinstance(body, dict) else None
            if not isinstance(name, str) or not name or not isinstance(path, str) or not path:
                raise ApiError(400, "'lora_name' and 'lora_path' are required")
            engine.load_adapter(name, path)
            self._send_text(200, f"Success: LoRA adapter '{name}' added successfully.")

        def _unload(self, body: Any) -> None:
            name = body.get("lora_name") if isinstance(body, dict) else None
            if not isinstance(name, str) or not name:
                raise ApiError(400, "'lora_name' is required")
            engine.unload_adapter(name)
            self._send_text(200, f"Success: LoRA adapter '{name}' removed successfully.")

        def _chat(self, body: Any) -> None:
            req = parse_chat_request(body)
            if req.model != engine.base_name and req.model not in engine.adapters:
                raise ApiError(404, f"the model '{req.model}' does not exist", "not_found_error", param="model")
            id_ = new_id()
            if not req.stream:
                out = engine.generate(req)
                return self._send_json(200, completion(id_, req.model, out["text"], out["finish_reason"],
                                                       out["prompt_tokens"], out["completion_tokens"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._event(chunk(id_, req.model, {"role": "assistant", "content": ""}))

            def on_text(text: str) -> bool:
                try:
                    self._event(chunk(id_, req.model, {"content": text}))
                    return True
                except (BrokenPipeError, ConnectionResetError):
                    return False  # stop generating for a client that left

            try:
                out = engine.generate(req, on_text)
            except Exception as err:  # noqa: BLE001 - headers are sent: report inside the stream
                self.log_error("streaming request failed: %s: %s", type(err).__name__, err)
                self._event(ApiError(500, "internal error while generating", "server_error").body())
                self._write_chunk(b"data: [DONE]\n\n")
                self._write_chunk(b"")
                return
            self._event(chunk(id_, req.model, {}, out["finish_reason"]))
            if req.include_usage:
                self._event(chunk(id_, req.model, {}, usage_=usage(out["prompt_tokens"], out["completion_tokens"]),
                                  choices=False))
            self._write_chunk(b"data: [DONE]\n\n")
            self._write_chunk(b"")

        def _event(self, body: dict[str, Any]) -> None:
            self._write_chunk(f"data: {json.dumps(body)}\n\n".encode())

        def _write_chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


def make_server(engine: Engine, host: str, port: int, api_key: str | None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(engine, api_key))
    server.daemon_threads = True
    return server
