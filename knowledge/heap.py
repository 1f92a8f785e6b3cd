"""Giving the C heap's free pages back to the system after a build that made many objects."""

from __future__ import annotations

import ctypes
import ctypes.util


def trim() -> bool:
    """glibc's `malloc_trim(0)`: whether it ran (False where the C library is not glibc).

    glibc keeps memory that was freed for later allocations; after a build whose temporaries
    are gone, that is tens to hundreds of MB of resident memory nobody will use again.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        return False
    return True
