"""Which trials a sweep runs (pure: no model)."""

from __future__ import annotations

import io

from tuneloop_worker.config import SweepSettings
from tuneloop_worker.events import Emitter
from tuneloop_worker.sweep import trial_params


def test_grid_runs_every_combination_and_trials_caps_it():
    space = {"learning_rate": [1e-5, 1e-4], "lora_r": [8, 16]}
    stream = io.StringIO()
    assert len(trial_params(SweepSettings("grid", space), 0, Emitter(stream, enabled=True))) == 4
    capped = trial_params(SweepSettings("grid", space, trials=3), 0, Emitter(stream, enabled=True))
    assert len(capped) == 3 and "running the first 3" in stream.getvalue()


def test_random_samples_distinct_combinations_reproducibly():
    space = {"learning_rate": [1e-5, 3e-5, 1e-4], "epochs": [1, 2, 3]}
    emitter = Emitter(io.StringIO(), enabled=True)
    plan = trial_params(SweepSettings("random", space, trials=4), 42, emitter)
    assert len(plan) == 4 and len({tuple(sorted(p.items())) for p in plan}) == 4
    assert plan == trial_params(SweepSettings("random", space, trials=4), 42, emitter)
