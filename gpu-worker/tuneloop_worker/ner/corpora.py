"""The labelled sentences the name tagger learns from and is selected on.

Reads ../shared/datasets/ner (``token<TAB>BIO-tag``, see its README.md) and the GermEval 2014 dev
file in ../shared/datasets/pii. Only TRAIN splits are trained on; DEV splits (and the half of
GermEval dev that scripts/eval-pii.ts calls "dev") pick the epoch. TEST splits are never read here.
MISC becomes O: half of the corpora do not label it, and it is not personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

Sentence = tuple[list[str], list[str]]  # tokens, BIO tags over LABELS

# Corpus folder → language. Train splits exist for these; test-only corpora are not listed.
TRAIN_CORPORA = {
    "de_ler_legal": "de", "de_zefys_sbb": "de", "de_europeana_newspapers": "de", "de_smartdata": "de",
    "de_mobie": "de", "en_btc": "en", "en_multiconer_v1": "en", "en_wnut17": "en", "en_wikigold": "en",
    "en_sec_filings": "en",
}
DEV_CORPORA = {
    "de_ler_legal": "de", "de_zefys_sbb": "de", "de_europeana_newspapers": "de", "de_mobie": "de",
    "en_btc": "en", "en_multiconer_v1": "en", "en_wnut17": "en", "en_wikigold": "en", "en_uner_ewt": "en",
}
KEPT = {"PER", "LOC", "ORG"}


@dataclass
class Corpus:
    name: str
    lang: str
    sentences: list[Sentence]


def _map_tag(tag: str) -> str:
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, label = tag.split("-", 1)
    return f"{prefix}-{label}" if label in KEPT and prefix in ("B", "I") else "O"


def _repair(tags: list[str]) -> list[str]:
    """An I-X whose X was mapped away or that follows another type starts an entity."""
    out: list[str] = []
    for tag in tags:
        if tag.startswith("I-") and (not out or out[-1][2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
    return out


def read_conll(path: Path, limit: int = 0) -> list[Sentence]:
    """The sentences of one CoNLL file; with `limit`, only the first `limit` (read no further)."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                if tokens:
                    sentences.append((tokens, _repair(tags)))
                    tokens, tags = [], []
                    if limit and len(sentences) >= limit:
                        return sentences
                continue
            word, _, tag = line.rstrip("\n").partition("\t")
            tokens.append(word)
            tags.append(_map_tag(tag.strip()))
    if tokens:
        sentences.append((tokens, _repair(tags)))
    return sentences


def germeval_part(sentence_id: str) -> str:
    """The half of GermEval dev a sentence is in, as `part()` in scripts/eval-pii.ts decides it."""
    return "dev" if hashlib.sha1(sentence_id.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"


def read_germeval_dev_half(path: Path) -> list[Sentence]:
    """The "dev" half of the GermEval 2014 dev file (the other half is scripts/eval-pii.ts's held-out)."""
    out: list[Sentence] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        row = json.loads(line)
        if germeval_part(str(row["id"])) != "dev":
            continue
        tags = []
        for tag in row["ner_tags"]:
            # Outer column: PER/LOC/ORG kept, OTH and every *deriv / *part label are not names.
            prefix, _, label = tag.partition("-")
            tags.append(f"{prefix}-{label}" if label in KEPT else "O")
        out.append((list(row["tokens"]), _repair(tags)))
    return out


def load_corpora(root: Path, split: str, names: dict[str, str], limit: int = 0) -> list[Corpus]:
    corpora = []
    for name, lang in names.items():
        path = root / "ner" / name / f"{split}.conll"
        if path.is_file():
            corpora.append(Corpus(name, lang, read_conll(path, limit)))
    return corpora


def entity_spans(tags: list[str], label: str = "PER") -> set[tuple[int, int]]:
    """(first, last+1) token ranges of one entity type in BIO tags."""
    spans: set[tuple[int, int]] = set()
    start = -1
    for i, tag in enumerate(tags + ["O"]):
        if start >= 0 and tag != f"I-{label}":
            spans.add((start, i))
            start = -1
        if tag == f"B-{label}":
            start = i
    return spans
