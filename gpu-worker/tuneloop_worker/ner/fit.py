"""The epoch loop: batches of similar length, SparseAdam, lazy L2, the best epoch on DEV kept."""

from __future__ import annotations

import copy
from typing import Callable

import numpy as np
import torch

from .crf import LinearCrf
from .dataset import Encoded
from .features import LABELS
from .train import NerConfig, Score, per_score, selection_score


def _batches(enc: Encoded, size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    lengths = np.diff(enc.offsets)
    order = np.argsort(lengths, kind="stable")
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def _padded(model: LinearCrf, enc: Encoded, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    starts = enc.offsets[idx]
    lengths = enc.offsets[idx + 1] - starts
    t = int(lengths.max())
    token_idx = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths)])
    em = model.emissions(torch.from_numpy(enc.rows[token_idx].astype(np.int64)))
    b = len(idx)
    pos = np.concatenate([np.arange(n) + k * t for k, n in enumerate(lengths)])
    flat = torch.zeros(b * t, len(LABELS))
    flat = flat.index_copy(0, torch.from_numpy(pos), em)
    labels = torch.zeros(b * t, dtype=torch.int64)
    labels[torch.from_numpy(pos)] = torch.from_numpy(enc.labels[token_idx])
    mask = torch.zeros(b * t, dtype=torch.bool)
    mask[torch.from_numpy(pos)] = True
    return flat.view(b, t, -1), labels.view(b, t), mask.view(b, t)


def predict(model: LinearCrf, enc: Encoded, batch: int = 256) -> list[list[int]]:
    out: list[list[int] | None] = [None] * len(enc)
    with torch.no_grad():
        for idx in _batches(enc, batch, None):
            em, _labels, mask = _padded(model, enc, idx)
            for i, path in zip(idx, model.viterbi(em, mask)):
                out[int(i)] = path
    return [p or [] for p in out]


def evaluate(model: LinearCrf, dev: dict[str, Encoded], predict_with=None) -> dict[str, Score]:
    """Person scores per DEV set; `predict_with` decodes with another model kind (the BiLSTM-CRF's)."""
    scores = {}
    for name, enc in dev.items():
        pred = (predict_with or predict)(model, enc)
        gold = [[LABELS[int(x)] for x in enc.labels[enc.offsets[i]:enc.offsets[i + 1]]] for i in range(len(enc))]
        scores[name] = per_score(gold, [[LABELS[x] for x in p] for p in pred])
    return scores


def fit(cfg: NerConfig, train: Encoded, dev: dict[str, Encoded], langs: dict[str, str],
        log: Callable[[str, dict], None]) -> tuple[LinearCrf, dict]:
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    model = LinearCrf(cfg.buckets)
    sparse = torch.optim.SparseAdam([model.emit.weight], lr=cfg.learning_rate)
    dense = torch.optim.Adam([model.trans, model.start, model.end], lr=cfg.learning_rate)
    best: dict = {"score": -1.0}
    best_state = None
    # The running mean of the weights over every step so far (Polyak averaging): it is what gets
    # evaluated and shipped, and it overfits far less than the last step's weights.
    params = [model.emit.weight, model.trans, model.start, model.end]
    mean = [p.detach().clone() for p in params]
    seen = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        total = 0.0
        batches = _batches(train, cfg.batch_size, rng)
        for step, idx in enumerate(batches):
            em, labels, mask = _padded(model, train, idx)
            loss = model.nll(em, labels, mask) / len(idx)
            if cfg.l2:
                rows = torch.from_numpy(np.unique(train.rows[np.concatenate(
                    [np.arange(train.offsets[i], train.offsets[i + 1]) for i in idx])]).astype(np.int64))
                loss = loss + cfg.l2 * model.emit(rows.unsqueeze(1)).pow(2).sum()
            sparse.zero_grad()
            dense.zero_grad()
            loss.backward()
            sparse.step()
            dense.step()
            seen += 1
            with torch.no_grad():
                for m, p in zip(mean, params):
                    m.add_(p - m, alpha=1.0 / seen)
            total += float(loss.detach())
            if step % 500 == 0:
                log("progress", {"epoch": epoch, "step": step, "steps": len(batches), "loss": round(total / (step + 1), 4)})
        model.eval()
        current = [p.detach().clone() for p in params]
        if cfg.average:
            with torch.no_grad():
                for m, p in zip(mean, params):
                    p.copy_(m)
        scores = evaluate(model, dev)
        score, per_lang = selection_score(scores, langs)
        log("eval", {"epoch": epoch, "score": round(score, 4), "per_lang": {k: v.as_dict() for k, v in per_lang.items()},
                     "dev": {k: v.as_dict() for k, v in scores.items()}})
        if score > best["score"]:
            best = {"score": score, "epoch": epoch, "per_lang": {k: v.as_dict() for k, v in per_lang.items()},
                    "dev": {k: v.as_dict() for k, v in scores.items()}}
            best_state = copy.deepcopy(model.state_dict())
        with torch.no_grad():
            for c, p in zip(current, params):
                p.copy_(c)
    if best_state is not None:
        model.load_state_dict(best_state)
    return model, best


def choose_person_bias(model: LinearCrf, dev: dict[str, Encoded], langs: dict[str, str], biases: tuple[float, ...],
                       log: Callable[[float, float], None]) -> float:
    """Adds to every token's B-PER and I-PER score the value of `biases` that scores best on DEV
    (a CRF trained on news and law is shy of names in support text). A constant on a label's
    emission is a constant on every move into it, so it goes into the transitions and the start
    scores: the exported file has no extra field, and the hub needs no extra step."""
    into_person = torch.tensor([1.0 if label.endswith("-PER") else 0.0 for label in LABELS])
    best_bias, best_score = 0.0, -1.0
    with torch.no_grad():
        for b in biases:
            model.trans.add_(b * into_person.unsqueeze(0))
            model.start.add_(b * into_person)
            score, _ = selection_score(evaluate(model, dev), langs)
            log(b, score)
            if score > best_score:
                best_bias, best_score = b, score
            model.trans.sub_(b * into_person.unsqueeze(0))
            model.start.sub_(b * into_person)
        model.trans.add_(best_bias * into_person.unsqueeze(0))
        model.start.add_(best_bias * into_person)
    return best_bias
