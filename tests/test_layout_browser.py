"""Phone and keyboard, in a real Chromium (Debian's): every page, for every role, fits a 390 px
screen and a 1366 px one without sideways scrolling; the header folds into a menu button; the
skip link is the first Tab stop; a facet toggled from the keyboard keeps focus after the reload;
active filters are chips that remove themselves; dark mode follows the system."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from collateral.extensions import db
from collateral.models import User
from collateral.permissions import Capability, roles_with
from tests.conftest import ROLES, run_jobs
from tests.factories import make_pdf
from tests.test_browser import launch_chromium, live_server  # noqa: F401  (fixture)
from tests.test_browser import sign_in as sign_in_through_the_form

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
LONG_NAME = (
    "Atlas-CRM-enterprise-pricing-and-packaging-overview-for-regional-hospital-groups-v12.pdf"
)

# Each page, and the capability (or roles) it needs (None: every signed-in role). `{asset}` and
# the like are filled in from what `content` made.
PAGES = [
    ("/?q=pricing", None),
    ("/", None),
    ("/assets/{asset}", None),
    ("/shares", None),
    ("/shares/{share}", ("rep", *roles_with(Capability.SEE_ALL_SHARES))),  # the rep's own
    ("/shares/new?asset={asset}", None),
    ("/collections", None),
    ("/collections/{collection}", None),
    ("/notifications", None),
    ("/account", None),
    ("/account/password", None),
    ("/upload", Capability.UPLOAD),
    ("/mine", Capability.UPLOAD),
    ("/incomplete", Capability.UPLOAD),
    ("/assets/{asset}/edit", Capability.UPLOAD),
    ("/assets/{asset}/versions/new", Capability.UPLOAD),
    ("/reports/", Capability.READ_USAGE),
    ("/reports/top", Capability.READ_PEOPLE),
    ("/reports/unused", Capability.READ_USAGE),
    ("/reports/searches", Capability.READ_USAGE),
    ("/reports/engagement", Capability.READ_USAGE),
    ("/reports/people", Capability.READ_PEOPLE),
    ("/reports/people/{rep}", Capability.READ_PEOPLE),
    ("/reports/events", Capability.AUDIT),
    ("/admin/users", Capability.ADMINISTER),
    ("/admin/taxonomy", Capability.ADMINISTER),
]

# What sticks out past the right edge of the page, for the failure message: elements whose box
# ends past the viewport and that are not inside a region that scrolls on its own.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (/(auto|scroll|hidden)/.test(s.overflowX)) return true;
    }
    return false;
  };
  const culprits = [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !inScroller(el))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : "")
         + " " + Math.round(el.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth, width, culprits};
}"""


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def library(api) -> dict[str, int | str]:
    """Four PDFs across products and industries, one with a long file name, and a link to two
    of them for a buyer: enough for search, facets and the buyer's page."""
    ids = []
    for n, (title, product, industry) in enumerate(
        [
            ("Atlas pricing for hospital groups", "Atlas CRM", "Healthcare"),
            ("Atlas pricing for retailers", "Atlas CRM", "Retail"),
            ("Beacon pricing sheet", "Beacon Analytics", "Healthcare"),
            ("Cobalt pricing battlecard", "Cobalt Payments", "Financial services"),
        ]
    ):
        body = f"{title}. Pricing tiers, discounts and a supercalifragilisticexpialidocious word."
        response = api.upload(
            make_pdf([body, "Implementation timeline and pricing " * 20]),
            LONG_NAME if n == 0 else f"deck-{n}.pdf",
            title=title,
            products=[product],
            industries=[industry],
            description="A very long description " * 12,
        )
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    share = api.post(
        "/api/v1/shares", role="rep", json={"assets": ids[:2], "recipient": "cfo@acme.example"}
    )
    assert share.status_code == 201, share.get_json()
    return {
        "asset": ids[0],
        "assets": ids,
        "share": share.get_json()["id"],
        "link": "/s/" + share.get_json()["url"].rsplit("/s/", 1)[1],
    }


@pytest.fixture
def content(app, api, library) -> dict[str, int | str]:
    """The library with its page images drawn, a search and a download, a search that found
    nothing and a featured collection: something on every page."""
    run_jobs(app)  # thumbnails and page images
    found = api.search(q="pricing")
    api.get(found["results"][0]["download_url"], query_string={"search": found["search_id"]})
    api.search(q="nothing-matches-this")
    kit = api.post(
        "/api/v1/collections",
        role="marketer",
        json={"title": "Atlas launch kit", "assets": library["assets"], "featured": True},
    )
    assert kit.status_code == 201, kit.get_json()
    locked = api.post(
        "/api/v1/shares",
        role="rep",
        json={"assets": library["assets"][:1], "passcode": "osprey-42"},
    )
    assert locked.status_code == 201, locked.get_json()
    with app.app_context():
        rep = db.session.scalar(select(User.id).where(User.email == "rep@example.com"))
    return {
        **library,
        "collection": kit.get_json()["id"],
        "rep": rep,
        "locked_link": "/s/" + locked.get_json()["url"].rsplit("/s/", 1)[1],
    }


def sign_in(chromium, base: str, role: str, **options):
    """A fresh browser context with `role` signed in through the login form, and its page."""
    context = chromium.new_context(viewport=PHONE, **options)
    page = context.new_page()
    sign_in_through_the_form(page, base, role)
    return context, page


def overflow(page, where: str) -> list:
    """[] when the page fits its viewport; else where, and what sticks out."""
    found = page.evaluate(OVERFLOW)
    return [] if found["scroll"] <= found["width"] else [(where, found)]


def assert_fits(page, where: str) -> None:
    assert not overflow(page, where)


def test_every_page_fits_a_phone_and_a_laptop_for_every_role(chromium, live_server, content):  # noqa: F811
    wide = []  # every page that does not fit, to see them all at once
    for role in ROLES:
        context, page = sign_in(chromium, live_server, role)
        for path, capability in PAGES:
            if isinstance(capability, Capability):
                capability = roles_with(capability)
            if capability is not None and role not in capability:
                continue
            url = live_server + path.format(**content)
            page.set_viewport_size(PHONE)
            response = page.goto(url)
            assert response.status == 200, (role, path, response.status)
            wide += overflow(page, f"{role} {path} at 390 px")
            page.set_viewport_size(LAPTOP)
            wide += overflow(page, f"{role} {path} at 1366 px")
        context.close()

    # Signed out: the sign-in page; a buyer: the shared page and a passcode form.
    stranger = chromium.new_context(viewport=PHONE)
    page = stranger.new_page()
    for where, path in [
        ("sign-in page", "/login"),
        ("buyer's page", content["link"]),
        ("buyer's passcode form", content["locked_link"]),
    ]:
        page.set_viewport_size(PHONE)
        assert page.goto(live_server + path).status == 200, where
        wide += overflow(page, f"{where} at 390 px")
        page.set_viewport_size(LAPTOP)
        wide += overflow(page, f"{where} at 1366 px")
    stranger.close()
    assert not wide, "\n".join(map(str, wide))


def test_the_header_menu_button_opens_and_closes_the_nav_on_a_phone(
    chromium,
    live_server,  # noqa: F811
    library,
):
    from playwright.sync_api import expect

    context, page = sign_in(chromium, live_server, "admin")
    page.goto(f"{live_server}/admin/users")
    button = page.locator("header button[aria-controls]")
    menu = page.locator("#site-menu")
    taxonomy = page.locator("header nav a", has_text="Taxonomy")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "site-menu")
    expect(menu).to_be_hidden()

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(taxonomy).to_be_visible()
    assert_fits(page, "the open menu at 390 px")
    page.keyboard.press("Escape")  # closes it and gives focus back to the button
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()

    page.set_viewport_size(LAPTOP)  # a laptop shows the nav and no button
    expect(button).to_be_hidden()
    expect(taxonomy).to_be_visible()
    context.close()

    # Without script the nav is still there, wrapped, at 390 px.
    context, page = sign_in(chromium, live_server, "admin", java_script_enabled=False)
    page.goto(f"{live_server}/admin/users")
    expect(page.locator("header nav a", has_text="Taxonomy")).to_be_visible()
    expect(page.locator("header button[aria-controls]")).to_be_hidden()
    assert_fits(page, "the nav without script at 390 px")
    page.goto(f"{live_server}/?q=pricing")  # and the filters, in view, with no button
    expect(page.locator("#filters input[type=checkbox]").first).to_be_visible()
    expect(page.locator("button[aria-controls=filters]")).to_be_hidden()
    assert_fits(page, "the search page without script at 390 px")
    context.close()


def test_a_wide_table_scrolls_in_its_own_focusable_region(chromium, live_server, library):  # noqa: F811
    context, page = sign_in(chromium, live_server, "admin")
    # A page's text taller than its box is a region the keyboard can reach too.
    page.goto(f"{live_server}/assets/{library['asset']}")
    text = page.locator("#page-2 pre")
    assert text.get_attribute("tabindex") == "0"
    assert text.get_attribute("aria-label") == "Text of page 2"
    assert page.locator("#page-1 pre").get_attribute("tabindex") is None  # short: fits

    page.goto(f"{live_server}/admin/users")
    region = page.locator(".table-scroll").first
    assert region.get_attribute("role") == "region"
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("aria-label") == "Users (scrolls sideways)"
    assert_fits(page, "the users page at 390 px")
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-scroll').scrollLeft > 0")

    page.set_viewport_size(LAPTOP)  # room enough: no region, no extra Tab stop
    page.wait_for_function(
        "() => !document.querySelector('.table-scroll').hasAttribute('tabindex')"
    )
    assert region.get_attribute("role") is None and region.get_attribute("aria-label") is None
    context.close()


def test_the_skip_link_is_the_first_tab_stop_and_the_focus_ring_shows(
    chromium,
    live_server,  # noqa: F811
    library,
):
    context, page = sign_in(chromium, live_server, "rep")
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        page.goto(f"{live_server}/?q=pricing")
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " const r = e.getBoundingClientRect();"
            " return {text: e.textContent.trim(), href: e.getAttribute('href'),"
            " outline: s.outlineStyle, width: parseFloat(s.outlineWidth),"
            " shown: r.width > 1 && r.height > 1 && r.top >= 0}; }"
        )
        assert focused["text"] == "Skip to results", focused
        assert focused["outline"] != "none" and focused["width"] >= 2, focused
        assert focused["shown"], focused  # visible while it has focus
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "results"
        page.keyboard.press("Tab")
        first = page.locator(".result h2 a").first.get_attribute("href")
        assert page.evaluate("document.activeElement.getAttribute('href')") == first
        # the ring shows on a link reached from the keyboard
        ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert ring != "none"

    page.goto(f"{live_server}/assets/{library['asset']}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    context.close()


def test_a_facet_toggled_from_the_keyboard_keeps_focus_and_its_chip_removes_it(
    chromium,
    live_server,  # noqa: F811
    library,
):
    focused = "() => [document.activeElement.name, document.activeElement.value]"
    top = "e => e.getBoundingClientRect().top"
    context, page = sign_in(chromium, live_server, "rep")

    # On a laptop, scrolled down a little: the facet stays focused, at the same height.
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server}/?q=pricing")
    assert page.inner_text("#result-count") == "4"
    page.evaluate("() => window.scrollTo(0, 120)")
    facet = page.locator("#filters input[name=industry][value=Healthcare]")
    facet.focus()
    top_before = facet.evaluate(top)
    page.keyboard.press("Space")
    page.wait_for_url("**industry=Healthcare*")
    assert page.evaluate(focused) == ["industry", "Healthcare"]
    assert facet.is_checked()
    assert page.evaluate("() => window.scrollY") > 0
    assert abs(facet.evaluate(top) - top_before) <= 2, (top_before, facet.evaluate(top))
    assert page.inner_text("#result-count") == "2"

    # On a phone the filters wait behind a button; a toggle opens them again after the reload.
    page.set_viewport_size(PHONE)
    filters = page.locator("button[aria-controls=filters]")
    assert filters.is_visible()
    assert filters.get_attribute("aria-expanded") == "false"
    assert not facet.is_visible()
    filters.click()
    assert filters.get_attribute("aria-expanded") == "true"
    assert facet.is_visible()

    # A second facet, then the chips: one per filter, each removing only its own.
    product = page.locator("#filters input[name=product][value='Atlas CRM']")
    product.focus()
    top_before = product.evaluate(top)
    page.keyboard.press("Space")
    page.wait_for_url("**product=Atlas+CRM*")
    assert page.evaluate(focused) == ["product", "Atlas CRM"]
    assert filters.get_attribute("aria-expanded") == "true" and product.is_visible()
    assert abs(product.evaluate(top) - top_before) <= 2
    assert page.inner_text("#result-count") == "1"
    chip = page.get_by_role("link", name="Remove filter Industry: Healthcare")
    assert chip.is_visible()
    assert page.get_by_role("link", name="Remove filter Product: Atlas CRM").is_visible()
    chip.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*industry=)"))
    query = parse_qs(urlsplit(page.url).query)
    assert query.get("product") == ["Atlas CRM"] and "industry" not in query
    assert query.get("q") == ["pricing"]
    assert page.inner_text("#result-count") == "2"
    assert page.get_by_role("link", name=re.compile("^Remove filter Industry")).count() == 0
    # focus moves to the chip left; removing the last one leaves it on the results
    assert page.evaluate("() => document.activeElement.textContent").startswith("Remove filter")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*product=)"))
    assert page.evaluate("() => document.activeElement.id") == "results"
    assert page.inner_text("#result-count") == "4"
    context.close()


def test_dark_mode_follows_the_system(chromium, live_server, library):  # noqa: F811
    background = "getComputedStyle(document.body).backgroundColor"
    context, page = sign_in(chromium, live_server, "rep", color_scheme="light")
    page.goto(f"{live_server}/?q=pricing")
    light = page.evaluate(background)
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate(background)
    assert light != dark
    rgb = [int(n) for n in re.findall(r"\d+", dark)[:3]]
    assert max(rgb) < 64, dark  # a dark page, not merely another light one
    context.close()

    buyer = chromium.new_context(color_scheme="dark")
    page = buyer.new_page()
    page.goto(live_server + library["link"])
    rgb = [int(n) for n in re.findall(r"\d+", page.evaluate(background))[:3]]
    assert max(rgb) < 64
    buyer.close()
