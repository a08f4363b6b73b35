"""What this machine can do: device, precision, and the checks that refuse impossible runs early."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

from .config import RunConfig
from .errors import WorkerError


@dataclass
class Runtime:
    device: str          # "cuda" | "mps" | "cpu"
    device_name: str     # e.g. "NVIDIA H100 80GB HBM3" or "cpu"
    precision: str       # resolved: "bf16" | "fp16" | "fp32"
    world_size: int      # processes started by accelerate/torchrun (1 for a plain run)
    local_rank: int

    @property
    def cuda(self) -> bool:
        return self.device == "cuda"

    def summary(self) -> dict[str, object]:
        return {"device": self.device, "device_name": self.device_name, "precision": self.precision,
                "world_size": self.world_size}


def check_qlora(device: str) -> None:
    """QLoRA needs bitsandbytes' 4-bit CUDA kernels; refuse clearly instead of failing mid-load."""
    if device != "cuda":
        raise WorkerError(
            "method 'qlora' needs an NVIDIA GPU with CUDA (bitsandbytes 4-bit kernels), but torch sees no CUDA "
            f"device here (device: {device}). Use method 'lora' on this machine, or run on a CUDA machine.",
            "environment")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise WorkerError(
            "method 'qlora' needs the bitsandbytes package, which is not installed. Install it with "
            "pip install 'tuneloop_worker[qlora]' (the worker's Docker image includes it).", "environment")


def detect(cfg: RunConfig) -> Runtime:
    """Resolves device and precision; raises WorkerError(kind='environment') when the config cannot run here."""
    import torch

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device, name = "cuda", torch.cuda.get_device_name(local_rank % max(torch.cuda.device_count(), 1))
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device, name = "mps", "Apple MPS"
    else:
        device, name = "cpu", "cpu"

    if cfg.method == "qlora":
        check_qlora(device)

    precision = cfg.precision
    if precision == "auto":
        if device == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            precision = "fp32"
    if precision == "fp16" and device != "cuda":
        raise WorkerError(f"precision 'fp16' needs CUDA (device here: {device}); use 'auto', 'bf16' or 'fp32'",
                          "environment")
    if precision == "bf16" and device == "cuda" and not torch.cuda.is_bf16_supported():
        raise WorkerError(f"precision 'bf16' is not supported by {name}; use 'fp16' or 'auto'", "environment")
    return Runtime(device=device, device_name=name, precision=precision, world_size=world_size,
                   local_rank=local_rank)


def torch_dtype(precision: str):
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]
