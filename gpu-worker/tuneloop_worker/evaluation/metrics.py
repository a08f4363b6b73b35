"""Scores of predictions against the test targets; plain Python plus sacrebleu and rouge-score.

- reply: chrF (sacrebleu's CHRF, corpus level, 0..100) and ROUGE-L F-measure (rouge-score,
  mean over examples, 0..1) against the agent's real reply. rouge-score's default tokenizer keeps
  only [a-z0-9], which would erase most of a German reply, so words are Unicode `\\w+` runs here.
- triage / compliance: the answer is a JSON object of labels. Values are compared trimmed and
  case-folded. An answer that is not a JSON object is "no prediction": wrong, and counted in
  `no_prediction_rate`; it is never read as a label. `accuracy` needs every label of the example
  right; `macro_f1` is the mean over label fields of the macro F1 over that field's classes (the
  classes seen in targets or predictions, like scikit-learn's default); `per_label` holds
  precision/recall/F1/support per "field:value".
- compliance also has `precision`/`recall` of the positive class: an answer is positive when its
  `violation` is true or its `label` is "violation".
- latency: p50/p95 of per-example milliseconds, and generated tokens per second.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

NO_PREDICTION = None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def reply_metrics(predictions: list[str | None], references: list[str]) -> dict[str, float]:
    from rouge_score import rouge_scorer
    from sacrebleu.metrics import CHRF

    hypotheses = [p or "" for p in predictions]
    chrf = CHRF().corpus_score(hypotheses, [references]).score
    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_WordTokenizer())
    rouge = [scorer.score(ref, hyp)["rougeL"].fmeasure for ref, hyp in zip(references, hypotheses)]
    return {"chrf": float(chrf), "rouge_l": float(_mean(rouge) or 0.0)}


class _WordTokenizer:
    """rouge-score's tokenizer interface (`tokenize(text) -> list[str]`), Unicode-aware."""

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"\w+", text.casefold())


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def parse_answer(text: str | None) -> dict[str, Any] | None:
    """The JSON object a triage/compliance answer holds (bare, or in a ``` fence), else None."""
    if not text:
        return None
    candidates = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1).strip())
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(value, dict):
            return value
    return None


def _label(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value).strip().casefold()
        return text or None
    return None


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def label_metrics(predictions: list[str | None], references: list[str]) -> dict[str, Any]:
    parsed = [parse_answer(p) for p in predictions]
    targets = [parse_answer(r) or {} for r in references]
    fields = sorted({key for t in targets for key in t})
    per_label: dict[str, dict[str, float]] = {}
    field_scores: dict[str, dict[str, float]] = {}
    for name in fields:
        pairs = [(_label(t.get(name)), _label(p.get(name)) if p is not None else NO_PREDICTION)
                 for t, p in zip(targets, parsed) if _label(t.get(name)) is not None]
        classes = sorted({truth for truth, _ in pairs} | {pred for _, pred in pairs if pred is not None})
        f1s = []
        for cls in classes:
            tp = sum(1 for truth, pred in pairs if truth == cls and pred == cls)
            fp = sum(1 for truth, pred in pairs if truth != cls and pred == cls)
            fn = sum(1 for truth, pred in pairs if truth == cls and pred != cls)
            precision, recall, f1 = _prf(tp, fp, fn)
            per_label[f"{name}:{cls}"] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
            f1s.append(f1)
        correct = sum(1 for truth, pred in pairs if truth == pred)
        field_scores[name] = {"accuracy": correct / len(pairs) if pairs else 0.0, "macro_f1": _mean(f1s) or 0.0}
    exact = [p is not None and all(_label(p.get(k)) == _label(v) for k, v in t.items() if _label(v) is not None)
             for t, p in zip(targets, parsed)]
    n = len(predictions)
    return {
        "accuracy": sum(exact) / n if n else 0.0,
        "macro_f1": _mean([s["macro_f1"] for s in field_scores.values()]) or 0.0,
        "per_label": per_label,
        "fields": field_scores,
        "no_prediction_rate": sum(1 for p in parsed if p is None) / n if n else 0.0,
    }


def _is_violation(answer: dict[str, Any] | None) -> bool | None:
    if answer is None:
        return None
    if isinstance(answer.get("violation"), bool):
        return answer["violation"]
    label = _label(answer.get("label"))
    return None if label is None else label == "violation"


def compliance_metrics(predictions: list[str | None], references: list[str]) -> dict[str, float]:
    """Precision and recall of flagging violations; an unparseable answer flags nothing."""
    truth = [_is_violation(parse_answer(r)) for r in references]
    guess = [_is_violation(parse_answer(p)) for p in predictions]
    tp = sum(1 for t, g in zip(truth, guess) if t and g)
    fp = sum(1 for t, g in zip(truth, guess) if not t and g)
    fn = sum(1 for t, g in zip(truth, guess) if t and not g)
    precision, recall, _f1 = _prf(tp, fp, fn)
    return {"precision": precision, "recall": recall}


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_metrics(latencies_ms: list[float], generated_tokens: list[int]) -> dict[str, float | None]:
    seconds = sum(latencies_ms) / 1000
    return {
        "latency_p50_ms": percentile(latencies_ms, 50),
        "latency_p95_ms": percentile(latencies_ms, 95),
        "tokens_per_second": sum(generated_tokens) / seconds if seconds > 0 and generated_tokens else None,
    }


def task_metrics(task: str, predictions: list[str | None], references: list[str]) -> dict[str, Any]:
    if task == "reply":
        return reply_metrics(predictions, references)
    metrics = label_metrics(predictions, references)
    if task == "compliance":
        metrics.update(compliance_metrics(predictions, references))
    return metrics
