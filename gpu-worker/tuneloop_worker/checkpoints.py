"""Finding the checkpoint to resume from, and clearing what a killed run left half-written.

Trainer writes `trainer_state.json` last when it saves a checkpoint
(transformers Trainer._save_checkpoint), so a folder without it was cut off mid-save. Trainer's
own `get_last_checkpoint` only looks at folder names and would resume such a folder from step 0.
"""

from __future__ import annotations

import json
import os
import re
import shutil

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
STATE_FILE = "trainer_state.json"


def list_checkpoints(folder: str) -> list[tuple[int, str]]:
    """(step, path) for every checkpoint-N folder, oldest first."""
    if not os.path.isdir(folder):
        return []
    found = []
    for name in os.listdir(folder):
        match = _CHECKPOINT.match(name)
        path = os.path.join(folder, name)
        if match and os.path.isdir(path):
            found.append((int(match.group(1)), path))
    return sorted(found)


def is_complete(path: str) -> bool:
    """trainer_state.json is present and whole (a kill while writing it leaves broken JSON)."""
    try:
        with open(os.path.join(path, STATE_FILE), encoding="utf-8") as fh:
            json.load(fh)
    except (OSError, ValueError):
        return False
    return True


def prepare_resume(folder: str, delete: bool = True) -> tuple[str | None, list[str]]:
    """Removes incomplete checkpoints (if `delete`); returns (newest complete checkpoint or None, their paths)."""
    removed = []
    last = None
    for _step, path in list_checkpoints(folder):
        if is_complete(path):
            last = path
        else:
            if delete:
                shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return last, removed


def step_of(path: str | None) -> int | None:
    if not path:
        return None
    match = _CHECKPOINT.match(os.path.basename(os.path.normpath(path)))
    return int(match.group(1)) if match else None
