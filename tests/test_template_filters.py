"""Sizes and dates as people write them, the same on every page."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from collateral.template_filters import day_tag, day_text, moment_tag, moment_text, size_text
from tests.factories import make_pdf


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, ""),
        (0, "0 bytes"),
        (1, "1 byte"),
        (812, "812 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (10 * 1024, "10 KB"),
        (61440 * 1024, "60 MB"),
        (int(3.2 * 1024 * 1024), "3.2 MB"),
        (12 * 1024 * 1024, "12 MB"),
        (1024 * 1024 - 1, "1 MB"),  # 1023.999 KB reads as the next unit, never "1024 KB"
        (500 * 1024**3, "500 GB"),
        (3 * 1024**4, "3 TB"),
        (5000 * 1024**4, "5000 TB"),
    ],
)
def test_sizes_read_as_people_write_them(size, text):
    assert size_text(size) == text


def test_days_and_moments_read_one_way():
    moment = datetime(2026, 12, 7, 14, 5, 59)
    assert day_text(date(2026, 12, 7)) == "7 Dec 2026"
    assert day_text(moment) == "7 Dec 2026"
    assert moment_text(moment) == "7 Dec 2026, 14:05 UTC"
    assert day_text(None) == moment_text(None) == ""
    # An aware moment is shown in UTC.
    paris = datetime(2026, 12, 8, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert moment_text(paris) == "7 Dec 2026, 23:30 UTC"
    assert day_text(paris) == "7 Dec 2026"
    assert moment_text(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) == "2 Jan 2026, 03:04 UTC"


def test_dates_sit_in_a_time_element_machines_read():
    assert str(day_tag(date(2026, 12, 7))) == '<time datetime="2026-12-07">7 Dec 2026</time>'
    assert str(moment_tag(datetime(2026, 12, 7, 14, 5, 9))) == (
        '<time datetime="2026-12-07T14:05:09Z">7 Dec 2026, 14:05 UTC</time>'
    )
    assert str(day_tag(None)) == str(moment_tag(None)) == ""


def test_the_asset_page_shows_the_size_and_dates_so(api, client, browser):
    content = make_pdf(["Kestrel"] * 3)
    asset = api.upload(content, "kestrel.pdf", title="Kestrel", expires_at="2099-03-04").get_json()
    browser.login("marketer")
    html = client.get(f"/assets/{asset['id']}").get_data(as_text=True)
    assert f"kestrel.pdf · {size_text(len(content))}" in html and " KB" in html
    assert "KB</td>" in html and ".0 KB" not in html
    assert '<time datetime="2099-03-04">4 Mar 2099</time>' in html
    uploaded = datetime.fromisoformat(asset["current_version"]["uploaded_at"].removesuffix("Z"))
    assert str(moment_tag(uploaded)) + " by marketer@example.com" in html
