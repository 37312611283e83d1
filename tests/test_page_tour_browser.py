"""Every page of the tour (tests/page_tour.py), for every role and for a visitor with no account,
in Debian's Chromium at 1366 and 390 px, light and dark: axe-core finds no serious or critical
violation, and nothing scrolls sideways on a phone.

axe-core is vendored under tests/vendor/ (not static/: it is never served) and injected into
each page by Playwright, as an init script (which the pages' Content-Security-Policy does not
stop). The tour runs once for the module; each test reads what it found.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, ROLES
from tests.page_tour import seeded_app, signed_in_stops, signed_out_stops
from tests.test_browser import launch_chromium, serving

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = ((1366, 768), (390, 844))
SCHEMES = ("light", "dark")
SERIOUS = ("serious", "critical")

# Only violations come back (not the passes), which keeps each run short.
# In the second colour scheme only the rules that read colours run again.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
RUN_AXE = """async rules => {
  const options = {resultTypes: ['violations']};
  if (rules) options.runOnly = {type: 'rule', values: rules};
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }));
}"""

# The page's width against the window's and, when wider, the outermost elements that stick out.
SIDEWAYS = """() => {
  const width = window.innerWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return null;
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].slice(0, 2).map(c => '.' + c).join('');
  const sticking = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement;
    const parentRight = parent ? parent.getBoundingClientRect().right : 0;
    if (right > width + 1 && parentRight <= width + 1) {
      sticking.push(describe(el) + ' (' + Math.round(right) + ' px)');
    }
  }
  return {scroll, width, sticking: sticking.slice(0, 4)};
}"""


@dataclass
class Findings:
    """What the tour met: axe violations, pages wider than a phone, pages that did not load."""

    violations: list[dict] = field(default_factory=list)
    sideways: list[dict] = field(default_factory=list)
    wrong_status: list[str] = field(default_factory=list)
    visits: int = 0
    pages: Counter = field(default_factory=Counter)  # visitor -> pages toured
    seconds: float = 0.0
    canary: list[str] = field(default_factory=list)  # the targets axe found unlabelled


# A field with no label, put on the first page: axe must name it, or the tour proves nothing.
CANARY = """async () => {
  const field = document.createElement('input');
  field.id = 'axe-canary';
  document.body.append(field);
  const result = await axe.run(document, {runOnly: {type: 'rule', values: ['label']}});
  field.remove();
  return result.violations.flatMap(v => v.nodes.map(n => n.target.join(' ')));
}"""


@pytest.fixture(scope="module")
def tour(tmp_path_factory, template_db):
    root = tmp_path_factory.mktemp("tour")
    with seeded_app(root, *template_db) as (app, seeded), serving(app) as url:
        yield app, seeded, url


def _visit(page, base: str, visitor: str, stops, findings: Findings) -> None:
    """Each stop loaded once per width; the colour scheme is switched on the loaded page, which
    restyles it at once, and axe runs again with only its colour rules."""
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        for stop in stops:
            page.emulate_media(color_scheme=SCHEMES[0])
            response = page.goto(base + stop.path)
            if stop.fill and response is not None and response.ok:
                for selector, value in stop.fill:
                    page.fill(selector, value)
                with page.expect_navigation() as sent:
                    page.click(stop.submit)
                response = sent.value
            where = {"visitor": visitor, "width": width, "page": stop.name, "path": stop.path}
            findings.visits += 1
            if response is None or response.status != stop.status:
                status = response.status if response else "nothing"
                findings.wrong_status.append(f"{where}: answered {status}")
                continue
            for scheme in SCHEMES:
                if scheme != SCHEMES[0]:
                    page.emulate_media(color_scheme=scheme)
                rules = None if scheme == SCHEMES[0] else COLOUR_RULES
                for violation in page.evaluate(RUN_AXE, rules):
                    if violation["impact"] in SERIOUS:
                        found = {**where, "scheme": scheme, **violation}
                        findings.violations.append(found)
            if width < 600:
                page.emulate_media(color_scheme=SCHEMES[0])
                wide = page.evaluate(SIDEWAYS)
                if wide:
                    findings.sideways.append({**where, **wide})


@pytest.fixture(scope="module")
def findings(tour) -> Findings:
    from playwright.sync_api import sync_playwright

    app, seeded, base = tour
    found = Findings()
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for visitor in ("signed out", *ROLES):
            context = browser.new_context()
            # Before each page's own scripts, like add_script_tag but sent once: re-sending the
            # 650 kB script for each page took a third of the run.
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            if visitor == "signed out":
                stops = signed_out_stops(app, seeded)
            else:
                page.goto(f"{base}/login")
                page.fill("input[name=email]", f"{visitor}@example.com")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/")
                stops = signed_in_stops(app, seeded, visitor)
            found.pages[visitor] = len(stops)
            if visitor == "signed out":
                page.goto(base + stops[0].path)
                found.canary = page.evaluate(CANARY)
            _visit(page, base, visitor, stops, found)
            context.close()
        browser.close()
    found.seconds = time.monotonic() - started
    return found


def _summary(found: Findings) -> str:
    by_rule = Counter((v["id"], v["impact"], v["width"]) for v in found.violations)
    lines = [
        f"tour: {sum(found.pages.values())} pages ({dict(found.pages)}) x {len(WIDTHS)} widths "
        f"= {found.visits} page loads, each checked in {len(SCHEMES)} colour schemes, "
        f"in {found.seconds:.0f} s; "
        f"{len(found.violations)} serious or critical axe violations; "
        f"{len(found.sideways)} pages scroll sideways at 390 px",
    ]
    for (rule, impact, width), count in sorted(by_rule.items()):
        lines.append(f"  {rule} ({impact}) at {width} px: {count} pages")
    return "\n".join(lines)


def test_the_tour_visits_every_page_with_the_status_it_expects(findings, capsys):
    with capsys.disabled():
        print("\n" + _summary(findings))
    assert not findings.wrong_status, "\n".join(findings.wrong_status)
    assert findings.canary == ["#axe-canary"], "axe did not run, or did not see the page"
    assert findings.visits == sum(findings.pages.values()) * len(WIDTHS)


def test_axe_finds_no_serious_or_critical_violation_on_any_page(findings):
    seen, lines = set(), []
    for v in findings.violations:
        key = (v["visitor"], v["width"], v["page"], v["id"], v["scheme"])
        if key not in seen:
            seen.add(key)
            lines.append(
                f"{v['page']} [{v['visitor']}, {v['width']} px, {v['scheme']}] {v['path']}: "
                f"{v['id']} ({v['impact']}): {v['help']}; at {', '.join(v['targets'][:4])}"
            )
    assert not lines, _summary(findings) + "\n" + "\n".join(lines)


def test_no_page_scrolls_sideways_at_390_px(findings):
    lines = [
        f"{s['page']} [{s['visitor']}] {s['path']}: {s['scroll']} px wide; "
        f"sticking out: {', '.join(s['sticking'])}"
        for s in findings.sideways
    ]
    assert not lines, "\n".join(lines)
