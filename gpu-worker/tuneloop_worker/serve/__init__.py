"""`python -m tuneloop_worker serve`: an OpenAI-compatible server for one base model and its LoRA adapters."""
