"""`python -m tuneloop_worker evaluate`: held-out metrics for models side by side (see run.py)."""
