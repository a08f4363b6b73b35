"""QLoRA refuses clearly where it cannot run (no CUDA, or no bitsandbytes), before loading anything."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import make_config, of_type, run_worker

from tuneloop_worker.errors import WorkerError
from tuneloop_worker.runtime import check_qlora


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(_cuda(), reason="this machine has CUDA; the refusal is for machines without it")
def test_qlora_without_cuda_refuses_with_exit_2(tiny_model, data, tmp_path):
    config = make_config(tmp_path, tiny_model, data, method="qlora")
    code, events, _ = run_worker("train", "--config", config, "--out", str(tmp_path / "out"))
    assert code == 2
    (error,) = of_type(events, "error")
    assert error["kind"] == "environment"
    assert "needs an NVIDIA GPU with CUDA" in error["message"] and "Use method 'lora'" in error["message"]
    assert not of_type(events, "started") and not (tmp_path / "out").exists()


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is not None, reason="bitsandbytes is installed")
def test_qlora_without_bitsandbytes_says_how_to_install_it():
    with pytest.raises(WorkerError) as info:
        check_qlora("cuda")
    assert info.value.kind == "environment" and info.value.exit_code == 2
    assert "pip install 'tuneloop_worker[qlora]'" in info.value.message
