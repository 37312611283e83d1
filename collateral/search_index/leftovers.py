"""What killed writers leave under the index root, found and removed only while provably unused.

A writer killed mid-commit (a gunicorn worker timeout, an out-of-memory kill) leaves segment
files no table of contents names and its `MAIN.tmp` folder of sorted runs; a rebuild killed
before its swap leaves a whole generation folder; a swap killed before it cleaned up leaves the
previous one and a `.CURRENT.*` temporary pointer. Whoosh removes unnamed segment files at its
next successful commit, but while every commit is killed they pile up.

Every writer (apply, optimize and rebuild) holds the live generation's writer lock, an flock
released by the kernel when its process dies. So leftovers are looked for, and removed, only
while this process holds that lock itself: then no writer is running, the live generation's
table of contents is final, and nothing unnamed by it is in use. The lock file itself is never
removed: another process may be opening it, and a stale one locks nothing.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh.index import TOC

from .generations import Generations

_GENERATION = re.compile(r"gen-\d{20}")


@contextmanager
def _writer_lock(generations: Generations) -> Iterator[str | None]:
    """The live generation's name with its writer lock held, or None while another holds it."""
    name = generations.read_current()
    if name is None:
        yield None
        return
    ix = generations.open(name)
    lock = ix.lock("WRITELOCK")
    if not lock.acquire(blocking=False):
        yield None
        return
    try:
        # A rebuild may have swapped generations while the lock was being taken.
        yield name if generations.read_current() == name else None
    finally:
        lock.release()


def _older_than(path: Path, min_age: float, now: float) -> bool:
    try:
        return now - path.lstat().st_mtime >= min_age
    except FileNotFoundError:
        return False


def _unused(generations: Generations, live: str, min_age: float) -> list[Path]:
    """The leftovers under the root, with the live generation `live` locked by the caller."""
    root, now = generations.root, time.time()
    found = [
        path
        for path in root.iterdir()
        if (_GENERATION.fullmatch(path.name) and path.name != live)
        or path.name.startswith(".CURRENT.")
    ]
    ix = generations.open(live)
    toc = TOC.read(ix.storage, ix.indexname)
    named = {segment.segment_id() for segment in toc.segments}
    own_toc = f"_{ix.indexname}_{toc.generation}.toc"
    toc_file = re.compile(rf"_{ix.indexname}_\d+\.toc")
    segment_file = re.compile(rf"({ix.indexname}_[0-9a-z]+)\..+")
    for path in (root / live).iterdir():
        name = path.name
        if name == f"{ix.indexname}.tmp":  # the folder of a writer's sorted runs
            found.append(path)
        elif toc_file.fullmatch(name):
            if name != own_toc:
                found.append(path)
        elif (match := segment_file.fullmatch(name)) and match.group(1) not in named:
            found.append(path)
    return sorted(path for path in found if _older_than(path, min_age, now))


def find_leftovers(generations: Generations, min_age: float) -> list[Path] | None:
    """Leftovers of killed writers at least `min_age` seconds old; None while a writer runs."""
    with _writer_lock(generations) as live:
        return None if live is None else _unused(generations, live, min_age)


def remove_leftovers(generations: Generations, min_age: float) -> list[Path] | None:
    """Remove what `find_leftovers` finds, under the writer lock; None while a writer runs."""
    with _writer_lock(generations) as live:
        if live is None:
            return None
        removed = _unused(generations, live, min_age)
        for path in removed:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return removed
