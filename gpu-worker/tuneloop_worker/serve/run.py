"""Starting and stopping the server; announces itself with JSON-line events like `train` does.

    python -m tuneloop_worker serve --model BASE [--lora NAME=ADAPTER_DIR ...] [--port 0] [--api-key KEY]
        [--adapter-root DIR]

Flags follow `vllm serve` (--served-model-name, --lora-modules NAME=PATH, --host, --port, --api-key),
so the hub can start either. Events on stdout: `serving` {host, port, base_url, models} once it
listens (port 0 picks a free port), `stopped` on SIGTERM/SIGINT, `error` {message, kind} if it
cannot start (exit 2). Off loopback an API key is required; adapters can be loaded at run time
only from under --adapter-root (TUNELOOP_ADAPTER_ROOT), the hub's artifact store.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket

from ..errors import WorkerError
from ..events import Emitter, claim_stdout


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_serve(model: str, served_name: str | None, loras: list[str], host: str, port: int,
              api_key: str | None, adapter_root: str | None = None) -> int:
    emitter = Emitter(claim_stdout(), enabled=True)
    api_key = api_key or os.environ.get("TUNELOOP_SERVE_API_KEY") or None
    adapter_root = adapter_root or os.environ.get("TUNELOOP_ADAPTER_ROOT") or None
    try:
        if not is_loopback(host) and api_key is None:
            # Anyone who reaches the port could generate and load adapters: off loopback, a key is a must.
            raise WorkerError(f"serving on {host} (not loopback) needs --api-key or TUNELOOP_SERVE_API_KEY", "config")
        if adapter_root is not None and not os.path.isdir(adapter_root):
            raise WorkerError(f"--adapter-root {adapter_root!r} is not a directory", "config")
        modules = []
        for item in loras:
            name, sep, path = item.partition("=")
            if not sep or not name or not path:
                raise WorkerError(f"--lora-modules wants NAME=PATH, got {item!r}", "config")
            modules.append((name, os.path.abspath(path)))
        from .engine import Engine
        from .protocol import ApiError

        try:
            engine = Engine(model, served_name)
        except (OSError, ValueError) as err:
            raise WorkerError(f"cannot load model {model!r}: {err}", "model") from None
        for name, path in modules:
            try:
                engine.load_adapter(name, path)
            except ApiError as err:
                raise WorkerError(err.message, "model") from None
        import uvicorn

        from .server import make_app

        app = make_app(engine, api_key, adapter_root)
        # Bound and listening before the `serving` event, so a client that reads it can connect at once.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            raise WorkerError(f"cannot listen on {host}:{port}: {err}", "config") from None
        sock.listen(128)
    except WorkerError as err:
        emitter.error(err.message, err.kind)
        return err.exit_code

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5))
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again against the
    # handler that was there before: a no-op here, so the process ends with `stopped` and exit 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    signal.signal(signal.SIGINT, lambda *_: None)
    bound_host, bound_port = sock.getsockname()[:2]
    emitter.emit("serving", host=bound_host, port=bound_port, base_url=f"http://{bound_host}:{bound_port}/v1",
                 models=[m["id"] for m in engine.models()], device=engine.device)
    server.run(sockets=[sock])
    emitter.emit("stopped")
    return 0
