"""A newcomer's first run: from a fresh clone to the first page `make run` serves, and the size of
the virtual environment it built.

    .venv/bin/python bench/first_run.py [--ref HEAD] [--port 8090] [--timeout 900] [--cold]

Clones this repository at `--ref` into a temporary folder (nothing beside it), runs `make run`
there and times three moments from the start: the venv installed (`.venv/installed` written),
the demo content seeded (the server starting), and the sign-in page answering 200. Then it
measures the venv (bytes on disk, installed distributions), stops the server and removes the
clone. pip's download cache is whatever this machine has (run it twice and keep the second
figure to compare commits with a warm cache, as a developer's machine would have), or none with
`--cold`: every wheel downloaded, as on a fresh machine. A ref from
before `make run PORT=` existed is served on 5000 whatever `--port` says.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our localhost)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def first_run(ref: str, port: int, timeout: float, cold: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="first-run-") as scratch:
        clone = Path(scratch) / "collateral"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", ref], check=True)
        makefile = (clone / "Makefile").read_text(encoding="utf-8")
        if "PORT ?=" not in makefile:
            port = 5000
        url = f"http://127.0.0.1:{port}/login"
        if answers(url):
            raise SystemExit(f"something already answers on port {port}: pick another --port")
        log = (Path(scratch) / "make-run.log").open("w")
        started = time.monotonic()
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("COLLATERAL_")},
                **({"PIP_NO_CACHE_DIR": "1"} if cold else {}),
            },
            start_new_session=True,
        )
        installed_at = serving_at = None
        try:
            while True:
                elapsed = time.monotonic() - started
                if installed_at is None and (clone / ".venv" / "installed").exists():
                    installed_at = elapsed
                if serving_at is None and "Serving the library" in (
                    Path(scratch) / "make-run.log"
                ).read_text(encoding="utf-8", errors="replace"):
                    serving_at = elapsed
                if answers(url):
                    first_page = time.monotonic() - started
                    break
                if server.poll() is not None or elapsed > timeout:
                    tail = (Path(scratch) / "make-run.log").read_text(errors="replace")[-3000:]
                    raise SystemExit(f"make run never served {url}:\n{tail}")
                time.sleep(0.2)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(60)
            log.close()
        venv = clone / ".venv"
        listed = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        )
        return {
            "ref": ref,
            "pip_cache": "none" if cold else "warm",
            "venv_installed_s": round(installed_at or 0.0, 1),
            "demo_seeded_s": round(serving_at or 0.0, 1),
            "first_page_s": round(first_page, 1),
            "venv_mb": round(folder_bytes(venv) / 1e6),
            "distributions": len(json.loads(listed.stdout)),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--cold", action="store_true", help="no pip cache: download every wheel")
    args = parser.parse_args()
    figures = first_run(args.ref, args.port, args.timeout, args.cold)
    heads = ("venv (s)", "demo (s)", "first page (s)", "venv MB", "dists")
    print(f"{'ref':<12} {heads[0]:>9} {heads[1]:>9} {heads[2]:>15} {heads[3]:>8} {heads[4]:>6}")
    print(
        f"{figures['ref']:<12} {figures['venv_installed_s']:>9} {figures['demo_seeded_s']:>9} "
        f"{figures['first_page_s']:>15} {figures['venv_mb']:>8} {figures['distributions']:>6}"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
