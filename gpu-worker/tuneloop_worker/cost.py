"""What a run cost: wall, CPU and GPU seconds, tokens, peak memory."""

from __future__ import annotations

import resource
import sys
import time
from typing import Any

from .runtime import Runtime


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _peak_rss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB, macOS bytes


class CostMeter:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.wall0 = time.monotonic()
        self.cpu0 = cpu_seconds()
        if rt.cuda:
            import torch

            torch.cuda.reset_peak_memory_stats()

    def report(self, tokens_seen: int, train_seconds: float, train_cpu_seconds: float) -> dict[str, Any]:
        wall = time.monotonic() - self.wall0
        peak, where = _peak_rss_bytes(), "cpu_rss"
        if self.rt.cuda:
            import torch

            peak, where = torch.cuda.max_memory_allocated(), "cuda"
        return {
            "wall_seconds": wall,
            "train_seconds": train_seconds,
            "cpu_seconds": cpu_seconds() - self.cpu0,
            "train_cpu_seconds": train_cpu_seconds,
            # GPUs are held for the whole run (load, train, save), one per process.
            "gpu_seconds": wall * self.rt.world_size if self.rt.cuda else None,
            "gpu_count": self.rt.world_size if self.rt.cuda else 0,
            "tokens_seen": tokens_seen,
            "peak_memory_bytes": peak,
            "peak_memory_device": where,
        }
