"""Giving the C heap's free pages back to the system after a build that made many objects."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _libc() -> ctypes.CDLL | None:
    # Looked up once: find_library runs `ldconfig -p` in a subprocess, and trim() runs
    # after every chart drawn.
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


def trim() -> bool:
    """glibc's `malloc_trim(0)`: whether it ran (False where the C library is not glibc).

    glibc keeps memory that was freed for later allocations; after a build whose temporaries
    are gone, that is tens to hundreds of MB of resident memory nobody will use again.
    """
    libc = _libc()
    try:
        libc.malloc_trim(0)  # type: ignore[union-attr]
    except AttributeError:  # no C library found, or one without malloc_trim (not glibc)
        return False
    return True
