"""The licence files stay true: the standard Apache-2.0 text, a row per pinned package."""

import hashlib
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# The SHA-256 of the Apache License 2.0 as the Apache Software Foundation publishes it.
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def test_the_licence_is_the_standard_apache_2_0_text():
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_0_SHA256


def test_every_pinned_package_has_its_licence_listed_at_its_pinned_version():
    listed = {}
    for line in (ROOT / "THIRD_PARTY.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 6 and re.fullmatch(r"\d[\w.+-]*", cells[1]):  # a package's row
            listed[canonicalize_name(cells[0])] = (cells[1], cells[2])
    pinned = {}
    lines = [
        line
        for name in ("requirements.txt", "requirements-dev.txt")
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines()
    ]
    for line in lines:
        if line.split("#")[0].strip() and not line.startswith("-r "):
            requirement = Requirement(line.split("#")[0])
            (version,) = [spec.version for spec in requirement.specifier if spec.operator == "=="]
            pinned[canonicalize_name(requirement.name)] = version
    missing = {
        name: version
        for name, version in pinned.items()
        if name not in listed or listed[name][0] != version or not listed[name][1]
    }
    assert not missing, f"add these to THIRD_PARTY.md with their licences: {missing}"
