"""DPO from an existing adapter, and a two-trial sweep that keeps the better trial."""

from __future__ import annotations

import hashlib
import json

from conftest import make_config, of_type, run_worker
from event_schema import check_event


def test_dpo_runs_from_the_sft_adapter(sft_run, tiny_model, data, tmp_path):
    adapter = str(sft_run["out"] / "adapter")
    config = make_config(tmp_path, tiny_model, {"train": data["dpo_train"], "valid": data["dpo_valid"]},
                         method="dpo", learning_rate=5e-3, max_steps=6, eval_every_steps=3, adapter_init=adapter)
    out = tmp_path / "out"
    code, events, stderr = run_worker("train", "--config", config, "--out", str(out))
    assert code == 0, stderr[-3000:]
    for event in events:
        check_event(event)
    (started,) = of_type(events, "started")
    assert started["method"] == "dpo" and started["config"]["lora"]["r"] == 8  # the SFT adapter's rank
    progress = of_type(events, "progress")
    assert progress and "rewards/margins" in progress[0]["extra"]
    done = of_type(events, "done")[0]
    assert done["adapter_path"] == str(out / "adapter")
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert not (out / "adapter" / "ref").exists()  # the frozen reference copy is not part of the result


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sweep_runs_trials_and_keeps_the_best(tiny_model, data, tmp_path):
    config = make_config(tmp_path, tiny_model, data, max_steps=6, eval_every_steps=3,
                         sweep={"strategy": "grid", "space": {"learning_rate": [1e-7, 3e-2]}})
    out = tmp_path / "out"
    code, events, stderr = run_worker("train", "--config", config, "--out", str(out))
    assert code == 0, stderr[-3000:]
    for event in events:
        check_event(event)
    assert {e["trial"] for e in events if "trial" in e} == {1, 2}
    trial_done = {e["trial"]: e for e in of_type(events, "done") if "trial" in e}
    (summary,) = of_type(events, "sweep_done")
    losses = {row["trial"]: row["best_eval_loss"] for row in summary["trials"]}
    assert losses == {n: d["metrics"]["best_eval_loss"] for n, d in trial_done.items()}
    assert summary["best_trial"] == min(losses, key=losses.get) == 2  # the useful learning rate wins
    assert [row["params"] for row in summary["trials"]] == [{"learning_rate": 1e-7}, {"learning_rate": 3e-2}]

    final = events[-1]
    assert final["type"] == "done" and "trial" not in final and final["best_trial"] == 2
    assert final["adapter_path"] == str(out / "adapter")
    name = "adapter_model.safetensors"
    assert _digest(out / "adapter" / name) == _digest(out / "trials" / "2" / "adapter" / name)
    assert json.loads((out / "result.json").read_text())["best_trial"] == 2
