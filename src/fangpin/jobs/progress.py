"""A progress bar for commands that run a job in the terminal (tqdm on standard error, only on a terminal)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(desc: str):
    """Yields ``progress(pct, phase)`` — the signature every job runner reports with."""
    bar = tqdm(total=100, desc=desc, unit="%", file=sys.stderr, disable=not sys.stderr.isatty())
    state = {"pct": 0}

    def progress(pct, phase=""):
        pct = max(state["pct"], min(100, int(pct)))
        bar.update(pct - state["pct"])
        state["pct"] = pct
        if phase:
            bar.set_postfix_str(phase)

    try:
        yield progress
    finally:
        bar.close()
