"""A run stopped with SIGTERM, or killed with SIGKILL, resumes from its last complete checkpoint, not step 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from conftest import WORKER_DIR, make_config, of_type, run_worker


def _train_until_checkpoint(config: str, out, sig: int) -> tuple[int, list[dict]]:
    """Starts training, sends `sig` as soon as a `checkpoint` event arrives; returns (exit code, events)."""
    proc = subprocess.Popen([sys.executable, "-m", "tuneloop_worker", "train", "--config", config, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(WORKER_DIR))
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["type"] == "checkpoint" and not any(e["type"] == "checkpoint" for e in events[:-1]):
            os.kill(proc.pid, sig)
    proc.wait()
    proc.stdout.close()
    return proc.returncode, events


def test_stopped_and_killed_runs_resume_from_their_checkpoints(tiny_model, data, tmp_path):
    settings = dict(max_steps=24, eval_every_steps=3, log_every_steps=1, per_device_batch_size=2, max_seq_length=64)
    config = make_config(tmp_path, tiny_model, data, **settings)
    out = tmp_path / "out"

    # SIGTERM (the hub cancelling): an `error` event of kind `cancelled`, exit 130.
    code, events = _train_until_checkpoint(config, out, signal.SIGTERM)
    assert code == 130
    assert events[-1]["type"] == "error" and events[-1]["kind"] == "cancelled"
    first_checkpoint = of_type(events, "checkpoint")[0]["step"]

    # SIGKILL (a lost machine): no chance to clean up.
    code, events = _train_until_checkpoint(config, out, signal.SIGKILL)
    assert code == -signal.SIGKILL and not of_type(events, "done")
    (started,) = of_type(events, "started")
    assert started["resumed_from_step"] >= first_checkpoint > 0
    killed_at = of_type(events, "checkpoint")[0]["step"]

    code, events, stderr = run_worker("train", "--config", config, "--out", str(out))
    assert code == 0, stderr[-3000:]
    (started,) = of_type(events, "started")
    # The kill may land after a later checkpoint was written; never before the one we saw.
    assert started["resumed_from_step"] >= killed_at > first_checkpoint
    assert of_type(events, "progress")[0]["step"] == started["resumed_from_step"] + 1
    done = of_type(events, "done")[0]
    assert done["resumed_from_step"] == started["resumed_from_step"]
    assert done["steps_trained"] == 24 and done["total_steps"] == 24

    # Same folder, different config: refuse rather than mix two runs' checkpoints.
    changed = make_config(tmp_path, tiny_model, data, **settings, learning_rate=1e-2)
    code, events, _ = run_worker("train", "--config", changed, "--out", str(out))
    assert code == 2
    (error,) = of_type(events, "error")
    assert error["kind"] == "config" and "changed: learning_rate" in error["message"]
