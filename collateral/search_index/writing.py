"""Writing to the live generation under its writer lock: apply changes, rebuild, optimize."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from whoosh import index
from whoosh.codec.base import Segment
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from .generations import Generations
from .position import position_fields, read_position
from .schema import document_fields
from .values import ChangeBatch, IndexBusy, IndexDocument

T = TypeVar("T")

log = logging.getLogger(__name__)
_warned_outdated: set[str] = set()
# A change's commit merges only the smallest segments, up to this many bytes in all, and only
# once there are a few of them. Whoosh's own policy merges by document count, so a segment
# holding one big document (hundreds of thousands of distinct words) was merged again by every
# later upload, for minutes; big segments wait for `optimize`.
MERGE_BUDGET_BYTES = 8 * 1024 * 1024
MERGE_AT_SEGMENTS = 4


def open_writer(generations: Generations, timeout: float, limitmb: int = 64) -> SegmentWriter:
    """An open writer on the live generation, lock held; the caller commits or cancels it."""
    deadline = time.monotonic() + timeout
    while True:
        generation = generations.current()
        ix = generations.open(generation)
        try:
            writer = ix.writer(
                timeout=max(0.0, deadline - time.monotonic()),
                delay=0.05,
                limitmb=limitmb,
                # Compound segments make every searcher copy the index into memory.
                compound=False,
            )
        except index.LockError as exc:
            raise IndexBusy(
                f"The search index is busy: another process held its writer lock for "
                f"{timeout:g} s. The change stays queued; apply it again shortly."
            ) from exc
        # Swapping generations needs this lock, so CURRENT can't change while we hold it;
        # but a rebuild may have swapped while we waited: then write to the new one.
        if generations.read_current() == generation:
            return writer
        writer.cancel()


@contextmanager
def _writing(
    generations: Generations, timeout: float, limitmb: int = 64, optimize: bool = False
) -> Iterator[SegmentWriter]:
    """A writer committed on success and cancelled on error."""
    writer = open_writer(generations, timeout, limitmb)
    try:
        yield writer
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    if not writer.is_closed:
        if optimize:
            writer.commit(optimize=True)
        else:
            writer.commit(mergetype=merge_small_segments)


def segment_sizes(writer: SegmentWriter, segments: list[Segment]) -> dict[str, int]:
    """The bytes on disk of each segment's files, by segment id (segments are uncompounded)."""
    sizes = dict.fromkeys((segment.segment_id() for segment in segments), 0)
    storage = writer.storage
    for name in storage.list():
        segment_id = name.partition(".")[0]
        if segment_id in sizes:
            sizes[segment_id] += storage.file_length(name)
    return sizes


def merge_small_segments(writer: SegmentWriter, segments: list[Segment]) -> list[Segment]:
    """A Whoosh merge policy bounded in cost: merge the smallest segments into the new one,
    at most MERGE_BUDGET_BYTES of them, once there are MERGE_AT_SEGMENTS; keep the rest."""
    sizes = segment_sizes(writer, segments)
    chosen, total = [], 0
    for segment in sorted(segments, key=lambda segment: sizes[segment.segment_id()]):
        size = sizes[segment.segment_id()]
        if total + size > MERGE_BUDGET_BYTES:
            break
        chosen.append(segment)
        total += size
    if len(chosen) < MERGE_AT_SEGMENTS:
        return segments
    for segment in chosen:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in chosen]


def apply(
    generations: Generations,
    upserts: Iterable[IndexDocument],
    deletes: Iterable[int] = (),
    *,
    timeout: float = 5.0,
) -> None:
    """Add or replace `upserts` and remove `deletes` (which win) in one commit.

    Both are read once the writer lock is held, so lazy iterables see the latest state.
    """
    with _writing(generations, timeout) as writer:
        if not _write_changes(writer, upserts, deletes):
            cancel_cleanly(writer)


def cancel_cleanly(writer: SegmentWriter) -> None:
    """Cancel a writer and remove the files of the segment it had begun: Whoosh's own cancel
    leaves them (empty column and posting files), and a follower that looks often would gather
    them until `check --repair`."""
    segment_id = writer.newsegment.segment_id()
    storage = writer.storage
    writer.cancel()
    for name in storage.list():
        if name.partition(".")[0] == segment_id:
            storage.delete_file(name)


def _write_changes(
    writer: SegmentWriter, upserts: Iterable[IndexDocument], deletes: Iterable[int]
) -> bool:
    """Write `upserts` and `deletes` (which win); whether there was anything to write."""
    deleted = {int(asset_id) for asset_id in deletes}
    latest: dict[int, IndexDocument] = {}
    for doc in upserts:
        latest[doc.asset_id] = doc  # update_document can't see its own writer's docs
    for asset_id in deleted:
        writer.delete_by_term("asset_id", asset_id)
    for asset_id, doc in latest.items():
        if asset_id not in deleted:
            writer.update_document(**_fitted(writer, document_fields(doc)))
    return bool(deleted or latest)


# Reads of the live generation made without the writer lock, while a writer in another process
# may be committing: the table of contents or a segment it names can vanish between being listed
# and being opened. A moment later the new commit is whole; these errors mean "look again".
_RACING_A_COMMIT = (OSError, IndexError, index.IndexError)
_LOOKS = 5


def _read_live(generations: Generations, read: Callable[[Any], T]) -> T:
    """`read(reader)` on the live generation, looking again if a commit raced the opening."""
    for attempt in range(1, _LOOKS + 1):
        try:
            with generations.open(generations.current()).reader() as reader:
                return read(reader)
        except _RACING_A_COMMIT:
            if attempt == _LOOKS:
                raise
            time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


def is_new(generations: Generations) -> bool:
    """Whether the live generation has never been brought up to date: it holds no document,
    not even the one recording a position."""
    return _read_live(generations, lambda reader: reader.doc_count_all() == 0)


def applied_position(generations: Generations) -> int | None:
    """The change-log position the live generation records (None: none recorded)."""
    return _read_live(generations, read_position)


def apply_owed(
    generations: Generations,
    owed: Callable[[int | None], ChangeBatch | None],
    *,
    timeout: float = 5.0,
) -> int | None:
    """Under the writer lock, read the position the index records, ask `owed` what follows it,
    and write that batch with its new position in one commit; returns the position after.

    `owed` gets None when the index records no position (it cannot be brought up to date by
    changes: rebuild it) and returns None when nothing is owed.
    """
    with _writing(generations, timeout) as writer:
        with writer.reader() as reader:
            position = read_position(reader)
            empty = reader.doc_count_all() == 0
        batch = owed(position)
        if batch is None and empty and position == 0:
            # A new index with nothing owed records that it is up to date (see `is_new`).
            batch = ChangeBatch(upserts=[], deletes=[], position=0)
        if batch is None:
            cancel_cleanly(writer)
            return position
        _write_changes(writer, batch.upserts, batch.deletes)
        writer.update_document(**position_fields(batch.position))
    return batch.position


def _fitted(writer: SegmentWriter, values: dict[str, Any]) -> dict[str, Any]:
    """The fields the live generation's schema has; an index built by an older release lacks some.

    Writing on without them keeps uploads and edits working until the operator rebuilds;
    refusing would fail every write with Whoosh's UnknownFieldError.
    """
    known = set(writer.schema.names())
    missing = sorted(set(values) - known)
    if not missing:
        return values
    folder = str(writer.storage.folder)
    if folder not in _warned_outdated:
        _warned_outdated.add(folder)
        log.warning(
            "The search index in %s predates the field(s) %s, so they are not searchable yet; "
            "run `flask --app wsgi reindex` to rebuild it.",
            folder,
            ", ".join(missing),
        )
    return {name: value for name, value in values.items() if name in known}


def rebuild(
    generations: Generations,
    documents: Iterable[IndexDocument],
    *,
    timeout: float = 60.0,
    position: int | None = None,
) -> int:
    """Index `documents` into a fresh generation, swap it in, and return the count.

    The live generation's writer lock is held throughout, so apply() elsewhere waits or
    raises IndexBusy instead of writing to a generation about to be replaced; pass a lazy
    iterable so the documents are read from the database after the lock is taken. `position`
    is the change-log position the documents account for, recorded in the same commit.
    """
    with _writing(generations, timeout, limitmb=16) as lock_holder:
        previous = generations.current()
        name = generations.new()
        try:
            writer = generations.open(name).writer(limitmb=256, compound=False)
            count, seen = 0, set()
            try:
                for doc in documents:
                    if doc.asset_id in seen:
                        raise ValueError(f"Asset {doc.asset_id} appears twice in the rebuild")
                    seen.add(doc.asset_id)
                    writer.add_document(**document_fields(doc))
                    count += 1
                if position is not None:
                    writer.add_document(**position_fields(position))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            generations.swap_to(name)
        except BaseException:
            generations.discard(name)
            raise
        lock_holder.cancel()
    generations.remove_before(previous)
    return count


def optimize(generations: Generations, *, timeout: float = 30.0) -> None:
    """Merge all segments into one."""
    with _writing(generations, timeout, limitmb=128, optimize=True):
        pass
