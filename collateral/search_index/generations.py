"""Index generations and the pointer to the live one.

Layout: ``root/CURRENT`` names the live generation folder ``root/gen-<ns>/``; a rebuild fills a
fresh generation and swaps ``CURRENT`` atomically, so no searcher ever sees a half-built index.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path

from whoosh import index

from .schema import new_schema

_GENERATION = re.compile(r"gen-\d{20}")


class Generations:
    """The generation folders under one root and the ``CURRENT`` file naming the live one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read_current(self) -> str | None:
        """The live generation's folder name, or None when there is no usable one."""
        try:
            name = (self.root / "CURRENT").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        if not _GENERATION.fullmatch(name):
            raise RuntimeError(f"{self.root / 'CURRENT'} names {name!r}, not a generation folder")
        return name if (self.root / name).is_dir() else None

    def current(self) -> str:
        """The live generation's folder name, making an empty index first if there is none."""
        name = self.read_current()
        if name is None:
            self.ensure_exists()
            name = self.read_current()
            assert name is not None
        return name

    def open(self, name: str) -> index.Index:
        """The Whoosh index in generation folder `name`."""
        return index.open_dir(self.root / name)

    def new(self) -> str:
        """Make an empty index in a new folder whose name sorts after every existing one."""
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = time.time_ns()
        while True:
            name = f"gen-{stamp:020d}"
            try:
                (self.root / name).mkdir()
                break
            except FileExistsError:
                stamp += 1
        index.create_in(self.root / name, new_schema())
        return name

    def _write_temp_pointer(self, name: str) -> Path:
        temp = self.root / f".CURRENT.{uuid.uuid4().hex}"
        with open(temp, "w", encoding="ascii") as out:
            out.write(name + "\n")
            out.flush()
            os.fsync(out.fileno())
        return temp

    def ensure_exists(self) -> None:
        """Create an empty index if there is none."""
        if self.read_current() is not None:
            return
        name = self.new()
        if (self.root / "CURRENT").exists():
            # Its folder was deleted by hand: start empty, so `rebuild` can restore it.
            self.swap_to(name)
            return
        temp = self._write_temp_pointer(name)
        try:
            # link() refuses to replace, so of two processes racing here exactly one wins.
            os.link(temp, self.root / "CURRENT")
        except FileExistsError:
            self.discard(name)
        finally:
            temp.unlink()

    def swap_to(self, name: str) -> None:
        """Make generation `name` the live one, atomically."""
        os.replace(self._write_temp_pointer(name), self.root / "CURRENT")

    def discard(self, name: str) -> None:
        """Delete generation folder `name`, as far as it exists."""
        shutil.rmtree(self.root / name, ignore_errors=True)

    def remove_before(self, keep: str) -> None:
        """Delete generations older than `keep` (the previous one, still open in searchers)."""
        for path in self.root.glob("gen-*"):
            if _GENERATION.fullmatch(path.name) and path.name < keep:
                shutil.rmtree(path, ignore_errors=True)
