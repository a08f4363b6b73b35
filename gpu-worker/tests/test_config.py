"""Config validation: impossible values are errors (exit 2), unusual ones are warnings; no model loads."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import WORKER_DIR, make_config, of_type, parse_events, run_worker
from event_schema import check_event

from tuneloop_worker.config import parse_config, range_warnings
from tuneloop_worker.errors import WorkerError


@pytest.fixture()
def base(tmp_path, data):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    return {"base_model": str(model), "train_file": data["train"], "validation_file": data["valid"]}


@pytest.mark.parametrize("override, needle", [
    ({"learning_rate": 0}, "'learning_rate' must be a number > 0"),
    ({"learning_rate": -1e-4}, "'learning_rate' must be a number > 0"),
    ({"epochs": -1}, "'epochs' must be a number > 0"),
    ({"method": "rlhf"}, "'method' must be one of lora, qlora, full, dpo"),
    ({"per_device_batch_size": 0}, "'per_device_batch_size' must be a whole number >= 1"),
    ({"packing": "yes"}, "'packing' must be true or false"),
    ({"lerning_rate": 1e-4}, "unknown key(s) lerning_rate"),
    ({"lora": {"rank": 8}}, "unknown key(s) rank in 'lora'"),
    ({"train_file": "/nonexistent/train.jsonl"}, "'train_file': file not found: /nonexistent/train.jsonl"),
    ({"base_model": "./no-such-model-dir"}, "'base_model': directory not found"),
    ({"sweep": {"strategy": "bayes", "space": {"learning_rate": [1e-4]}}}, "'sweep.strategy' must be"),
    ({"sweep": {"strategy": "grid", "space": {"batch": [4]}}}, "unknown key 'batch' in 'sweep.space'"),
    ({"sweep": {"strategy": "random", "space": {"learning_rate": [1e-4]}}}, "'sweep.trials' is required"),
    ({"sweep": {"strategy": "grid", "space": {"learning_rate": [1e-4, -1]}}}, "'learning_rate' must be"),
    ({"method": "full", "adapter_init": "/tmp"}, "'adapter_init' needs method lora, qlora or dpo"),
])
def test_impossible_values_are_errors(base, override, needle):
    with pytest.raises(WorkerError) as info:
        parse_config({**base, **override})
    assert info.value.kind == "config" and info.value.exit_code == 2
    assert needle in info.value.message


def test_missing_required_key(base):
    with pytest.raises(WorkerError, match="'validation_file' is required"):
        parse_config({k: v for k, v in base.items() if k != "validation_file"})


def test_values_outside_proven_ranges_only_warn(base):
    cfg = parse_config({**base, "learning_rate": 3e-4, "epochs": 8, "per_device_batch_size": 32,
                        "gradient_accumulation": 1, "warmup_steps": 10, "eval_every_steps": 200})
    text = "\n".join(range_warnings(cfg))
    for needle in ("learning_rate = 0.0003", "epochs = 8", "effective batch size", "warmup_steps = 10",
                   "eval_every_steps = 200"):
        assert needle in text


def test_defaults_are_inside_proven_ranges(base):
    assert range_warnings(parse_config(base)) == []


def test_cli_bad_config_is_an_error_event_and_exit_2_without_importing_torch(tmp_path, data):
    config = make_config(tmp_path, "./missing-model", data, learning_rate=-1)
    # Run main() in a child and report whether torch got imported: validation must stay cheap.
    probe = ("import sys; from tuneloop_worker.cli.__main__ import main; code = main(sys.argv[1:]); "
             "sys.stderr.write('TORCH=%s' % ('torch' in sys.modules)); raise SystemExit(code)")
    proc = subprocess.run([sys.executable, "-c", probe, "train", "--config", config, "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=str(WORKER_DIR), timeout=60)
    assert proc.returncode == 2
    assert "TORCH=False" in proc.stderr
    events = parse_events(proc.stdout)
    assert [e["type"] for e in events] == ["error"]
    assert events[0]["kind"] == "config" and "'learning_rate' must be a number > 0" in events[0]["message"]


def test_cli_bad_data_line_names_file_and_line_not_content(tmp_path, data):
    bad = tmp_path / "bad.jsonl"
    lines = open(data["train"], encoding="utf-8").read().splitlines()[:3]
    lines.append(json.dumps({"messages": [{"role": "user", "content": "secret 4111 1111 1111 1111"}]}))
    bad.write_text("\n".join(lines) + "\n")
    config = make_config(tmp_path, "./missing-model", {**data, "train": str(bad)}, base_model=str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    code, events, _ = run_worker("validate", "--config", config)
    assert code == 2
    (error,) = of_type(events, "error")
    assert error["kind"] == "data"
    assert error["message"].startswith("train_file line 4: no assistant message")
    assert "4111" not in error["message"]


def test_cli_validate_reports_counts_and_warnings(tmp_path, data):
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text("{}")
    config = make_config(tmp_path, str(model), data)
    code, events, _ = run_worker("validate", "--config", config)
    assert code == 0
    for event in events:
        check_event(event)
    assert events[-1]["type"] == "valid" and events[-1]["train_examples"] == 160
    assert any("learning_rate = 0.02" in w["message"] for w in of_type(events, "warning"))
