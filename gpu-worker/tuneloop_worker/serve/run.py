"""Starting and stopping the server; announces itself with JSON-line events like `train` does.

    python -m tuneloop_worker serve --model BASE [--lora NAME=ADAPTER_DIR ...] [--port 0] [--api-key KEY]

Flags follow `vllm serve` (--served-model-name, --lora-modules NAME=PATH, --host, --port, --api-key),
so the hub can start either. Events on stdout: `serving` {host, port, base_url, models} once it
listens (port 0 picks a free port), `stopped` on SIGTERM/SIGINT, `error` {message, kind} if it
cannot start (exit 2).
"""

from __future__ import annotations

import os
import signal
import threading

from ..errors import WorkerError
from ..events import Emitter, claim_stdout


def run_serve(model: str, served_name: str | None, loras: list[str], host: str, port: int,
              api_key: str | None) -> int:
    emitter = Emitter(claim_stdout(), enabled=True)
    api_key = api_key or os.environ.get("TUNELOOP_SERVE_API_KEY") or None
    try:
        modules = []
        for item in loras:
            name, sep, path = item.partition("=")
            if not sep or not name or not path:
                raise WorkerError(f"--lora-modules wants NAME=PATH, got {item!r}", "config")
            modules.append((name, os.path.abspath(path)))
        from .engine import Engine
        from .protocol import ApiError
        from .server import make_server

        try:
            engine = Engine(model, served_name)
        except (OSError, ValueError) as err:
            raise WorkerError(f"cannot load model {model!r}: {err}", "model") from None
        for name, path in modules:
            try:
                engine.load_adapter(name, path)
            except ApiError as err:
                raise WorkerError(err.message, "model") from None
        server = make_server(engine, host, port, api_key)
    except WorkerError as err:
        emitter.error(err.message, err.kind)
        return err.exit_code

    def stop(_signum, _frame) -> None:
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound_host, bound_port = server.server_address[:2]
    emitter.emit("serving", host=bound_host, port=bound_port, base_url=f"http://{bound_host}:{bound_port}/v1",
                 models=[m["id"] for m in engine.models()], device=engine.device)
    server.serve_forever()
    server.server_close()
    emitter.emit("stopped")
    return 0
