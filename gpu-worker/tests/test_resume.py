"""A run killed with SIGKILL resumes from its last complete checkpoint, not from step 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from conftest import WORKER_DIR, make_config, of_type, run_worker


def test_killed_run_resumes_from_its_checkpoint(tiny_model, data, tmp_path):
    config = make_config(tmp_path, tiny_model, data, max_steps=60, eval_every_steps=3, log_every_steps=1,
                         per_device_batch_size=2, max_seq_length=64)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "tuneloop_worker", "train", "--config", config, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(WORKER_DIR))
    seen = []
    for line in proc.stdout:
        seen.append(json.loads(line))
        if seen[-1]["type"] == "checkpoint":
            os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up, like a lost machine
            break
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    killed_at = seen[-1]["step"]
    assert not of_type(seen, "done")

    code, events, stderr = run_worker("train", "--config", config, "--out", str(out))
    assert code == 0, stderr[-3000:]
    (started,) = of_type(events, "started")
    # The kill may land after a later checkpoint was written; never before the one we saw.
    assert started["resumed_from_step"] >= killed_at > 0
    assert of_type(events, "progress")[0]["step"] == started["resumed_from_step"] + 1
    done = of_type(events, "done")[0]
    assert done["resumed_from_step"] == started["resumed_from_step"]
    assert done["steps_trained"] == 60 and done["total_steps"] == 60

    # Same folder, different config: refuse rather than mix two runs' checkpoints.
    changed = make_config(tmp_path, tiny_model, data, max_steps=60, eval_every_steps=3, log_every_steps=1,
                          per_device_batch_size=2, max_seq_length=64, learning_rate=1e-2)
    code, events, _ = run_worker("train", "--config", changed, "--out", str(out))
    assert code == 2
    (error,) = of_type(events, "error")
    assert error["kind"] == "config" and "changed: learning_rate" in error["message"]
