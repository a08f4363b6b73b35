#!/usr/bin/env python3
"""Create (or refresh) the gpu-worker's virtual environment at gpu-worker/.venv.

    python3 gpu-worker/scripts/setup_venv.py [--quiet] [--torch SPEC] [--force]

Uses the Python that runs it. Installs torch first (default ``torch==2.13.0``: on our
machines pip takes a CPU build of exactly that version from local disk; any other spec may
pull a multi-GB CUDA build), then this package in editable mode with the ``dev`` extra.

Idempotent: a stamp file inside the venv records a hash of pyproject.toml, the torch spec
and this script's layout version; when it matches, nothing runs (well under a second), so
``npm test`` and ``tuneloop worker setup`` may call it every time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

# Bump when the install steps change in a way pyproject.toml does not show.
LAYOUT_VERSION = "1"
DEFAULT_TORCH = "torch==2.13.0"

WORKER_DIR = Path(__file__).resolve().parent.parent
VENV_DIR = WORKER_DIR / ".venv"
STAMP = VENV_DIR / ".tuneloop-setup-stamp"


def fail(message: str) -> "NoReturn":  # noqa: F821 - only a hint for readers
    print(f"setup_venv: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def wanted_stamp(torch_spec: str) -> str:
    pyproject = WORKER_DIR / "pyproject.toml"
    if not pyproject.is_file():
        fail(f"{pyproject} is missing; run this script from a tuneloop checkout")
    digest = hashlib.sha256()
    digest.update(pyproject.read_bytes())
    digest.update(f"\0{torch_spec}\0{LAYOUT_VERSION}\0{sys.version_info[:2]}".encode())
    return digest.hexdigest()


def venv_python() -> Path:
    return VENV_DIR / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list[str], quiet: bool, what: str) -> None:
    if not quiet:
        print(f"setup_venv: {what}: {' '.join(cmd)}", file=sys.stderr)
    # In quiet mode pip's output is captured and shown only if the step fails, so a
    # person sees why (a missing wheel, no network) instead of a bare exit code.
    result = subprocess.run(cmd, capture_output=quiet, text=True)
    if result.returncode != 0:
        if quiet:
            sys.stderr.write(result.stdout[-6000:])
            sys.stderr.write(result.stderr[-6000:])
        fail(f"{what} failed (exit {result.returncode}); command: {' '.join(cmd)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="print nothing unless something fails")
    parser.add_argument("--torch", default=os.environ.get("TUNELOOP_TORCH", DEFAULT_TORCH),
                        help=f"pip requirement for torch (default {DEFAULT_TORCH}, or $TUNELOOP_TORCH)")
    parser.add_argument("--force", action="store_true", help="reinstall even if the stamp matches")
    args = parser.parse_args(argv)

    if sys.version_info < (3, 10):
        fail(f"Python >= 3.10 is required, this is {sys.version.split()[0]} ({sys.executable})")

    stamp = wanted_stamp(args.torch)
    python = venv_python()
    if not args.force and python.exists() and STAMP.is_file() and STAMP.read_text().strip() == stamp:
        return 0

    if VENV_DIR.exists() and not python.exists():
        # A half-created venv (interrupted run) is cheaper to rebuild than to repair.
        shutil.rmtree(VENV_DIR)
    if not python.exists():
        if not args.quiet:
            print(f"setup_venv: creating {VENV_DIR} with {sys.executable}", file=sys.stderr)
        try:
            venv.EnvBuilder(with_pip=True, clear=False, symlinks=os.name != "nt").create(VENV_DIR)
        except Exception as err:  # venv raises several types; all mean the same to the user
            fail(f"could not create a venv at {VENV_DIR}: {err} "
                 "(on Debian/Ubuntu install the python3-venv package)")

    # The stamp goes away first, so an interrupted install is redone next time.
    STAMP.unlink(missing_ok=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    if args.quiet:
        pip.append("-q")
    run(pip + [args.torch], args.quiet, "installing torch")
    run(pip + ["-e", f"{WORKER_DIR}[dev]"], args.quiet, "installing tuneloop_worker[dev]")
    STAMP.write_text(stamp + "\n")
    if not args.quiet:
        print(f"setup_venv: ready: {python}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
