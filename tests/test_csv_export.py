"""The CSV streamer the audit log and the usage reports share."""

from __future__ import annotations

import csv
import io

from collateral.csv_export import BATCH_ROWS, csv_rows


def test_rows_stream_in_batches_after_the_header():
    rows = [{"n": i, "name": f"row {i}"} for i in range(BATCH_ROWS * 2 + 1)]
    chunks = list(csv_rows(("n", "name"), iter(rows)))
    assert len(chunks) == 3  # two full batches, then the last row
    assert chunks[0].startswith("n,name\r\n0,row 0\r\n")
    assert chunks[0].count("\r\n") == BATCH_ROWS + 1
    assert chunks[1].count("\r\n") == BATCH_ROWS and chunks[2] == f"{BATCH_ROWS * 2},row 1000\r\n"
    parsed = list(csv.reader(io.StringIO("".join(chunks))))
    assert parsed[1:] == [[str(r["n"]), r["name"]] for r in rows]


def test_formulas_are_neutralised_and_none_is_empty():
    rows = [
        {"a": "=HYPERLINK(1)", "b": "+1", "c": "-2", "d": "@x", "e": "\tx", "f": None},
        {"a": "plain", "b": 3, "c": -4, "d": "a=b", "e": "", "f": 0.5},
    ]
    text = "".join(csv_rows("abcdef", rows))
    assert list(csv.reader(io.StringIO(text))) == [
        list("abcdef"),
        ["'=HYPERLINK(1)", "'+1", "'-2", "'@x", "'\tx", ""],
        ["plain", "3", "-4", "a=b", "", "0.5"],
    ]


def test_no_rows_is_the_header_alone():
    assert list(csv_rows(("id", "at"), [])) == ["id,at\r\n"]
