"""Shared fixtures: chat data from the Bitext CSV, a tiny random model built here, one real SFT run.

Nothing is downloaded. The tiny model (Qwen2, hidden size 32, 2 layers, byte-level BPE of 1000
tokens trained on the test data) is built once per session, and so is one end-to-end training run
through the real CLI, which several tests inspect.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

WORKER_DIR = Path(__file__).resolve().parent.parent
CSV_CANDIDATES = [
    WORKER_DIR.parent / "fixtures" / "bitext_customer_support.csv",
    WORKER_DIR.parent.parent / "shared" / "datasets" / "support_intents" / "bitext_customer_support.csv",
]
SYSTEM = "You are a helpful customer support agent."


def _bitext_rows() -> list[dict[str, str]]:
    for path in CSV_CANDIDATES:
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            random.Random(7).shuffle(rows)
            return rows
    raise FileNotFoundError(f"Bitext CSV not found in {[str(p) for p in CSV_CANDIDATES]}")


def _chat(row: dict[str, str]) -> dict[str, Any]:
    return {"messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": row["instruction"]},
                         {"role": "assistant", "content": row["response"]}]}


def _preference(row: dict[str, str], other: dict[str, str]) -> dict[str, Any]:
    # The reply written for this request beats one written for a different intent.
    return {"prompt": [{"role": "user", "content": row["instruction"]}],
            "chosen": [{"role": "assistant", "content": row["response"]}],
            "rejected": [{"role": "assistant", "content": other["response"]}]}


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def data(tmp_path_factory) -> dict[str, str]:
    rows = _bitext_rows()
    folder = tmp_path_factory.mktemp("data")
    other = {r["intent"]: r for r in rows}  # one reply per intent, to serve as a rejected answer
    prefs = [_preference(r, next(o for i, o in other.items() if i != r["intent"])) for r in rows[300:340]]
    return {
        "train": write_jsonl(folder / "train.jsonl", [_chat(r) for r in rows[:160]]),
        "valid": write_jsonl(folder / "valid.jsonl", [_chat(r) for r in rows[160:192]]),
        "dpo_train": write_jsonl(folder / "dpo_train.jsonl", prefs[:32]),
        "dpo_valid": write_jsonl(folder / "dpo_valid.jsonl", prefs[32:]),
    }


@pytest.fixture(scope="session")
def tiny_model(data, tmp_path_factory) -> str:
    from tuneloop_worker.tiny import build_tiny_model, texts_from_jsonl

    texts = [t for key in ("train", "valid") for t in texts_from_jsonl(data[key])]
    return build_tiny_model(str(tmp_path_factory.mktemp("tiny-model")), texts, hidden_size=32, layers=2,
                            vocab_size=1000)


def make_config(folder: Path, model: str, data: dict[str, str], **overrides: Any) -> str:
    """A small, fast config (values far outside the proven ranges, which only warns)."""
    cfg: dict[str, Any] = {
        "base_model": model, "train_file": data["train"], "validation_file": data["valid"],
        "method": "lora", "learning_rate": 2e-2, "max_steps": 16, "per_device_batch_size": 4,
        "gradient_accumulation": 1, "warmup_steps": 0, "max_seq_length": 96, "eval_every_steps": 4,
        "log_every_steps": 2, "gradient_checkpointing": False, "early_stopping_patience": 0,
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
    }
    cfg.update(overrides)
    path = folder / f"config-{len(list(folder.glob('config-*.json')))}.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return str(path)


def parse_events(stdout: str) -> list[dict[str, Any]]:
    """Every stdout line must be a JSON object with `type` and `time`."""
    events = []
    for line in stdout.splitlines():
        event = json.loads(line)
        assert isinstance(event, dict) and isinstance(event.get("type"), str) and isinstance(event.get("time"), str), line
        events.append(event)
    return events


def run_worker(*args: str, timeout: float = 300) -> tuple[int, list[dict[str, Any]], str]:
    """Runs `python -m tuneloop_worker ARGS` as the hub does; returns (exit code, events, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "tuneloop_worker", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=str(WORKER_DIR))
    return proc.returncode, parse_events(proc.stdout), proc.stderr


def of_type(events: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == type_]


@pytest.fixture(scope="session")
def sft_run(tiny_model, data, tmp_path_factory) -> dict[str, Any]:
    """One LoRA SFT run through the CLI: 16 steps, eval and checkpoint every 4."""
    folder = tmp_path_factory.mktemp("sft-run")
    config = make_config(folder, tiny_model, data)
    out = folder / "out"
    code, events, stderr = run_worker("train", "--config", config, "--out", str(out))
    assert code == 0, stderr[-3000:]
    return {"events": events, "out": out, "config": config}
