"""The change-log position an index has applied, kept as a reserved document in the index.

The position is written by the same Whoosh commit as the documents it accounts for (`apply`,
`rebuild`), so a crash can never leave an index claiming changes it does not hold. A new, empty
index has applied nothing (position 0): following the log from its start makes it whole as
long as nothing was ever pruned from the log (else it is older than the log, and rebuilt).
The reserved document has asset id 0 (no asset has it), no text and no status, so no search
can match it; its `fingerprint` column holds the position.
"""

from __future__ import annotations

from typing import Any

from whoosh import query
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

POSITION_ASSET_ID = 0


def position_fields(position: int) -> dict[str, Any]:
    """The fields of the reserved document recording `position`."""
    return {"asset_id": POSITION_ASSET_ID, "fingerprint": int(position)}


def read_position(reader: IndexReader) -> int | None:
    """The position recorded in the index `reader` reads: 0 for an index that has never held
    a document (it has applied nothing); None for one that holds documents but no position
    (written by an older release: only a rebuild can say what it holds)."""
    if reader.doc_count_all() == 0:
        return 0
    if not reader.has_column("fingerprint"):
        return None
    searcher = Searcher(reader, closereader=False)
    docs = list(searcher.docs_for_query(query.Term("asset_id", POSITION_ASSET_ID)))
    if not docs:
        return None
    return int(reader.column_reader("fingerprint")[docs[-1]])
