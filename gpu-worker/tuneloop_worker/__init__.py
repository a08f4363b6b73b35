"""tuneloop gpu-worker: fine-tuning with TRL + PEFT, JSON-line events on stdout."""

__version__ = "0.1.0"
