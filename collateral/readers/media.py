"""Images and videos: no text; an image's width and height, read from its header."""

from __future__ import annotations

import warnings

from .results import Extraction


def read_image(path: str, kind: str) -> Extraction:
    """No text; width and height from the image header (pixels are not decoded)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # nothing is decoded
        with Image.open(path, formats=[kind.upper()]) as image:
            width, height = image.size
    return Extraction(metadata={"width": width, "height": height})


def read_video(path: str, kind: str) -> Extraction:
    """No text; video metadata is optional and not read."""
    return Extraction()
