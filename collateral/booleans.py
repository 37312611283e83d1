"""Reading yes or no from text, the same way everywhere: environment settings, form fields
and query strings all accept the same words."""

from __future__ import annotations

TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off", "")
# The words a client may send, for documents that list them (the empty string means no too).
BOOL_WORDS = tuple(word for word in (*TRUE_WORDS, *FALSE_WORDS) if word)


def parse_bool(raw: str | None, name: str) -> bool:
    """`raw` as a yes or no, ignoring case and surrounding spaces; missing or empty is no.

    Anything else raises ValueError with a message naming `name` and the words accepted, for
    the caller to pass on as its own kind of error.
    """
    word = (raw or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(
        f"{name}: {raw!r} is neither yes nor no; use true or false (1 or 0, yes or no, on or off)."
    )
