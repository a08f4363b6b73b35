"""`train-ner`: the person-name tagger the hub ships (tuneloop_worker/ner, cli/train_ner.py).

A tiny run on a slice of the shared corpora (seconds), its files, its determinism, and the
feature code against the fixture shipped next to the hub's model (the hub's tests check the
TypeScript twin against the same fixture).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from conftest import WORKER_DIR, of_type, run_worker

DATA = WORKER_DIR.parent.parent / "shared" / "datasets"
LEXICON = WORKER_DIR.parent / "src" / "datasets" / "pii" / "data"
SHIPPED = WORKER_DIR.parent / "src" / "datasets" / "pii" / "ner" / "model"

needs_data = pytest.mark.skipif(not (DATA / "ner").is_dir(), reason="../shared/datasets/ner not present")


def _header(path: Path) -> dict:
    raw = path.read_bytes()
    assert raw[:8] == b"TLNER v1"
    (length,) = struct.unpack("<I", raw[8:12])
    return json.loads(raw[12:12 + length])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("ner") / "out"
    code, events, stderr = run_worker("train-ner", "--out", str(out), "--limit", "80", "--epochs", "1",
                                      "--buckets", "2048", timeout=300)
    assert code == 0, stderr[-3000:]
    return {"out": out, "events": events}


@needs_data
def test_tiny_run_writes_model_fixture_and_report(tiny_run):
    out = tiny_run["out"]
    events = tiny_run["events"]
    assert [e["type"] for e in events][0] == "started"
    assert of_type(events, "eval") and of_type(events, "done")
    header = _header(out / "names.tlner")
    assert header["buckets"] == 2048 and header["labels"][:3] == ["O", "B-PER", "I-PER"]
    # int16 rows, three float32 tables, the sha256 trailer.
    body = (out / "names.tlner").stat().st_size
    assert body > 2048 * 7 * 2 + 32
    report = json.loads((out / "report.json").read_text())
    assert report["version"] == of_type(events, "done")[0]["version"]
    assert report["version"].startswith("tuneloop-names-crf@")
    fixture = json.loads((out / "parity.json").read_text())
    assert fixture["cases"] and all(len(c["tokens"]) == len(c["labels"]) for c in fixture["cases"])


@needs_data
def test_tiny_run_learned_something_and_is_reproducible(tiny_run, tmp_path):
    from tuneloop_worker.ner.export import MAGIC

    raw = (tiny_run["out"] / "names.tlner").read_bytes()
    assert raw.startswith(MAGIC)
    (length,) = struct.unpack("<I", raw[8:12])
    start = (12 + length + 7) // 8 * 8
    weights = raw[start:start + 2048 * 7 * 2]
    assert any(weights), "all weights are still zero"
    # Same data, same seed: the same bytes.
    code, _events, stderr = run_worker("train-ner", "--out", str(tmp_path / "again"), "--limit", "80", "--epochs", "1",
                                       "--buckets", "2048", timeout=300)
    assert code == 0, stderr[-3000:]
    assert (tmp_path / "again" / "names.tlner").read_bytes() == raw


def test_bad_arguments_end_with_an_error_event(tmp_path):
    code, events, _stderr = run_worker("train-ner", "--out", str(tmp_path / "x"), "--buckets", "1000")
    assert code == 2
    assert of_type(events, "error")[0]["message"].startswith("--buckets must be a power of two")
    code, events, _stderr = run_worker("train-ner", "--out", str(tmp_path / "x"), "--data", str(tmp_path))
    assert code == 2 and "ner" in of_type(events, "error")[0]["message"]


def test_features_match_the_fixture_shipped_with_the_hub():
    from tuneloop_worker.ner.features import feature_rows, load_lexicon, tokenize

    fixture = json.loads((SHIPPED / "parity.json").read_text(encoding="utf-8"))
    buckets = _header(SHIPPED / "names.tlner")["buckets"]
    lexicon = load_lexicon(LEXICON)
    assert lexicon.sha256 == _header(SHIPPED / "names.tlner")["lexicon_sha256"]
    for case in fixture["cases"]:
        tokens = [t for _s, _e, t in tokenize(case["text"])]
        assert tokens == [t for _s, _e, t in case["tokens"]], case["text"]
        if "rows" in case:
            assert feature_rows(tokens, lexicon, buckets) == case["rows"], case["text"]


def test_tokenizer_keeps_names_emails_and_line_breaks():
    from tuneloop_worker.ner.features import tokenize

    text = "Hi Dr. O'Brien,\n\nSarah's mail is s.o@x.de – see https://x.org/a?b=1.\nBest, J. Smith"
    assert [t for _s, _e, t in tokenize(text)] == [
        "Hi", "Dr.", "O'Brien", ",", "\n", "Sarah", "'s", "mail", "is", "s.o@x.de", "–", "see",
        "https://x.org/a?b=1", ".", "\n", "Best", ",", "J.", "Smith"]


def test_support_sentences_never_use_evaluation_names():
    from tuneloop_worker.ner.synth import is_eval_name, support_sentences

    names = ["Anna", "Tom", "Jürgen", "Priya", "Lukas", "Mia", "Ole", "Zoe"]
    first = [n for n in names if not is_eval_name(n)]
    assert first and len(first) < len(names)  # the split keeps some and holds some out
    sentences = support_sentences("de", 200, first, ["Schmidt", "Meyer"], ["Bonn"], ["Acme GmbH"], seed=3)
    held_out = {n.lower() for n in names if is_eval_name(n)}
    for tokens, tags in sentences:
        assert len(tokens) == len(tags)
        for token, tag in zip(tokens, tags):
            if tag.endswith("PER"):
                assert token.lower() not in held_out
