"""What the demo's made-up sales team did over the last 60 days: a plan of searches, views,
downloads and links sent to buyers, drawn from a seeded random generator so the same day and
library always give the same plan.

Knows nothing of Flask or the database: `plan_usage` takes plain values (the team, the
published titles, which titles each query finds) and returns plain values, which
`services.demo_usage` writes as events.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

DAYS = 60
SEED = 20260112  # any fixed number: the plan must not change between runs

# Extra demo accounts, so usage spreads over a team: (email, role, name, password).
DEMO_TEAM = (
    ("rep.east@example.com", "rep", "East Region Rep", "rep-east-demo-pass"),
    ("rep.west@example.com", "rep", "West Region Rep", "rep-west-demo-pass"),
    ("rep.central@example.com", "rep", "Central Region Rep", "rep-central-demo-pass"),
)

# What reps look for: words in the demo collateral, then gaps the library cannot answer.
QUERIES = (
    "pricing",
    "roi",
    "case study",
    "onboarding",
    "forecasting",
    "battlecard",
    "integrations",
    "churn",
    "hipaa",
    "demo script",
    "security",
    "retail",
)
GAP_QUERIES = ("soc 2 report", "gdpr dpa", "partner discount", "spanish brochure")
BUYERS = ("buyer@northwind.example", "cfo@contoso.example", "ops@fabrikam.example", "")


@dataclass(frozen=True)
class PlannedUse:
    """A view or download of one title, at a moment, perhaps from a planned search."""

    type: str  # "view" or "download"
    title: str
    at: datetime


@dataclass(frozen=True)
class PlannedSearch:
    user: str  # email
    query: str
    at: datetime
    opened: tuple[PlannedUse, ...] = ()  # what the person opened from its results


@dataclass(frozen=True)
class PlannedVisit:
    at: datetime
    email: str | None
    seconds: tuple[float, ...]  # per page of the link's first title, from page 1
    downloaded: bool


@dataclass(frozen=True)
class PlannedShare:
    user: str
    titles: tuple[str, ...]
    recipient: str
    at: datetime
    visits: tuple[PlannedVisit, ...] = ()


@dataclass
class UsagePlan:
    searches: list[PlannedSearch] = field(default_factory=list)
    uses: list[tuple[str, PlannedUse]] = field(default_factory=list)  # (email, use) browsing
    shares: list[PlannedShare] = field(default_factory=list)


def _moment(rng: random.Random, day: date) -> datetime:
    """A working-hours moment (08:00 to 18:00 UTC) on `day`."""
    return datetime.combine(day, time(8)) + timedelta(seconds=rng.randrange(10 * 3600))


def _visit(rng: random.Random, after: datetime, pages: int) -> PlannedVisit:
    """A buyer reading a few pages, fewer the further in (that is what the deck report shows)."""
    at = after + timedelta(hours=rng.randrange(1, 72))
    read = rng.randint(1, pages)
    seconds = tuple(round(rng.uniform(8, 90) * (0.85**page), 1) for page in range(read))
    email = rng.choice((None, "buyer@northwind.example", "it@northwind.example"))
    return PlannedVisit(at, email, seconds, rng.random() < 0.25)


def plan_usage(
    today: date,
    now: datetime,
    team: Sequence[str],
    titles: Sequence[str],
    found: Mapping[str, Sequence[str]],
    pages: Mapping[str, int],
) -> UsagePlan:
    """Sixty days up to `today` (never later than `now`) of the team's work with the library.

    `team` are the emails of reps and managers; `found` maps each query to the titles it finds;
    `pages` the page or slide count of each title. Busier on weekdays; some searches find
    nothing; about half of those that find something lead to a view, some to a download.
    """
    rng = random.Random(SEED)
    plan = UsagePlan()
    popular = list(titles)
    rng.shuffle(popular)  # some titles used far more than others, as in a real library
    weights = [1 / (rank + 1) for rank in range(len(popular))]
    for offset in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        busy = 1.0 if day.weekday() < 5 else 0.2
        for user in team:
            for _ in range(rng.randrange(0, 4) if rng.random() < busy else 0):
                at = _moment(rng, day)
                gap = rng.random() < 0.12
                query = rng.choice(GAP_QUERIES if gap else QUERIES)
                opened: list[PlannedUse] = []
                results = list(found.get(query, ()))
                if results and rng.random() < 0.55:
                    title = rng.choice(results[:3])
                    opened.append(PlannedUse("view", title, at + timedelta(minutes=1)))
                    if rng.random() < 0.4:
                        opened.append(PlannedUse("download", title, at + timedelta(minutes=3)))
                if at + timedelta(minutes=3) <= now:  # today's later hours have not come yet
                    plan.searches.append(PlannedSearch(user, query, at, tuple(opened)))
            if popular and rng.random() < busy * 0.6:  # browsing: the home page, a colleague
                title = rng.choices(popular, weights)[0]
                kind = "download" if rng.random() < 0.35 else "view"
                at = _moment(rng, day)
                if at <= now:
                    plan.uses.append((user, PlannedUse(kind, title, at)))
            if popular and rng.random() < busy * 0.08:  # a link sent to a buyer
                sent = _moment(rng, day)
                chosen = tuple(dict.fromkeys(rng.choices(popular, weights, k=rng.randint(1, 2))))
                visits = [
                    _visit(rng, sent, max(1, pages.get(chosen[0], 4)))
                    for _ in range(rng.randrange(0, 4))
                ]
                visits = tuple(v for v in visits if v.at + timedelta(seconds=sum(v.seconds)) <= now)
                if sent <= now:
                    plan.shares.append(PlannedShare(user, chosen, rng.choice(BUYERS), sent, visits))
    return plan
