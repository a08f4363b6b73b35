"""Train the hub's person-name tagger (a linear-chain CRF over hashed word features) on the CPU.

    # the shipped model: ../shared/datasets (NER corpora + GermEval dev) and the hub's word lists
    python -m tuneloop_worker train-ner --out /tmp/ner-model
    cp /tmp/ner-model/names.tlner ../src/datasets/pii/ner/model/names.tlner
    cp /tmp/ner-model/parity.json ../src/datasets/pii/ner/model/parity.json

    # a quick run on a slice (tests): 200 sentences per corpus, one epoch, a small table
    python -m tuneloop_worker train-ner --out /tmp/ner-tiny --limit 200 --epochs 1 --buckets 4096

Learns from the TRAIN splits of ../shared/datasets/ner (MISC → O) plus support-style messages
built from templates and the hub's name lists (tuneloop_worker/ner/synth.py), with lower-cased
copies; picks the epoch by person F1 on the DEV splits and the "dev" half of GermEval 2014 dev.
Test splits are never read. Fixed seed, 2 CPU threads: about 20 minutes on a 2-core x86_64 CPU
(2026-12-07), peak memory about 4 GiB.

Writes to --out: names.tlner (the model, about 7 MB), parity.json (texts with the tokens, feature
rows and labels the hub must reproduce), report.json (config, data sizes, dev scores per set, the
model version). JSON-line events on stdout (`started`, `progress`, `eval`, `done`, `error`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

WORKER_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = WORKER_DIR.parent
DEFAULT_DATA = REPO_DIR.parent / "shared" / "datasets"
DEFAULT_LEXICON = REPO_DIR / "src" / "datasets" / "pii" / "data"
MODEL_NAME = "tuneloop-names-crf"

# Texts of the parity fixture: the shapes of support text the hub sees (cases, umlauts, emails,
# URLs, abbreviations, possessives, emoji, line breaks).
PARITY_TEXTS = [
    "Hallo Herr Müller,\n\nvielen Dank für Ihre Nachricht.\n\nViele Grüße\nAnna Schmidt",
    "hi anna, my order #4411 never arrived :( best, tom",
    "Dear Mr. O'Brien, Sarah's laptop (ThinkPad X1) ships from Hamburg on Monday.",
    "Bitte an j.smith@example.com oder https://example.org/help?id=12 schicken – danke, Jürgen!",
    "Ich heiße Zoë Ångström-Çelik und wohne in Köln. 😀 Grüße aus Zürich",
    "MFG\nDR. KLAUS-PETER VON DER HEYDEN\nGeschäftsführer, Müller Logistik GmbH",
    "cc: Will Smith, Rose Koch and Mark Bauer — please review by 03.11.2026.",
    "",
    "   \n\n  ",
    "U.S.A. z.B. St. Pauli J. R. R. Tolkien's books",
]


def make_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m tuneloop_worker train-ner", description=__doc__.split("\n\n")[0],
                                               formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--out", required=True, help="output folder (created; files in it are replaced)")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="the shared datasets folder (with ner/ and pii/)")
    parser.add_argument("--lexicon", default=str(DEFAULT_LEXICON), help="the hub's word lists (src/datasets/pii/data)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: NerConfig.epochs)")
    parser.add_argument("--buckets", type=int, default=None, help="weight rows, a power of two")
    parser.add_argument("--limit", type=int, default=0, help="only this many sentences per corpus (tests)")
    parser.add_argument("--seed", type=int, default=None)
    return parser


def main(args: argparse.Namespace) -> int:
    from ..errors import WorkerError, report_failure
    from ..events import Emitter, claim_stdout

    emitter = Emitter(claim_stdout())
    try:
        return _run(args, emitter)
    except WorkerError as err:
        emitter.error(err.message, err.kind)
        return err.exit_code
    except Exception as exc:  # noqa: BLE001 - every failure ends as one error event
        return report_failure(emitter, exc)


def _run(args: argparse.Namespace, emitter) -> int:
    import dataclasses
    import json
    import time

    from ..errors import WorkerError
    from ..ner.train import NerConfig

    cfg = NerConfig(limit=args.limit)
    for key in ("epochs", "buckets", "seed"):
        if getattr(args, key) is not None:
            cfg = dataclasses.replace(cfg, **{key: getattr(args, key)})
    if cfg.buckets <= 0 or cfg.buckets & (cfg.buckets - 1):
        raise WorkerError(f"--buckets must be a power of two, got {cfg.buckets}")
    data, lexicon_dir, out = Path(args.data), Path(args.lexicon), Path(args.out)
    if not (data / "ner").is_dir():
        raise WorkerError(f"{data / 'ner'} not found; pass --data (the folder holding ner/ and pii/)")
    if not (lexicon_dir / "first-names.txt").is_file():
        raise WorkerError(f"{lexicon_dir / 'first-names.txt'} not found; pass --lexicon (src/datasets/pii/data)")

    # Heavy imports only once the arguments are known to be good.
    import torch

    from ..ner.dataset import Encoder
    from ..ner.export import parity_fixture, quantize, write_model
    from ..ner.features import load_lexicon
    from ..ner.fit import choose_person_bias, evaluate, fit
    from ..ner.train import dev_sets, selection_score, training_sentences

    started = time.monotonic()
    torch.set_num_threads(cfg.threads)
    out.mkdir(parents=True, exist_ok=True)
    lexicon = load_lexicon(lexicon_dir)
    emitter.emit("started", config=dataclasses.asdict(cfg), out=str(out))
    train = training_sentences(cfg, data, lexicon, lambda m: emitter.emit("progress", message=m))
    dev = dev_sets(cfg, data, lexicon)
    encoder = Encoder(lexicon, cfg.buckets)
    train_enc = encoder.encode(train, cfg.hide_lists, cfg.seed, cfg.hide_words)
    dev_enc = {c.name: encoder.encode(c.sentences) for c in dev}
    langs = {c.name: c.lang for c in dev}
    emitter.emit("progress", message="encoded", sentences=len(train), tokens=int(train_enc.rows.shape[0]),
                 seconds=round(time.monotonic() - started, 1))
    model, best = fit(cfg, train_enc, dev_enc, langs, lambda kind, fields: emitter.emit(kind, **fields))
    bias = choose_person_bias(model, dev_enc, langs, cfg.person_biases,
                              lambda b, s: emitter.emit("progress", message="person bias", bias=b, score=round(s, 4)))
    q = quantize(model)
    # Dev scores of what ships: the int16 weights, put back into the model.
    model.emit.weight.data[:-1] = torch.from_numpy(q.dense().astype("float32"))
    shipped = evaluate(model, dev_enc)
    score, per_lang = selection_score(shipped, langs)
    extra = {"epoch": best.get("epoch"), "person_bias": bias, "dev_per_language": {k: v.as_dict() for k, v in per_lang.items()},
             "train_tokens": int(train_enc.rows.shape[0])}
    version = write_model(out / "names.tlner", MODEL_NAME, q, lexicon, extra)
    fixture = parity_fixture(PARITY_TEXTS + _dev_texts(dev), q, lexicon, rows_for=len(PARITY_TEXTS))
    (out / "parity.json").write_text(json.dumps(fixture, ensure_ascii=False) + "\n", encoding="utf-8")
    report = {"version": version, "config": dataclasses.asdict(cfg), "best_epoch": best.get("epoch"), "person_bias": bias,
              "dev": {k: v.as_dict() for k, v in shipped.items()},
              "dev_per_language": {k: v.as_dict() for k, v in per_lang.items()}, "selection_score": round(score, 4),
              "train_sentences": len(train), "train_tokens": int(train_enc.rows.shape[0]),
              "seconds": round(time.monotonic() - started, 1)}
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    emitter.emit("done", model=str(out / "names.tlner"), version=version, seconds=report["seconds"],
                 dev_per_language=report["dev_per_language"])
    return 0


def _dev_texts(dev) -> list[str]:
    """A few DEV sentences per set, joined with spaces as the hub's eval joins them."""
    texts = []
    for corpus in dev:
        texts += [" ".join(tokens) for tokens, _tags in corpus.sentences[:3]]
    return texts
