"""What the person-name tagger learns from and is selected on: the config, the training sentences
(corpora, support-style messages, lower-cased copies), the DEV sets, and the person F1 that
picks the epoch. The epoch loop itself is fit.py."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .corpora import (DEV_CORPORA, TRAIN_CORPORA, Corpus, Sentence, entity_spans, load_corpora,
                      read_germeval_dev_half)
from .features import Lexicon
from .synth import is_eval_name, support_sentences


@dataclass
class NerConfig:
    """Every knob of `train-ner`, with the values the shipped model was trained with."""
    seed: int = 13
    buckets: int = 1 << 19          # weight rows (a power of two); the file holds buckets x 7 int16
    epochs: int = 3
    batch_size: int = 128           # sentences per step
    learning_rate: float = 0.03     # SparseAdam on the weight rows, Adam on the transitions
    l2: float = 1e-5                # lazy L2 on the rows a batch touches
    average: bool = True            # evaluate and ship the mean of the weights over all steps
    hide_lists: float = 0.2         # share of training tokens whose word-list flags are hidden
    hide_words: float = 0.1         # share of training tokens whose word itself is hidden ("w:<unk>")
    lower_copy: float = 0.25        # share of sentences added again fully lower-cased
    lower_names_copy: float = 0.1   # share added again with only the entities lower-cased
    join_next: float = 0.3          # share of sentences glued to the next one (multi-sentence input)
    ler_plain_keep: float = 0.25    # share of entity-free LER legal sentences kept (boilerplate)
    support_per_lang: int = 8000    # synthetic support messages per language
    max_len: int = 120              # longer training sequences are cut into pieces
    # Added to the person labels' scores; the one with the best DEV F1 is kept (fit.choose_person_bias).
    person_biases: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25)
    threads: int = 2
    limit: int = 0                  # >0: only this many sentences per corpus (tests)
    corpora: dict[str, str] = field(default_factory=lambda: dict(TRAIN_CORPORA))
    dev_corpora: dict[str, str] = field(default_factory=lambda: dict(DEV_CORPORA))


def _cut(sentences: list[Sentence], max_len: int) -> list[Sentence]:
    out: list[Sentence] = []
    for tokens, tags in sentences:
        for i in range(0, len(tokens), max_len):
            piece_tags = tags[i:i + max_len]
            if piece_tags and piece_tags[0].startswith("I-"):
                piece_tags = ["B-" + piece_tags[0][2:]] + piece_tags[1:]
            out.append((tokens[i:i + max_len], piece_tags))
    return out


def _entities(corpora: list[Corpus], label: str) -> list[str]:
    """Entity strings of one type from TRAIN sentences (fillers for the support templates)."""
    seen: dict[str, None] = {}
    for c in corpora:
        for tokens, tags in c.sentences:
            for a, b in entity_spans(tags, label):
                words = tokens[a:b]
                if 1 <= len(words) <= 3 and all(w[:1].isupper() and w.isalpha() for w in words[:1]):
                    seen.setdefault(" ".join(words))
    return list(seen)


def training_sentences(cfg: NerConfig, root: Path, lexicon: Lexicon, log: Callable[[str], None]) -> list[Sentence]:
    rng = random.Random(cfg.seed)
    corpora = load_corpora(root, "train", cfg.corpora, cfg.limit)
    sentences: list[Sentence] = []
    for c in corpora:
        kept = [s for s in c.sentences
                if c.name != "de_ler_legal" or any(t != "O" for t in s[1]) or rng.random() < cfg.ler_plain_keep]
        # Glue neighbours so the tagger sees sentence ends and starts inside one input.
        i = 0
        while i < len(kept):
            tokens, tags = list(kept[i][0]), list(kept[i][1])
            while i + 1 < len(kept) and rng.random() < cfg.join_next:
                i += 1
                tokens += kept[i][0]
                tags += kept[i][1]
            sentences.append((tokens, tags))
            i += 1
        log(f"train {c.name}: {len(c.sentences)} sentences, {len(kept)} kept")
    first = [w for w in lexicon.first if not is_eval_name(w)]
    last = [w for w in lexicon.last if not is_eval_name(w)]
    # Lists are lower-cased; support text mostly capitalises names.
    first = [w[:1].upper() + w[1:] for w in first]
    last = [w[:1].upper() + w[1:] for w in last]
    for lang in ("de", "en"):
        own = [c for c in corpora if c.lang == lang]
        places = _entities(own, "LOC") or ["Berlin"]
        orgs = _entities(own, "ORG") or ["Siemens"]
        count = cfg.support_per_lang if not cfg.limit else min(cfg.support_per_lang, cfg.limit)
        sentences += support_sentences(lang, count, first, last, places, orgs, cfg.seed + (1 if lang == "de" else 2))
    augmented: list[Sentence] = []
    for tokens, tags in sentences:
        augmented.append((tokens, tags))
        r = rng.random()
        if r < cfg.lower_copy:
            augmented.append(([t.lower() for t in tokens], tags))
        elif r < cfg.lower_copy + cfg.lower_names_copy and any(t != "O" for t in tags):
            augmented.append(([t.lower() if g != "O" else t for t, g in zip(tokens, tags)], tags))
    rng.shuffle(augmented)
    return _cut(augmented, cfg.max_len)


def dev_sets(cfg: NerConfig, root: Path, lexicon: Lexicon) -> list[Corpus]:
    sets = load_corpora(root, "dev", cfg.dev_corpora, cfg.limit)
    germeval = root / "pii" / "germeval2014_ner_dev.jsonl"
    if germeval.is_file():
        sets.append(Corpus("germeval_dev_half", "de", read_germeval_dev_half(germeval)))
    first = [w[:1].upper() + w[1:] for w in lexicon.first if not is_eval_name(w)]
    last = [w[:1].upper() + w[1:] for w in lexicon.last if not is_eval_name(w)]
    for lang in ("de", "en"):
        # Training templates with another seed: checks that the support style is learnt.
        sets.append(Corpus(f"support_{lang}", lang, support_sentences(lang, 400, first, last, ["Bonn", "Leeds"],
                                                                       ["Acme GmbH", "Initech"], cfg.seed + 100)))
    if cfg.limit:
        for c in sets:
            c.sentences = c.sentences[:cfg.limit]
    return sets


@dataclass
class Score:
    gold: int = 0
    pred: int = 0
    tp: int = 0

    def add(self, other: "Score") -> None:
        self.gold += other.gold
        self.pred += other.pred
        self.tp += other.tp

    @property
    def f1(self) -> float:
        p = self.tp / self.pred if self.pred else 0.0
        r = self.tp / self.gold if self.gold else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        p = self.tp / self.pred if self.pred else 0.0
        r = self.tp / self.gold if self.gold else 0.0
        return {"gold": self.gold, "pred": self.pred, "tp": self.tp, "precision": round(p, 4), "recall": round(r, 4),
                "f1": round(self.f1, 4)}


def per_score(gold_tags: list[list[str]], pred_tags: list[list[str]]) -> Score:
    s = Score()
    for g, p in zip(gold_tags, pred_tags):
        gs, ps = entity_spans(g), entity_spans(p)
        s.gold += len(gs)
        s.pred += len(ps)
        s.tp += len(gs & ps)
    return s


def selection_score(scores: dict[str, Score], langs: dict[str, str]) -> tuple[float, dict[str, Score]]:
    """Mean over languages of the micro PER F1 of that language's dev sets."""
    per_lang: dict[str, Score] = {}
    for name, s in scores.items():
        per_lang.setdefault(langs[name], Score()).add(s)
    return sum(s.f1 for s in per_lang.values()) / max(1, len(per_lang)), per_lang
