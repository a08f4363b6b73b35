"""Writes the trained tagger as the file the hub reads (src/datasets/pii/ner/model.ts), plus a
parity fixture: texts with the tokens, feature rows and labels this side computes, which the hub's
tests must reproduce exactly.

    "TLNER v1" (8 bytes) | u32 LE header length | header JSON | zero padding to 8 bytes
    | int16 LE weights [buckets x labels] | float32 LE transitions [labels x labels], start, end
    | sha256 of everything before it (32 bytes)

Nothing in the file depends on the clock or the machine, so the same data and seed give the same
bytes.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .features import (CONJUNCTIONS, FEATURE_VERSION, LABELS, OFFSET_KINDS, Lexicon, feature_rows, tokenize)

MAGIC = b"TLNER v1"
FORBIDDEN = -1e30  # a BIO move the tagger may never make; the hub reads it as -Infinity


@dataclass
class Quantized:
    weights: np.ndarray  # (buckets, K) int16
    scale: float
    trans: np.ndarray    # (K, K) float32, forbidden moves FORBIDDEN
    start: np.ndarray    # (K,) float32
    end: np.ndarray      # (K,) float32

    def dense(self) -> np.ndarray:
        return self.weights.astype(np.float64) * self.scale


def quantize(model) -> Quantized:
    w = model.emit.weight.detach().numpy()[:-1].astype(np.float64)  # drop the padding row
    scale = float(np.abs(w).max()) / 32767.0 or 1.0
    q = np.clip(np.rint(w / scale), -32767, 32767).astype("<i2")
    trans, start = model.transitions()
    t = trans.detach().numpy().astype(np.float32)
    t[model.trans_mask.numpy() < 0] = FORBIDDEN
    s = start.detach().numpy().astype(np.float32)
    s[model.start_mask.numpy() < 0] = FORBIDDEN
    return Quantized(q, scale, t, s, model.end.detach().numpy().astype(np.float32))


def header(name: str, q: Quantized, lexicon: Lexicon, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": 1, "name": name, "feature_version": FEATURE_VERSION, "labels": LABELS,
        "buckets": int(q.weights.shape[0]), "scale": q.scale,
        "offset_kinds": [[o, list(k)] for o, k in OFFSET_KINDS.items()],
        "conjunctions": [[i, [[o, k] for o, k in parts]] for i, parts in CONJUNCTIONS],
        "lexicon_sha256": lexicon.sha256, **extra,
    }


def write_model(path: Path, name: str, q: Quantized, lexicon: Lexicon, extra: dict[str, Any]) -> str:
    """Writes the file; returns its version string `<name>@<sha256 prefix>` (as the hub shows it)."""
    head = json.dumps(header(name, q, lexicon, extra), sort_keys=True, ensure_ascii=False).encode("utf-8")
    body = bytearray(MAGIC)
    body += struct.pack("<I", len(head)) + head
    body += b"\0" * ((-len(body)) % 8)
    body += q.weights.astype("<i2").tobytes()
    body += q.trans.astype("<f4").tobytes() + q.start.astype("<f4").tobytes() + q.end.astype("<f4").tobytes()
    body += hashlib.sha256(bytes(body)).digest()
    path.write_bytes(bytes(body))
    return f"{name}@{hashlib.sha256(bytes(body)).hexdigest()[:12]}"


def decode(q: Quantized, rows: list[list[int]]) -> list[int]:
    """Viterbi in float64 over dequantised weights, ties to the lowest label (as tagger.ts)."""
    k = len(LABELS)
    w = q.weights
    emit = np.zeros((len(rows), k))
    for i, r in enumerate(rows):
        emit[i] = w[r].astype(np.float64).sum(0) * q.scale if r else 0.0
    trans = np.where(q.trans <= -1e4, -np.inf, q.trans.astype(np.float64))
    start = np.where(q.start <= -1e4, -np.inf, q.start.astype(np.float64))
    score = start + emit[0]
    back = np.zeros((len(rows), k), dtype=np.int64)
    for i in range(1, len(rows)):
        cand = score[:, None] + trans
        back[i] = cand.argmax(0)
        score = cand.max(0) + emit[i]
    score = score + q.end.astype(np.float64)
    path = [int(score.argmax())]
    for i in range(len(rows) - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def parity_fixture(texts: list[str], q: Quantized, lexicon: Lexicon, rows_for: int) -> dict[str, Any]:
    """Tokens and labels of every text; feature rows of the first `rows_for` (they are long)."""
    cases = []
    for n, text in enumerate(texts):
        toks = tokenize(text)
        rows = feature_rows([t for _, _, t in toks], lexicon, int(q.weights.shape[0]))
        # Offsets as the hub counts them: UTF-16 code units, not code points.
        u16 = [0]
        for ch in text:
            u16.append(u16[-1] + (2 if ord(ch) > 0xFFFF else 1))
        case = {"text": text, "tokens": [[u16[s], u16[e], t] for s, e, t in toks],
                "labels": [LABELS[i] for i in decode(q, rows)] if toks else []}
        if n < rows_for:
            case["rows"] = rows
        cases.append(case)
    return {"labels": LABELS, "cases": cases}
