"""The epoch loop of the BiLSTM-CRF (bilstm.py): batches of similar length, SparseAdam on the hashed
tables, Adam on the LSTM, the linear layer and the transitions; the best epoch on DEV kept."""

from __future__ import annotations

import copy
import time
from typing import Callable

import numpy as np
import torch

from .bilstm import BiLstmCrf
from .dataset import Encoded
from .fit import _batches, evaluate as evaluate_crf
from .train import Score, selection_score


def padded(enc: Encoded, idx: np.ndarray, pad: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """rows (B, T, F) padded with `pad` (the "no feature" row), labels (B, T), mask (B, T), lengths (B,)."""
    starts = enc.offsets[idx]
    lengths = enc.offsets[idx + 1] - starts
    b, t, f = len(idx), int(lengths.max()), enc.rows.shape[1]
    rows = np.full((b, t, f), pad, dtype=np.int64)
    labels = np.zeros((b, t), dtype=np.int64)
    mask = np.zeros((b, t), dtype=bool)
    for k, (s, n) in enumerate(zip(starts, lengths)):
        rows[k, :n] = enc.rows[s:s + n]
        labels[k, :n] = enc.labels[s:s + n]
        mask[k, :n] = True
    return (torch.from_numpy(rows), torch.from_numpy(labels), torch.from_numpy(mask),
            torch.from_numpy(lengths.astype(np.int64)))


def predict(model: BiLstmCrf, enc: Encoded, batch: int = 256) -> list[list[int]]:
    out: list[list[int] | None] = [None] * len(enc)
    model.eval()
    with torch.no_grad():
        for idx in _batches(enc, batch, None):
            rows, _labels, mask, lengths = padded(enc, idx, model.buckets)
            em = model.emissions(rows, lengths)
            for i, path in zip(idx, model.crf.viterbi(em, mask)):
                out[int(i)] = path
    return [p or [] for p in out]


def evaluate(model: BiLstmCrf, dev: dict[str, Encoded]) -> dict[str, Score]:
    return evaluate_crf(model, dev, predict_with=predict)


def fit_bilstm(model: BiLstmCrf, train: Encoded, dev: dict[str, Encoded], langs: dict[str, str], *, epochs: int,
               batch_size: int, seed: int, lr_sparse: float = 0.03, lr_dense: float = 2e-3,
               log: Callable[[str, dict], None], max_steps: int = 0,
               on_epoch: Callable[[BiLstmCrf, dict], None] | None = None) -> tuple[BiLstmCrf, dict]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    sparse = torch.optim.SparseAdam([model.crf.emit.weight, model.embed.weight], lr=lr_sparse)
    dense_params = [p for n, p in model.named_parameters() if n not in ("crf.emit.weight", "embed.weight")]
    dense = torch.optim.Adam(dense_params, lr=lr_dense)
    best: dict = {"score": -1.0}
    best_state = None
    started = time.monotonic()
    for epoch in range(1, epochs + 1):
        model.train()
        total = 0.0
        batches = _batches(train, batch_size, rng)
        if max_steps:
            batches = batches[:max_steps]
        for step, idx in enumerate(batches):
            rows, labels, mask, lengths = padded(train, idx, model.buckets)
            em = model.emissions(rows, lengths)
            loss = model.crf.nll(em, labels, mask) / len(idx)
            sparse.zero_grad()
            dense.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(dense_params, 5.0)
            sparse.step()
            dense.step()
            total += float(loss.detach())
            if step % 200 == 0:
                log("progress", {"epoch": epoch, "step": step, "steps": len(batches), "loss": round(total / (step + 1), 4),
                                 "seconds": round(time.monotonic() - started, 1)})
        scores = evaluate(model, dev)
        score, per_lang = selection_score(scores, langs)
        result = {"epoch": epoch, "score": round(score, 4), "per_lang": {k: v.as_dict() for k, v in per_lang.items()},
                  "dev": {k: v.as_dict() for k, v in scores.items()}, "seconds": round(time.monotonic() - started, 1)}
        log("eval", result)
        if score > best["score"]:
            best = {**result, "score": score}
            best_state = copy.deepcopy(model.state_dict())
        if on_epoch is not None:
            on_epoch(model, result)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return model, best
