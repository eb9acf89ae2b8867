"""A disk quota for the sandbox work dir. RLIMIT_FSIZE caps each file, not their sum nor their number, so a
watcher on the event loop measures the work dir while the program runs and kills it past the quota."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

POLL_S = 0.02
MAX_ENTRIES = 10_000  # more files than this is an inode flood (and would make each walk slow): over quota


def used_bytes(root: str, max_entries: int = MAX_ENTRIES) -> int | None:
    """Bytes allocated under ``root`` (sparse files count their real blocks), or None past ``max_entries``."""
    total, seen, stack = 0, 0, [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > max_entries:
                        return None
                    try:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                    except OSError:  # removed while we looked
                        continue
        except OSError:
            continue
    return total


async def watch(root: str, quota_bytes: int, on_exceed: Callable[[], None]) -> None:
    """Poll ``root`` until cancelled; call ``on_exceed`` once the quota or the entry cap is passed."""
    while True:
        await asyncio.sleep(POLL_S)
        used = used_bytes(root)
        if used is None or used > quota_bytes:
            on_exceed()
            return
