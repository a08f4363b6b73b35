"""`evaluate`: every model of the config on the same test examples, one report.

    python -m tuneloop_worker evaluate --config eval.json --out DIR

Writes DIR/report.json and DIR/predictions/<n>.jsonl (one line per example, in the score-mode
format, so the answers can be reviewed or scored again). Events on stdout, one JSON object a line:

    evaluation_started   task, examples, models [names]
    evaluation_progress  model, phase (loss | generate | score), done, total
    evaluation_model     model, metrics
    evaluation_done      report_path, models {name: metrics}
    warning / error      as for `train` (error kinds: config, data, model, environment, runtime, ...)

report.json: {task, test_file, examples, models: [{name, kind: local | predictions, base_model?,
adapter_path?, predictions_file, metrics}]}; metrics as metrics.py describes, plus `examples` and
(local models) `eval_loss`.
"""

from __future__ import annotations

import json
import os
import signal
from typing import Any

from ..data import read_rows
from ..errors import WorkerError, report_failure
from ..events import Emitter, claim_stdout
from .config import EvalConfig, ModelSpec, PredictionSpec, load_eval_config
from .metrics import latency_metrics, task_metrics

REPORT_FILE = "report.json"


def test_examples(cfg: EvalConfig) -> list[dict[str, Any]]:
    """The first max_examples lines: the prompt (everything before the last assistant message) and its target."""
    rows = read_rows(cfg.test_file, "test_file", dpo=False)
    if cfg.max_examples is not None:
        rows = rows[:cfg.max_examples]
    examples = []
    for row in rows:
        messages = row["messages"]
        last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
        messages = messages[:last + 1]
        examples.append({"messages": messages, "prompt": messages[:last], "target": messages[last]["content"]})
    return examples


def read_predictions(spec: PredictionSpec, count: int) -> list[dict[str, Any]]:
    """The first `count` lines of a predictions file, validated; raises WorkerError(kind='data')."""
    out: list[dict[str, Any]] = []
    with open(spec.file, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if len(out) == count:
                break
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise WorkerError(f"predictions {spec.name!r} line {lineno}: not valid JSON", "data") from None
            if not isinstance(row, dict) or "prediction" not in row:
                raise WorkerError(f"predictions {spec.name!r} line {lineno}: expected {{\"prediction\": ...}}", "data")
            prediction = row["prediction"]
            latency = row.get("latency_ms")
            tokens = row.get("completion_tokens")
            if prediction is not None and not isinstance(prediction, str):
                raise WorkerError(f"predictions {spec.name!r} line {lineno}: 'prediction' must be a string or null", "data")
            if latency is not None and (not isinstance(latency, (int, float)) or isinstance(latency, bool) or latency < 0):
                raise WorkerError(f"predictions {spec.name!r} line {lineno}: 'latency_ms' must be a number >= 0", "data")
            if tokens is not None and (not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0):
                raise WorkerError(f"predictions {spec.name!r} line {lineno}: 'completion_tokens' must be a whole number",
                                  "data")
            out.append({"prediction": prediction, "latency_ms": latency, "completion_tokens": tokens})
    if len(out) < count:
        raise WorkerError(f"predictions {spec.name!r} has {len(out)} lines for {count} test examples", "data")
    return out


def score(task: str, answers: list[dict[str, Any]], examples: list[dict[str, Any]]) -> dict[str, Any]:
    metrics: dict[str, Any] = {"examples": len(examples)}
    metrics.update(task_metrics(task, [a["prediction"] for a in answers], [e["target"] for e in examples]))
    timed = [a for a in answers if a.get("latency_ms") is not None]
    if timed:
        metrics.update(latency_metrics([a["latency_ms"] for a in timed],
                                       [a["completion_tokens"] for a in timed if a.get("completion_tokens") is not None]))
    return metrics


def _write_predictions(out: str, index: int, answers: list[dict[str, Any]]) -> str:
    folder = os.path.join(out, "predictions")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{index}.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(a, ensure_ascii=False) + "\n" for a in answers)
    return path


def _runtime(cfg: EvalConfig) -> Any:
    from types import SimpleNamespace

    from ..runtime import Runtime, detect

    if cfg.device == "cpu":
        if cfg.precision == "fp16":
            raise WorkerError("precision 'fp16' needs CUDA; use 'auto', 'bf16' or 'fp32' with device 'cpu'", "environment")
        return Runtime("cpu", "cpu", "fp32" if cfg.precision == "auto" else cfg.precision, 1, 0)
    # detect() reads only the method (for qlora's checks) and the precision.
    return detect(SimpleNamespace(method="lora", precision=cfg.precision))


def _evaluate_local(spec: ModelSpec, cfg: EvalConfig, examples: list[dict[str, Any]], rt: Any,
                    emitter: Emitter) -> tuple[list[dict[str, Any]], float | None]:
    from . import local_model

    total = len(examples)
    model, tokenizer = local_model.load(spec, rt)
    emitter.emit("evaluation_progress", model=spec.name, phase="loss", done=0, total=total)
    loss = local_model.eval_loss(model, tokenizer, examples, cfg, rt)

    def progress(done: int) -> None:
        # About twenty events per model, whatever the test set's size.
        if done == total or done % max(1, total // 20) == 0:
            emitter.emit("evaluation_progress", model=spec.name, phase="generate", done=done, total=total)

    answers = local_model.generate(model, tokenizer, examples, cfg, progress)
    local_model.release(model)
    return answers, loss


def evaluate(cfg: EvalConfig, out: str, emitter: Emitter) -> dict[str, Any]:
    os.makedirs(out, exist_ok=True)
    examples = test_examples(cfg)
    names = [m.name for m in cfg.models] + [p.name for p in cfg.predictions]
    emitter.emit("evaluation_started", task=cfg.task, examples=len(examples), models=names)
    # Predictions files first: a bad one fails in a second, before any model loads.
    scored = [(p, read_predictions(p, len(examples))) for p in cfg.predictions]
    entries: list[dict[str, Any]] = []
    rt = None
    if cfg.models:
        from .local_model import quiet_environment

        quiet_environment()
        rt = _runtime(cfg)
        import torch

        torch.manual_seed(cfg.seed)
    for spec in cfg.models:
        answers, loss = _evaluate_local(spec, cfg, examples, rt, emitter)
        metrics = {"examples": len(examples), "eval_loss": loss, **score(cfg.task, answers, examples)}
        path = _write_predictions(out, len(entries), answers)
        entries.append({"name": spec.name, "kind": "local", "base_model": spec.base_model,
                        "adapter_path": spec.adapter_path, "predictions_file": path, "metrics": metrics})
        emitter.emit("evaluation_model", model=spec.name, metrics=metrics)
    for spec, answers in scored:
        emitter.emit("evaluation_progress", model=spec.name, phase="score", done=len(examples), total=len(examples))
        metrics = score(cfg.task, answers, examples)
        entries.append({"name": spec.name, "kind": "predictions", "predictions_file": spec.file, "metrics": metrics})
        emitter.emit("evaluation_model", model=spec.name, metrics=metrics)
    report = {"task": cfg.task, "test_file": cfg.test_file, "examples": len(examples),
              "device": rt.device_name if rt else None, "models": entries}
    path = os.path.join(out, REPORT_FILE)
    temp = f"{path}.tmp"
    with open(temp, "w", encoding="utf-8") as fh:
        # allow_nan=False: a diverged loss must not write invalid JSON (events.py does the same).
        json.dump(_finite(report), fh, indent=2, allow_nan=False, ensure_ascii=False)
    os.replace(temp, path)
    return {"report_path": path, "models": {e["name"]: e["metrics"] for e in entries}}


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _cancel(signum: int, _frame: Any) -> None:
    raise WorkerError(f"cancelled by signal {signal.Signals(signum).name}", "cancelled")


def run_evaluate(config_path: str, out: str) -> int:
    emitter = Emitter(claim_stdout())
    signal.signal(signal.SIGTERM, _cancel)
    try:
        cfg = load_eval_config(config_path)
        result = evaluate(cfg, os.path.abspath(out), emitter)
        emitter.emit("evaluation_done", **result)
        return 0
    except KeyboardInterrupt:
        emitter.error("cancelled by SIGINT", "cancelled")
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure must end as an `error` event
        return report_failure(emitter, exc)
