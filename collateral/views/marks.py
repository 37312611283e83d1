"""The query's words marked in a page's text, for the page a search hit links to."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

MAX_WORDS = 20


def mark_words(text: str, query: str) -> Markup | None:
    """`text`, escaped, with each of the query's words (as a word start) in <mark>; None if none.

    A plain pattern over the text the page already shows: the index's word forms are not
    needed to point the eye at the words the rep typed.
    """
    words = sorted({w for w in re.findall(r"\w+", query.lower()) if len(w) > 1}, key=len)[::-1]
    if not words:
        return None
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words[:MAX_WORDS])) + r")", re.I)
    parts = pattern.split(text)
    if len(parts) == 1:
        return None
    return Markup("").join(
        Markup("<mark>{}</mark>").format(part) if index % 2 else escape(part)
        for index, part in enumerate(parts)
    )
