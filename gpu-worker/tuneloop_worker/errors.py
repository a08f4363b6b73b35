"""The one exception type the worker turns into an `error` event and an exit code."""

from __future__ import annotations

# kind -> exit code. 2 means "a person must change something before retrying" (the hub should not
# retry); 1 means the run failed while training and a retry may help.
EXIT_CODES = {
    "config": 2,       # bad or impossible config value, unknown key, missing file
    "data": 2,         # a train/validation file that is not valid JSONL in the expected format
    "environment": 2,  # the machine cannot run this config (qlora without CUDA, bitsandbytes missing)
    "model": 2,        # the base model or its tokenizer cannot be used (no chat template, not found)
    "out_of_memory": 1,
    "runtime": 1,
    "cancelled": 130,  # SIGINT/SIGTERM: the hub (or a person) stopped the run; checkpoints stay for a resume
}


class WorkerError(Exception):
    """An expected failure with a message a person can act on."""

    def __init__(self, message: str, kind: str = "config") -> None:
        super().__init__(message)
        if kind not in EXIT_CODES:
            raise ValueError(f"unknown error kind {kind!r}")
        self.message = message
        self.kind = kind

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.kind]


def as_worker_error(exc: BaseException) -> WorkerError:
    """Classifies an unexpected exception from training so the hub can tell OOM from other failures."""
    if isinstance(exc, WorkerError):
        return exc
    text = f"{type(exc).__name__}: {exc}"
    # torch.cuda.OutOfMemoryError, or a RuntimeError saying so (older torch, other backends)
    if type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower():
        return WorkerError(f"{text[:500]}. Lower per_device_batch_size or max_seq_length (raise "
                           "gradient_accumulation to keep the effective batch), or use qlora.", "out_of_memory")
    return WorkerError(text[:2000], "runtime")


def report_failure(emitter, exc: BaseException) -> int:
    """Ends a command that failed: one `error` event (the traceback on stderr when the failure was
    unexpected) and the exit code of its kind. Every command ends its failures this way."""
    err = as_worker_error(exc)
    if err is not exc:
        import sys
        import traceback

        traceback.print_exc(file=sys.stderr)
    emitter.error(err.message, err.kind)
    return err.exit_code
