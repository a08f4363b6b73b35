"""Training files: validated in plain Python (before torch loads), then handed to `datasets`.

SFT files (methods lora, qlora, full) use OpenAI's chat fine-tuning format, one object a line:

    {"messages": [{"role": "system", "content": "..."},
                  {"role": "user", "content": "..."},
                  {"role": "assistant", "content": "..."}]}

DPO files use TRL's *conversational preference format with an explicit prompt*, one object a line:

    {"prompt":   [{"role": "user", "content": "..."}],
     "chosen":   [{"role": "assistant", "content": "the better reply"}],
     "rejected": [{"role": "assistant", "content": "the worse reply"}]}

Roles are system, user and assistant. Keys beside `messages` (e.g. OpenAI's per-message `weight`)
are dropped. Error messages name the file and line but never quote the text (it may hold PII).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import WorkerError

ROLES = ("system", "user", "assistant")


def _bad(label: str, lineno: int, why: str) -> WorkerError:
    return WorkerError(f"{label} line {lineno}: {why}", "data")


def _messages(value: Any, label: str, lineno: int, key: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise _bad(label, lineno, f"'{key}' must be a non-empty list of messages")
    out = []
    for i, msg in enumerate(value):
        if not isinstance(msg, dict) or msg.get("role") not in ROLES or not isinstance(msg.get("content"), str):
            raise _bad(label, lineno, f"'{key}[{i}]' must be {{\"role\": system|user|assistant, "
                                      "\"content\": string}")
        out.append({"role": msg["role"], "content": msg["content"]})
    return out


def _sft_row(obj: Any, label: str, lineno: int) -> dict[str, Any]:
    if not isinstance(obj, dict) or "messages" not in obj:
        raise _bad(label, lineno, "expected an object with 'messages' (OpenAI chat format)")
    messages = _messages(obj["messages"], label, lineno, "messages")
    if not any(m["role"] == "assistant" and m["content"].strip() for m in messages):
        raise _bad(label, lineno, "no assistant message with content: nothing to learn from")
    return {"messages": messages}


def _dpo_row(obj: Any, label: str, lineno: int) -> dict[str, Any]:
    if not isinstance(obj, dict) or not {"prompt", "chosen", "rejected"} <= set(obj):
        raise _bad(label, lineno, "expected an object with 'prompt', 'chosen' and 'rejected' message lists")
    row = {k: _messages(obj[k], label, lineno, k) for k in ("prompt", "chosen", "rejected")}
    for k in ("chosen", "rejected"):
        if row[k][-1]["role"] != "assistant":
            raise _bad(label, lineno, f"'{k}' must end with an assistant message")
    return row


def read_rows(path: str, label: str, dpo: bool) -> list[dict[str, Any]]:
    """All rows of a JSONL file, validated; raises WorkerError(kind='data')."""
    rows = []
    parse = _dpo_row if dpo else _sft_row
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as err:
                    raise _bad(label, lineno, f"not valid JSON ({err.msg})") from None
                rows.append(parse(obj, label, lineno))
    except UnicodeDecodeError:
        raise WorkerError(f"{label} is not UTF-8 text: {path}", "data") from None
    if not rows:
        raise WorkerError(f"{label} has no examples: {path}", "data")
    return rows


def load_datasets(train_file: str, validation_file: str, dpo: bool) -> tuple[Any, Any]:
    """(train, validation) as `datasets.Dataset` objects (imports `datasets` only when called)."""
    from datasets import Dataset

    train = read_rows(train_file, "train_file", dpo)
    valid = read_rows(validation_file, "validation_file", dpo)
    return Dataset.from_list(train), Dataset.from_list(valid)
