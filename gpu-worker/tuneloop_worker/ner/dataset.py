"""Sentences → hashed feature rows, vectorised with numpy (the same rows as features.feature_rows).

Each distinct token string (and its variant with the word lists hidden) is hashed once; a
sentence is then a run of type ids, padded on both sides with two BOS / EOS tokens, and every
feature row is a few numpy gathers and integer mixes over the whole corpus at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .corpora import Sentence
from .features import (BOS, CONJUNCTIONS, EOS, KINDS, LABELS, OFFSET_KINDS, Lexicon, conj_salt, offset_salt,
                       word_hashes)

M32 = np.uint64(0xFFFFFFFF)
LABEL_ID = {label: i for i, label in enumerate(LABELS)}


def fmix32_np(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.uint64) & M32
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & M32
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & M32
    h ^= h >> np.uint64(16)
    return h


def combine_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return fmix32_np(((a.astype(np.uint64) * np.uint64(0x01000193)) & M32) ^ b.astype(np.uint64))


@dataclass
class Encoded:
    """All sentences of one set: rows[offsets[i]:offsets[i+1]] are sentence i's tokens."""
    rows: np.ndarray     # (tokens, features) int32 bucket ids; `buckets` means "no feature"
    labels: np.ndarray   # (tokens,) int64
    offsets: np.ndarray  # (sentences + 1,)

    def __len__(self) -> int:
        return len(self.offsets) - 1


class Encoder:
    def __init__(self, lexicon: Lexicon, buckets: int) -> None:
        self.lexicon = lexicon
        self.buckets = buckets
        self.types: dict[tuple[str, bool, bool], int] = {}
        self.hashes: dict[str, list[int]] = {k: [] for k in KINDS}
        self.present: dict[str, list[bool]] = {k: [] for k in KINDS}
        self.bos = self._type(BOS, True, True)
        self.eos = self._type(EOS, True, True)

    def _type(self, token: str, gazetteer: bool, word: bool) -> int:
        key = (token, gazetteer, word)
        ident = self.types.get(key)
        if ident is None:
            ident = len(self.types)
            self.types[key] = ident
            h = word_hashes(token, self.lexicon, gazetteer, word)
            for k in KINDS:
                self.hashes[k].append(h.get(k, 0))
                self.present[k].append(k in h)
        return ident

    @property
    def width(self) -> int:
        return sum(len(kinds) for kinds in OFFSET_KINDS.values()) + len(CONJUNCTIONS)

    def encode(self, sentences: list[Sentence], hide_lists: float = 0.0, seed: int = 0, hide_words: float = 0.0) -> Encoded:
        """`hide_lists` / `hide_words`: shares of tokens whose word-list flags / word identity are
        hidden (training only)."""
        rng = np.random.default_rng(seed)
        ids: list[int] = []
        positions: list[int] = []
        labels: list[int] = []
        offsets = [0]
        for tokens, tags in sentences:
            ids.extend((self.bos, self.bos))
            hide = rng.random(len(tokens)) < hide_lists if hide_lists else np.zeros(len(tokens), bool)
            unk = rng.random(len(tokens)) < hide_words if hide_words else np.zeros(len(tokens), bool)
            for token, tag, h, u in zip(tokens, tags, hide, unk):
                positions.append(len(ids))
                ids.append(self._type(token, not bool(h), not bool(u)))
                labels.append(LABEL_ID[tag])
            ids.extend((self.eos, self.eos))
            offsets.append(len(positions))
        type_ids = np.asarray(ids, dtype=np.int64)
        pos = np.asarray(positions, dtype=np.int64)
        mask = np.uint64(self.buckets - 1)
        hashes = {k: np.asarray(v, dtype=np.uint64) for k, v in self.hashes.items()}
        present = {k: np.asarray(v, dtype=bool) for k, v in self.present.items()}
        columns: list[np.ndarray] = []
        for offset, kinds in OFFSET_KINDS.items():
            t = type_ids[pos + offset]
            salt = np.uint64(offset_salt(offset))
            for k in kinds:
                col = (fmix32_np(hashes[k][t] ^ salt) & mask).astype(np.int32)
                col[~present[k][t]] = self.buckets
                columns.append(col)
        for ident, parts in CONJUNCTIONS:
            acc = np.full(len(pos), conj_salt(ident), dtype=np.uint64)
            for offset, k in parts:
                acc = combine_np(acc, hashes[k][type_ids[pos + offset]])
            columns.append((fmix32_np(acc) & mask).astype(np.int32))
        rows = np.stack(columns, axis=1)
        return Encoded(rows=rows, labels=np.asarray(labels, dtype=np.int64), offsets=np.asarray(offsets, np.int64))
