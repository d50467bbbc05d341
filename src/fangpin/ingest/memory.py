"""Giving freed memory back to the system after a large read (R-OPS-05).

Polars' own allocator returns what it frees. Python's C heap (glibc ``malloc``) does not always: once a
large block has been freed, glibc raises its threshold for mapping blocks of their own, later large
buffers (the Arrow data a reader receives through a pipe, for instance) come from the heap, and after
they are freed the heap keeps them, a few hundred MB after reading a county of a million people.
``give_back`` asks glibc to return its free heap pages; elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def give_back() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim``); False where unavailable."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
