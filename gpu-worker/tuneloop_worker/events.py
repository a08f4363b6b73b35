"""JSON-line events on the real stdout; everything else goes to stderr.

The hub parses stdout line by line, so a stray ``print`` from a library would break it. We keep
a private handle on the original stdout for events and point both ``sys.stdout`` and file
descriptor 1 at stderr before any library is imported (see ``claim_stdout``). Pointing fd 1 at
stderr also catches C extensions and child processes (dataset ``map`` workers) that write to it.

Every event is one JSON object with ``type`` and ``time`` (ISO 8601, UTC). Only the process with
global rank 0 writes events, so ``accelerate launch`` with N processes still yields one stream.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import sys
import threading
from typing import IO, Any

_event_stream: IO[str] | None = None


def claim_stdout() -> IO[str]:
    """Keep the real stdout for events and redirect everything else to stderr. Idempotent."""
    global _event_stream
    if _event_stream is not None:
        return _event_stream
    sys.stdout.flush()
    try:
        fd = os.dup(1)
        os.dup2(2, 1)
        # Line buffering: each event reaches the hub as soon as it is written.
        _event_stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
    except OSError:
        # No real file descriptors (e.g. an embedding host): fall back to the Python object.
        _event_stream = sys.stdout
    sys.stdout = sys.stderr
    return _event_stream


def is_main_process() -> bool:
    """Global rank 0 under torchrun/accelerate (RANK), or a plain single process."""
    return int(os.environ.get("RANK", "0")) == 0


def _clean(value: Any) -> Any:
    """JSON has no NaN/Infinity: a diverged loss becomes null rather than an unparseable line."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return _clean(value.item())
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Emitter:
    """Writes events; ``with_tags(trial=3)`` returns an emitter that adds those fields to each event."""

    def __init__(self, stream: IO[str] | None, tags: dict[str, Any] | None = None,
                 enabled: bool | None = None, lock: threading.Lock | None = None) -> None:
        self._stream = stream
        self._tags = dict(tags or {})
        self._enabled = is_main_process() if enabled is None else enabled
        self._lock = lock or threading.Lock()

    def with_tags(self, **tags: Any) -> "Emitter":
        return Emitter(self._stream, {**self._tags, **tags}, self._enabled, self._lock)

    def emit(self, type_: str, **fields: Any) -> dict[str, Any]:
        event = {"type": type_, "time": now_iso(), **self._tags, **_clean(fields)}
        if self._enabled and self._stream is not None:
            line = json.dumps(event, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
            with self._lock:
                self._stream.write(line + "\n")
                self._stream.flush()
        return event

    def warning(self, message: str, **fields: Any) -> None:
        self.emit("warning", message=message, **fields)

    def error(self, message: str, kind: str, **fields: Any) -> None:
        self.emit("error", message=message, kind=kind, **fields)
        if not self._enabled:
            # Other ranks still say why they stopped, on stderr where logs are collected.
            print(f"tuneloop_worker rank {os.environ.get('RANK')}: {kind}: {message}", file=sys.stderr)
