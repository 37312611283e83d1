"""What a usage report is asked for: its period and filters, read from a query string.

How the reports turn these into SQL (filter conditions, day or week buckets) is in
`reports_sql`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..booleans import parse_bool
from ..errors import InvalidInput
from ..models import LIST_TERM_KINDS, utcnow
from ..query_params import parse_moment, positive_int
from .taxonomy import resolve_terms

FILTER_KINDS = LIST_TERM_KINDS  # the kinds a report can be narrowed to
DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=3660)  # ten years of weekly points is already 520 of them

# Whose usage a report counts. Those who make the collateral (roles that may upload) preview
# it while they work on it, which says nothing about how the field uses it; "sales" counts
# everyone else (reps and managers), "everyone" counts every user.
COUNT_SALES = "sales"
COUNT_EVERYONE = "everyone"
COUNT_CHOICES = (COUNT_SALES, COUNT_EVERYONE)


@dataclass
class ReportParams:
    since: datetime  # inclusive, naive UTC
    until: datetime  # exclusive, naive UTC
    # "product"/"industry"/"stage" -> term ids: OR within a kind, AND across kinds.
    term_ids: dict[str, list[int]] = field(default_factory=dict)
    limit: int = 50  # 1..1000
    days: int = 90  # unused content only, 1..3650
    zero_results: bool = False  # searches: only runs that found nothing
    unopened: bool = False  # searches: only queries with results whose runs nobody opened
    count: str = COUNT_EVERYONE  # whose events count: COUNT_SALES or COUNT_EVERYONE

    @property
    def previous(self) -> ReportParams:
        """The period of equal length just before this one, with the same filters."""
        length = self.until - self.since
        start = self.since - length if self.since - datetime.min > length else datetime.min
        return ReportParams(
            start, self.since, self.term_ids, self.limit, self.days, count=self.count
        )


def _flag(args, name: str) -> bool:
    try:
        return parse_bool(args.get(name), name)
    except ValueError as error:
        raise InvalidInput(str(error), field=name) from None


def _until(raw: str | None) -> datetime | None:
    """`until` is exclusive; a date without a time means through the end of that day."""
    moment = parse_moment(raw, "until")
    if moment is None:
        return None
    try:
        date.fromisoformat(raw.strip())
    except ValueError:
        return moment
    try:
        return moment + timedelta(days=1)
    except OverflowError:
        raise InvalidInput(f"until: {raw!r} is out of range.", field="until") from None


# Periods stay well inside the calendar, so buckets and look-backs never leave it.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(9000, 1, 1)


def _count(args, default: str) -> str:
    raw = (args.get("count") or "").strip().lower()
    if not raw:
        return default
    if raw not in COUNT_CHOICES:
        raise InvalidInput(
            f"count: {raw!r} is not a choice; use {' or '.join(COUNT_CHOICES)}.", field="count"
        )
    return raw


def parse_report_params(args, default_count: str = COUNT_EVERYONE) -> ReportParams:
    """A report's period and filters from a query string (a werkzeug MultiDict).

    Default: the 30 days up to now, counting the usage of `default_count` (the API counts
    everyone, as it always has; the report pages count sales). A bad value is a 400 that
    names its field.
    """
    since = parse_moment(args.get("since"), "since")
    until = _until(args.get("until"))
    if until is None:
        until = utcnow()
    if since is None:
        since = max(until - DEFAULT_PERIOD, EARLIEST) if until > EARLIEST else EARLIEST
    if since < EARLIEST:
        raise InvalidInput("since: must be in 1900 or later.", field="since")
    if until > LATEST:
        raise InvalidInput("until: must be before 9000.", field="until")
    if since >= until:
        raise InvalidInput("since: must be before until.", field="since")
    if until - since > MAX_PERIOD:
        raise InvalidInput("since: a report covers at most ten years.", field="since")
    term_ids = {}
    for kind in FILTER_KINDS:
        names = [n for n in args.getlist(kind) if n.strip()]
        if names:
            term_ids[kind] = [t.id for t in resolve_terms(kind, names, kind)]
    params = ReportParams(
        since=since,
        until=until,
        term_ids=term_ids,
        limit=positive_int(args.get("limit"), "limit", 50, 1000),
        days=positive_int(args.get("days"), "days", 90, 3650),
        zero_results=_flag(args, "zero_results"),
        unopened=_flag(args, "unopened"),
        count=_count(args, default_count),
    )
    if params.zero_results and params.unopened:
        raise InvalidInput(
            "unopened: a query that found nothing has nothing to open; ask for zero_results "
            "or unopened, not both.",
            field="unopened",
        )
    return params
