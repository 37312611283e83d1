"""The S3-compatible server for the bucket tests: the one COLLATERAL_TEST_S3_ENDPOINT_URL names
(`make test-s3` starts a throwaway SeaweedFS with scripts/with_seaweedfs.sh and sets it).

Tests marked `s3` run only when it is set; a plain `make test` leaves them out. Asked for
explicitly (`-m s3`) without a server, they are skipped with the reason on a person's machine
and stop the run under CI, so a missing server never turns into silently skipped tests. Each
test gets its own prefix in the one bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import itertools
import os
import re

import pytest

from tests.corpus import running_in_ci

ENDPOINT = os.environ.get("COLLATERAL_TEST_S3_ENDPOINT_URL", "")
BUCKET = os.environ.get("COLLATERAL_TEST_S3_BUCKET", "collateral-test")
MISSING = (
    "COLLATERAL_TEST_S3_ENDPOINT_URL is not set: run the bucket tests beside a real server, "
    "`make test-s3` (scripts/with_seaweedfs.sh)"
)
_numbers = itertools.count(1)


def fresh_blob_url(name: str = "test") -> str:
    """s3://BUCKET/PREFIX with a prefix no other test (or session) uses."""
    tag = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:40] or "test"
    return f"s3://{BUCKET}/{tag}-{os.getpid()}-{next(_numbers)}"


def s3_settings(name: str = "test") -> dict[str, str]:
    """App settings that keep blobs in a fresh prefix of the test bucket."""
    return {"BLOB_URL": fresh_blob_url(name), "S3_ENDPOINT_URL": ENDPOINT}


def s3_client():
    """A client of the test server, for looking at the bucket from outside the store."""
    import boto3
    from botocore.config import Config

    config = Config(
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client("s3", endpoint_url=ENDPOINT, config=config)


def _selects_s3(config: pytest.Config) -> bool:
    expression = config.getoption("markexpr") or ""
    return bool(re.search(r"(?<!not )\bs3\b", expression))


def select_s3_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a server: leave the s3 tests out, unless asked for (then skip, or fail under CI)."""
    if ENDPOINT:
        return
    marked = [item for item in items if item.get_closest_marker("s3")]
    if not marked:
        return
    if _selects_s3(config):
        if running_in_ci():
            raise pytest.UsageError(MISSING)
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=MISSING))
        return
    config.hook.pytest_deselected(items=marked)
    items[:] = [item for item in items if not item.get_closest_marker("s3")]
