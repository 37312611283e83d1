"""Text people typed, made safe to show beside other text.

A bidirectional control (an override such as U+202E, an embedding, an isolate or a mark) typed
into a title reverses or reorders the text after it on every page that shows it, and can make a
name read as another ("txt.exe" shown as "exe.txt"). Removed at input, so pages, exports, the
index and thumbnails all hold the bare text.
"""

from __future__ import annotations

# LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; LRM, RLM; the Arabic letter mark.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_REMOVE_BIDI = {ord(char): None for char in BIDI_CONTROLS}


def strip_bidi_controls(text: str) -> str:
    """The text without bidirectional controls; right-to-left letters themselves are kept."""
    return text.translate(_REMOVE_BIDI)
