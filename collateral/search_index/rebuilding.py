"""Rebuilding the index with several processes: each writes one segment of a fresh generation.

Whoosh analyses and writes postings in pure Python, so one process keeps one core busy; a new
node waits for its rebuild before it is ready. Here each part of the library (a picklable
callable that reads its documents, in asset order) runs in its own process, which reads the
database itself and writes its own segment into the fresh generation folder without the
folder's lock; then this process commits one table of contents listing the segments in the
parts' order, so document numbers follow the same order as a single-process rebuild, and swaps
the generation in. Nothing is merged: `optimize` merges the segments later if wanted.
"""

from __future__ import annotations

import marshal
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.codec.base import Segment
from whoosh.writing import PostingPool, SegmentWriter

from .generations import Generations
from .position import position_fields
from .schema import document_fields
from .values import IndexDocument
from .writing import open_writer

# Memory for each part's posting pool before it spills sorted runs to disk (as Whoosh counts it:
# the process's peak is about twice this).
PART_LIMIT_MB = 128

# Postings per chunk of a sorted run on disk.
RUN_CHUNK = 16_384

Part = Callable[[], Iterable[IndexDocument]]
# What a worker hands back: its segment (None if its part was empty) and the asset ids in it.
Written = tuple[Segment | None, list[int]]


class ChunkedPostingPool(PostingPool):
    """Whoosh's posting pool, writing its sorted runs as marshalled lists of postings.

    Whoosh pickles and unpickles each posting on its own when a pool spills to disk, which
    was a third of a large rebuild's time; a chunk at a time the same postings, in the same
    order, cost a fraction of it. Memory read back is one chunk per run.
    """

    def _write_run(self, f, items):
        chunk = []
        for item in items:
            chunk.append(item)
            if len(chunk) == RUN_CHUNK:
                marshal.dump(chunk, f)
                chunk = []
        if chunk:
            marshal.dump(chunk, f)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    # Trusted: a run this process wrote, never data from outside.
                    chunk = marshal.load(f)  # noqa: S302  # nosec B302
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


class _PreloadedLengths:
    """Each document's field lengths, read once per field from a segment's per-document
    reader: Whoosh otherwise reads one from disk for every posting written, a tenth of a
    rebuild's time. The values are the reader's own, so the postings are the same."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._fields: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._fields.get(fieldname)
        if lengths is None:
            read = self._reader.doc_field_length
            lengths = [read(doc, fieldname) for doc in range(self._reader.doc_count_all())]
            self._fields[fieldname] = lengths
        return lengths[docnum]


class PartWriter(SegmentWriter):
    """A segment writer for one part: its own temporary folder, chunked runs, and field
    lengths read once per field when the postings are written."""

    def __init__(self, ix: index.Index, limitmb: int) -> None:
        super().__init__(ix, _lk=False, limitmb=limitmb, compound=False)
        # Its sorted runs in a temporary folder of its own: Whoosh names one per index, and a
        # worker that finishes first would delete it under the other.
        self._tempstorage = ix.storage.temp_storage(f"{self.newsegment.segment_id()}.tmp")
        self.pool = ChunkedPostingPool(self._tempstorage, self.newsegment, limitmb=limitmb)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader()
        try:
            lengths = _PreloadedLengths(reader)
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
            self.fieldwriter.close()
        finally:
            reader.close()


def write_part(folder: str, part: Part, limitmb: int = PART_LIMIT_MB) -> Written:
    """Write `part`'s documents as one new segment in the index at `folder`; run in a worker.

    Takes no lock: the folder is a generation no one else writes to until it is swapped in.
    Returns the segment (None when the part is empty) and the asset ids it holds.
    """
    ix = index.open_dir(folder)
    writer = PartWriter(ix, limitmb)
    ids: list[int] = []
    try:
        for doc in part():
            writer.add_document(**document_fields(doc))
            ids.append(doc.asset_id)
        if not ids:
            writer.cancel()
            return None, ids
        segment = writer._finalize_segment()
        writer._finish()
        return segment, ids
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise


def _commit_segments(folder: Path, segments: list[Segment], position: int | None) -> None:
    """Make `segments` the generation's contents, in this order, in one commit; with
    `position`, the document recording it is the commit's own last segment."""
    writer = index.open_dir(folder).writer(limitmb=16, compound=False)
    try:
        if position is None:
            writer._close_segment()  # its own segment stays empty and is cleaned away
            writer._commit_toc(segments)
        else:
            writer.add_document(**position_fields(position))
            writer._commit_toc([*segments, writer._finalize_segment()])
    finally:
        writer._finish()


def _run_parts(folder: Path, parts: Sequence[Part], limitmb: int) -> list[Written]:
    """Each part in its own process; on the first failure the others are not waited for."""
    # spawn, not fork: the caller may be a threaded server whose locks a fork would copy held.
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(max_workers=len(parts), mp_context=context)
    try:
        futures = [executor.submit(write_part, str(folder), part, limitmb) for part in parts]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            future.result()  # raises the first failure
        return [future.result() for future in futures]
    except BaseException:
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def rebuild_in_parts(
    generations: Generations,
    parts: Sequence[Part],
    *,
    timeout: float = 60.0,
    limitmb: int = PART_LIMIT_MB,
    position: int | None = None,
) -> int:
    """Index each of `parts` in its own process into a fresh generation, swap it in, and
    return the count. Parts are read in their own processes, after the lock is taken.

    As in a single-process rebuild, the live generation's writer lock is held throughout, and a
    failure anywhere leaves the live generation as it was and no trace of the fresh one.
    """
    lock_holder = open_writer(generations, timeout, limitmb=16)
    try:
        previous = generations.current()
        name = generations.new()
        try:
            results = _run_parts(generations.root / name, parts, limitmb)
            count = _count_once([ids for _, ids in results])
            segments = [segment for segment, _ in results if segment is not None]
            _commit_segments(generations.root / name, segments, position)
            generations.swap_to(name)
        except BaseException:
            generations.discard(name)
            raise
    finally:
        lock_holder.cancel()
    generations.remove_before(previous)
    return count


def _count_once(id_lists: list[list[int]]) -> int:
    """How many assets the parts hold; an asset in two places is a caller's mistake."""
    seen: set[int] = set()
    for ids in id_lists:
        for asset_id in ids:
            if asset_id in seen:
                raise ValueError(f"Asset {asset_id} appears twice in the rebuild")
            seen.add(asset_id)
    return len(seen)
