"""Every event the tests see is checked against the contract's worker-event schema, the same
declaration the hub parses events with (tuneloop_worker/contract.py)."""

from __future__ import annotations

from typing import Any

from tuneloop_worker.contract import check_event as _validate


def check_event(event: dict[str, Any]) -> None:
    _validate(event)
