"""`evaluate`: metrics on known answers, config checks, score mode, and one CLI run of two local
models (the tiny base, and the base with a random LoRA adapter) on a few test examples."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from conftest import run_worker, of_type, write_jsonl
from tuneloop_worker.errors import WorkerError
from tuneloop_worker.evaluation.config import parse_eval_config
from tuneloop_worker.evaluation.metrics import label_metrics, parse_answer, percentile, reply_metrics, task_metrics
from tuneloop_worker.evaluation.run import evaluate
from tuneloop_worker.events import Emitter


def triage_row(user: str, labels: dict[str, str]) -> dict:
    return {"messages": [{"role": "system", "content": "Triage."}, {"role": "user", "content": user},
                         {"role": "assistant", "content": json.dumps(labels)}]}


def test_reply_metrics_perfect_and_unrelated():
    perfect = reply_metrics(["Ihre Bestellung ist unterwegs."], ["Ihre Bestellung ist unterwegs."])
    assert perfect["chrf"] == pytest.approx(100.0)
    assert perfect["rouge_l"] == pytest.approx(1.0)
    # German words survive tokenization: one shared word of four on each side.
    partial = reply_metrics(["Die Rückgabe läuft"], ["Die Lieferung kommt"])
    assert partial["rouge_l"] == pytest.approx(1 / 3)
    empty = reply_metrics([None], ["Thanks for waiting."])
    assert empty == {"chrf": 0.0, "rouge_l": 0.0}


def test_label_metrics_per_label_macro_f1_and_no_prediction():
    refs = [json.dumps(x) for x in ({"intent": "refund"}, {"intent": "refund"}, {"intent": "delivery"},
                                    {"intent": "delivery"})]
    preds = ['{"intent": "Refund"}', '```json\n{"intent": "delivery"}\n```', '{"intent": "delivery"}', "I think delivery"]
    m = label_metrics(preds, refs)
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["no_prediction_rate"] == pytest.approx(0.25)
    # refund: tp 1, fp 0, fn 1 -> P 1, R .5, F1 2/3; delivery: tp 1, fp 1, fn 1 -> P .5, R .5, F1 .5
    assert m["per_label"]["intent:refund"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})
    assert m["per_label"]["intent:delivery"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert parse_answer("[1, 2]") is None and parse_answer("") is None


def test_compliance_precision_recall():
    refs = ['{"violation": true}', '{"violation": true}', '{"violation": false}', '{"label": "violation"}']
    preds = ['{"violation": true}', "not json", '{"violation": true}', '{"label": "Violation"}']
    m = task_metrics("compliance", preds, refs)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["no_prediction_rate"] == pytest.approx(0.25)


def test_percentile_interpolates_like_numpy():
    assert percentile([10, 20, 30, 40], 50) == pytest.approx(25)
    assert percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert percentile([], 50) is None


def test_config_errors_name_the_problem(tmp_path: Path, data):
    def fails(raw: dict, pattern: str) -> None:
        with pytest.raises(WorkerError, match=pattern) as info:
            parse_eval_config(raw)
        assert info.value.kind == "config"

    base = {"task": "reply", "test_file": data["valid"]}
    fails({**base, "models": [{"name": "a", "base_model": "x"}], "temperature": 1}, "unknown key.*temperature")
    fails({**base}, "nothing to evaluate")
    fails({**base, "task": "summarise", "predictions": [{"name": "a", "file": data["valid"]}]}, "'task' must be one of")
    fails({**base, "predictions": [{"name": "a", "file": str(tmp_path / "missing.jsonl")}]}, "file not found")
    fails({**base, "predictions": [{"name": "a", "file": data["valid"]}, {"name": "a", "file": data["valid"]}]}, "unique")
    fails({**base, "models": [{"name": "a", "base_model": str(tmp_path)}], "max_new_tokens": 0}, "max_new_tokens")


def test_score_mode_without_a_model(tmp_path: Path):
    rows = [triage_row("where is my parcel", {"intent": "delivery", "priority": "low"}),
            triage_row("refund me now", {"intent": "refund", "priority": "high"}),
            triage_row("cancel my order", {"intent": "cancel", "priority": "low"})]
    test_file = write_jsonl(tmp_path / "test.jsonl", rows)
    answers = [{"prediction": '{"intent": "delivery", "priority": "low"}', "latency_ms": 100, "completion_tokens": 10},
               {"prediction": '{"intent": "refund", "priority": "low"}', "latency_ms": 300, "completion_tokens": 30},
               {"prediction": None, "latency_ms": 200, "completion_tokens": 0}]
    predictions = write_jsonl(tmp_path / "openai.jsonl", answers)
    cfg = parse_eval_config({"task": "triage", "test_file": test_file, "predictions": [{"name": "openai", "file": predictions}]})
    stream = io.StringIO()
    result = evaluate(cfg, str(tmp_path / "out"), Emitter(stream, enabled=True))
    metrics = result["models"]["openai"]
    assert "eval_loss" not in metrics
    assert metrics["examples"] == 3
    assert metrics["accuracy"] == pytest.approx(1 / 3)
    assert metrics["no_prediction_rate"] == pytest.approx(1 / 3)
    assert metrics["fields"]["intent"]["accuracy"] == pytest.approx(2 / 3)
    assert metrics["latency_p50_ms"] == pytest.approx(200) and metrics["latency_p95_ms"] == pytest.approx(290)
    assert metrics["tokens_per_second"] == pytest.approx(40 / 0.6)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["models"][0]["metrics"] == metrics and report["task"] == "triage"
    types = [json.loads(line)["type"] for line in stream.getvalue().splitlines()]
    assert types == ["evaluation_started", "evaluation_progress", "evaluation_model"]

    short = write_jsonl(tmp_path / "short.jsonl", answers[:2])
    cfg = parse_eval_config({"task": "triage", "test_file": test_file, "predictions": [{"name": "openai", "file": short}]})
    with pytest.raises(WorkerError, match="has 2 lines for 3 test examples"):
        evaluate(cfg, str(tmp_path / "out2"), Emitter(io.StringIO(), enabled=True))


@pytest.fixture(scope="module")
def random_adapter(tiny_model, tmp_path_factory) -> str:
    """A LoRA adapter with random (non-zero) weights: the model's answers and loss must change."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model),
                           LoraConfig(r=4, lora_alpha=64, target_modules="all-linear", init_lora_weights=False))
    out = str(tmp_path_factory.mktemp("adapter"))
    model.save_pretrained(out)
    return out


def test_cli_evaluates_base_and_adapter_side_by_side(tmp_path: Path, tiny_model, random_adapter, data):
    config = tmp_path / "eval.json"
    config.write_text(json.dumps({
        "task": "reply", "test_file": data["valid"], "max_examples": 5, "max_new_tokens": 6, "max_seq_length": 96,
        "device": "cpu",
        "models": [{"name": "base", "base_model": tiny_model},
                   {"name": "candidate", "base_model": tiny_model, "adapter_path": random_adapter}]}))
    code, events, stderr = run_worker("evaluate", "--config", str(config), "--out", str(tmp_path / "out"), timeout=120)
    assert code == 0, stderr[-3000:]
    assert events[0]["type"] == "evaluation_started" and events[0]["examples"] == 5
    assert [e["model"] for e in of_type(events, "evaluation_model")] == ["base", "candidate"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["examples"] == 5 and report["device"] == "cpu"
    base, candidate = (entry["metrics"] for entry in report["models"])
    for metrics in (base, candidate):
        for key in ("eval_loss", "chrf", "rouge_l", "latency_p50_ms", "latency_p95_ms", "tokens_per_second"):
            assert isinstance(metrics[key], (int, float)) and math.isfinite(metrics[key]), (key, metrics)
        assert metrics["latency_p50_ms"] <= metrics["latency_p95_ms"]
    assert base["eval_loss"] != pytest.approx(candidate["eval_loss"])
    answers = [json.loads(line) for line in Path(report["models"][1]["predictions_file"]).read_text().splitlines()]
    assert len(answers) == 5 and all(0 < a["completion_tokens"] <= 6 for a in answers)
    done = of_type(events, "evaluation_done")[0]
    assert done["models"]["candidate"] == candidate
