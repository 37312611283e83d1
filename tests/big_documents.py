"""Big documents as real libraries hold them: a long text of distinct words, exported sheets.

Shared by the tests of bounded indexing and highlighting and by bench/highlight.py.
"""

from __future__ import annotations

COMMON_WORD = "zebrafin"  # in every big document, so one search matches them all


def distinct_word(number: int) -> str:
    """A made-up lower-case word, different for each number (base 26, at least 5 letters)."""
    number += 26**4
    letters = []
    while number:
        number, rest = divmod(number, 26)
        letters.append(chr(97 + rest))
    return "".join(letters)


def distinct_words_text(size: int, start: int = 0) -> bytes:
    """About `size` bytes of text: the common word, then distinct words, twelve a line."""
    lines, length, number = [f"{COMMON_WORD} handbook"], 0, start
    while length < size:
        line = " ".join(distinct_word(n) for n in range(number, number + 12))
        number += 12
        lines.append(line)
        length += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def csv_export(size: int, start: int = 0) -> bytes:
    """About `size` bytes of a CRM export: a header, the common word, then distinct rows."""
    lines = ["id,name,email,amount,note", f"0,{COMMON_WORD},,0,"]
    length, number = 0, start
    while length < size:
        name = distinct_word(number)
        email = f"{distinct_word(number + 7_000_000)}@example.com"
        amount = f"{number * 37 % 99991}.{number % 100:02d}"
        line = f"{number},{name},{email},{amount},{distinct_word(number + 3_000_000)}"
        lines.append(line)
        length += len(line) + 1
        number += 1
    return ("\n".join(lines) + "\n").encode()
