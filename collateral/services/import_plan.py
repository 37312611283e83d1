"""Planning a bulk import: the files under a folder and the manifest's metadata, checked row by row.

Nothing is stored here: every file found gets its metadata, or the reason (with the manifest's
line number) it will not be imported, before the first file is read.
"""

from __future__ import annotations

import csv
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from ..errors import InvalidInput
from ..extensions import db
from ..models import User
from ..permissions import ADMINISTER, ASSIGN_OWNERS, UPLOAD, can, roles_with
from .accounts import find_user
from .asset_fields import FIELDS, LIST_FIELDS, MAX_TITLE, AssetFields, parse_asset_fields

COLUMNS = ("file", *FIELDS)
LIST_SEPARATOR = ";"


@dataclass
class PlannedFile:
    """A file found under the folder, with its metadata or the reason it will not be imported."""

    relpath: str  # relative to the folder, with "/", as the manifest names it
    path: Path  # the regular file to read (a link inside the folder is resolved)
    size: int
    fields: AssetFields | None = None
    error: str | None = None


@dataclass
class Outcome:
    file: str
    status: str  # imported, skipped or failed
    reason: str = ""  # why skipped or failed; for an import without text, why it has none
    asset_id: int | None = None


@dataclass
class ImportPlan:
    folder: Path
    manifest: Path | None
    files: list[PlannedFile]
    settled: list[Outcome]  # decided while planning: rows naming no file, links out of the folder
    hidden: int = 0


def importing_user(email: str | None) -> User:
    """The uploader: the user with this email, or the first active admin."""
    if email:
        user = find_user(email)
        if user is None:
            raise InvalidInput(f"--as: no user with the email {email}.")
        if not user.active:
            raise InvalidInput(f"--as: {user.email} is deactivated.")
        if not can(user, UPLOAD):
            raise InvalidInput(
                f"--as: {user.email} is a {user.role}; only marketers and admins add collateral."
            )
        return user
    admin = db.session.scalar(
        select(User)
        .where(User.role.in_(roles_with(ADMINISTER)), User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )
    if admin is None:
        raise InvalidInput("No active admin to import as; pass --as EMAIL of a marketer or admin.")
    return admin


def title_from_filename(name: str) -> str:
    """A readable title from a file name: "q3_pricing-sheet.pdf" gives "Q3 pricing sheet"."""
    stem = PurePosixPath(name).stem if "." in name.lstrip(".") else name
    words = " ".join(re.sub(r"[_\-.]+", " ", stem).split()) or name
    return (words[:1].upper() + words[1:])[:MAX_TITLE]


def _key(relpath: str) -> str:
    return unicodedata.normalize("NFC", relpath)


def _walk(root: Path, leave_out: Path | None) -> tuple[list[PlannedFile], list[Outcome], int]:
    """Regular files under root in sorted order; never a hidden one or a link out of root."""
    files: list[PlannedFile] = []
    settled: list[Outcome] = []
    hidden = 0

    def settle(path: str | Path, status: str, reason: str) -> None:
        settled.append(Outcome(Path(path).relative_to(root).as_posix(), status, reason))

    def unreadable(exc: OSError) -> None:
        settle(exc.filename, "failed", f"cannot read the folder: {exc.strerror}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):  # links not entered
        here = Path(dirpath)
        hidden += sum(1 for name in dirnames + filenames if name.startswith("."))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in dirnames:
            if (here / name).is_symlink():
                settle(here / name, "skipped", "a link to a folder; links are not followed")
        for name in sorted(n for n in filenames if not n.startswith(".")):
            path = here / name
            if path == leave_out:
                continue
            try:
                target = path.resolve(strict=True) if path.is_symlink() else path
                if not target.is_relative_to(root):
                    settle(path, "skipped", "a link to outside the folder")
                    continue
                info = os.stat(target)
            except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links
                reason = getattr(exc, "strerror", None) or str(exc)
                settle(path, "failed", f"cannot read the file: {reason}")
                continue
            if not stat.S_ISREG(info.st_mode):
                settle(path, "skipped", "not a regular file")
                continue
            files.append(PlannedFile(path.relative_to(root).as_posix(), target, info.st_size))
    files.sort(key=lambda f: f.relpath)
    return files, settled, hidden


@dataclass
class ManifestRow:
    line: int
    cells: dict[str, str]
    error: str | None = None


def _read_manifest(path: Path) -> list[ManifestRow]:
    """The manifest's rows; a header without `file`, or with unknown columns, stops everything."""
    hint = f"the first row must name the columns: {', '.join(COLUMNS)}"
    rows: list[ManifestRow] = []
    line = 1
    try:
        with open(path, encoding="utf-8-sig", newline="") as source:
            reader = csv.reader(source)
            header = [cell.strip().lower() for cell in next(reader, [])]
            if not any(header):
                raise InvalidInput(f"manifest line 1: the manifest is empty; {hint}.")
            for number, name in enumerate(header, start=1):
                if name not in COLUMNS:
                    what = f"unknown column {name!r}" if name else f"column {number} has no name"
                    if ";" in name:
                        what += " (separate columns with commas)"
                    raise InvalidInput(f"manifest line 1: {what}; {hint}.")
                if header.count(name) > 1:
                    raise InvalidInput(f"manifest line 1: column {name!r} appears twice.")
            if "file" not in header:
                raise InvalidInput(f"manifest line 1: no 'file' column; {hint}.")
            end = reader.line_num
            for cells in reader:
                line, end = end + 1, reader.line_num  # a quoted cell may span lines
                if not any(cell.strip() for cell in cells):
                    continue
                row = ManifestRow(line, dict(zip(header, cells, strict=False)))
                if any(cell.strip() for cell in cells[len(header) :]):
                    row.error = f"{len(cells)} cells, but the header names {len(header)} columns."
                rows.append(row)
    except OSError as exc:
        raise InvalidInput(f"manifest: cannot read {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"manifest: not UTF-8 text (near line {line}); save it as 'CSV UTF-8'."
        ) from exc
    except csv.Error as exc:
        raise InvalidInput(f"manifest line {line}: {exc}.") from exc
    return rows


def _manifest_key(root: Path, name: str, found: dict[str, PlannedFile]) -> str:
    """The found file a manifest row names, by its path relative to the folder."""
    if not name:
        raise InvalidInput("the file cell is empty; name a file relative to the folder.")
    if "\x00" in name:
        raise InvalidInput(f"file {name!r} contains a NUL character.")
    posix = name.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        raise InvalidInput(f"file {name!r} is an absolute path; give it relative to {root}.")
    parts = [part for part in posix.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidInput(f"file {name!r} points outside {root}; give a path inside it.")
    key = _key("/".join(parts))
    if key in found:
        return key
    full = root.joinpath(*parts)
    if parts and full.is_dir():
        raise InvalidInput(f"file {name!r} is a folder, not a file.")
    if parts and os.path.lexists(full):
        raise InvalidInput(
            f"file {name!r} is left out (hidden, a link out of the folder, or not a regular file)."
        )
    raise InvalidInput(f"file {name!r} does not exist in {root}.")


def _fields_for(planned: PlannedFile, row: ManifestRow | None, user: User) -> AssetFields:
    """The asset fields of a file: its manifest row's, the title defaulting to its name."""
    raw: dict[str, str | list[str]] = {}
    if row is not None:
        if row.error:
            raise InvalidInput(row.error)
        for column, value in row.cells.items():
            value = value.strip()
            if column == "file" or not value:
                continue
            if column in LIST_FIELDS:
                raw[column] = [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()]
            else:
                raw[column] = value
    raw.setdefault("title", title_from_filename(PurePosixPath(planned.relpath).name))
    fields = parse_asset_fields(raw, partial=False)
    if fields.owner is not None and fields.owner.id != user.id and not can(user, ASSIGN_OWNERS):
        raise InvalidInput("owner: only admins give an asset to someone else; import --as one.")
    return fields


def plan_import(
    folder: str | os.PathLike, manifest: str | os.PathLike | None, user: User
) -> ImportPlan:
    """Find the files and check every manifest row, before anything is stored.

    A missing folder or a bad manifest header raises; a bad row only fails its file.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InvalidInput(
            f"{folder} is not a folder." if root.exists() else f"{folder}: no such folder."
        )
    root = root.resolve()
    manifest_path = Path(manifest).resolve() if manifest is not None else None
    rows = _read_manifest(manifest_path) if manifest_path is not None else []
    files, settled, hidden = _walk(root, manifest_path)
    found = {_key(f.relpath): f for f in files}
    rows_for: dict[str, list[ManifestRow]] = {}
    for row in rows:
        name = row.cells.get("file", "").strip()
        try:
            rows_for.setdefault(_manifest_key(root, name, found), []).append(row)
        except InvalidInput as exc:
            reason = f"manifest line {row.line}: {exc.message}"
            settled.append(Outcome(name or f"(manifest line {row.line})", "failed", reason))
    for planned in files:
        named = rows_for.get(_key(planned.relpath), [])
        if len(named) > 1:
            lines = ", ".join(str(r.line) for r in named[:-1]) + f" and {named[-1].line}"
            planned.error = f"manifest lines {lines} all name this file; keep one row per file."
            continue
        row = named[0] if named else None
        try:
            planned.fields = _fields_for(planned, row, user)
        except InvalidInput as exc:
            planned.error = f"manifest line {row.line}: {exc.message}" if row else exc.message
    return ImportPlan(root, manifest_path, files, settled, hidden)
