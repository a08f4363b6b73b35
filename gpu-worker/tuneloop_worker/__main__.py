"""`python -m tuneloop_worker ...`: claim stdout for events before anything else is imported."""

from tuneloop_worker.events import claim_stdout

claim_stdout()

from tuneloop_worker.cli.__main__ import main  # noqa: E402 - must come after claim_stdout

raise SystemExit(main())
