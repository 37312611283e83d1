"""What managers and marketers read: usage reports (with SVG charts) and the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..models import LIST_TERM_KINDS, User, utcnow
from ..permissions import AUDIT, READ_PEOPLE, READ_USAGE, can, can_view_asset, requires
from ..query_params import MAX_PAGE, positive_int
from ..services import reports
from ..services.audit_log import list_events, parse_event_filters
from ..services.reports import COUNT_SALES, OverviewPoint, ReportParams, parse_report_params
from ..services.reports_audit_text import describe_detail
from ..services.taxonomy import offered_terms
from .charts import Series, render_chart
from .report_charts import Measure, day_label, small_chart

reports_bp = Blueprint("reports", __name__, url_prefix="/reports")
PER_PAGE = 50
FILTER_KEYS = ("since", "until", "user", "type", "asset")
MEASURES = (
    ("downloads", "Downloads"),
    ("views", "Views"),
    ("searches", "Searches"),
    ("active_reps", "Active reps"),
)
ASSET_PAGE_PERIOD = timedelta(days=30)


def _period(args) -> tuple[ReportParams, dict]:
    """The report parameters, and the values the period form shows again. The pages count
    reps' and managers' usage unless asked for everyone's (the API counts everyone's)."""
    p = parse_report_params(args, default_count=COUNT_SALES)
    form = {
        "since": args.get("since") or p.since.date().isoformat(),
        # `until` is exclusive; the form shows the last day the period covers.
        "until": args.get("until") or (p.until - timedelta(microseconds=1)).date().isoformat(),
        "days": args.get("days") or p.days,
        "limit": args.get("limit") or p.limit,
        "count": p.count,
        **{kind: args.getlist(kind) for kind in LIST_TERM_KINDS},
    }
    return p, form


def _csv_url(name: str, **changes: str) -> str:
    """The CSV twin of a report in the API, asked with this page's query string (and the
    page's default of whose usage counts, which is not the API's)."""
    args = request.args.copy()
    for key, value in changes.items():
        args[key] = value
    args.setdefault("count", COUNT_SALES)
    return url_for(f"api.report_{name.replace('-', '_')}_csv", **args.to_dict(flat=False))


def _period_days(p: ReportParams) -> int:
    return max(1, round((p.until - p.since).total_seconds() / 86400))


def change_text(now: int, before: int, days: int) -> str:
    """How a total compares with the period before, e.g. "+12% vs previous 30 days"."""
    span = f"previous {days} day{'s' if days != 1 else ''}"
    if before == 0:
        return f"none in the {span}" if now else f"no change vs {span}"
    return f"{round((now - before) * 100 / before):+d}% vs {span}"


def usage_chart(points: list[OverviewPoint], bucket: str, measures=MEASURES) -> Markup:
    """The chart of some measures per day or week; render_chart escapes every label."""
    series = [
        Series(label, [(pt.start.isoformat(), getattr(pt, name)) for pt in points])
        for name, label in measures
    ]
    title = f"{', '.join(label for _, label in measures)} per {bucket}"
    # render_chart escapes every label, name and title it puts in the SVG.
    return Markup(render_chart(series, title))  # noqa: S704  # nosec


def overview_charts(points: list[OverviewPoint], bucket: str) -> list[Markup]:
    """One small chart per measure, each with its own y axis (small_chart escapes its text)."""
    starts = [pt.start for pt in points]
    return [
        # small_chart escapes every label and name it puts in the SVG.
        Markup(  # noqa: S704  # nosec
            small_chart(Measure(label, [getattr(pt, name) for pt in points]), starts, bucket, n)
        )
        for n, (name, label) in enumerate(MEASURES)
    ]


def _page(template: str, form: dict, csv_url: str, **context):
    return render_template(
        template,
        form=form,
        terms=offered_terms(include_retired=True),
        csv_url=csv_url,
        **context,
    )


@reports_bp.get("/")
@requires(READ_USAGE)
def overview():
    p, form = _period(request.args)
    data = reports.overview(p)
    days = _period_days(p)
    cards = [
        (
            label,
            getattr(data.totals, name),
            change_text(getattr(data.totals, name), getattr(data.previous, name), days),
        )
        for name, label in MEASURES
    ]
    return _page(
        "reports/overview.html",
        form,
        _csv_url("overview"),
        data=data,
        cards=cards,
        charts=overview_charts(data.points, data.bucket),
        measures=MEASURES,
        day_label=day_label,
        empty=not any(getattr(data.totals, name) for name, _ in MEASURES),
    )


@reports_bp.get("/top")
@requires(READ_PEOPLE)
def top():
    p, form = _period(request.args)
    rows = reports.top_assets(p)
    # Drafts, archived and expired assets keep their place (the usage happened, and the totals
    # must add up), marked, and linked only for those who may open them.
    today = utcnow().date()
    openable = {row.asset.id for row in rows if can_view_asset(current_user, row.asset, today)}
    return _page("reports/top.html", form, _csv_url("top-assets"), rows=rows, openable=openable)


@reports_bp.get("/unused")
@requires(READ_USAGE)
def unused():
    p, form = _period(request.args)
    return _page("reports/unused.html", form, _csv_url("stale"), rows=reports.stale_assets(p))


@reports_bp.get("/searches")
@requires(READ_USAGE)
def searches():
    p, form = _period(request.args)
    plain = replace(p, zero_results=False, unopened=False)
    return _page(
        "reports/searches.html",
        form,
        _csv_url("searches", zero_results="0", unopened="0"),
        top=reports.searches(plain),
        gaps=reports.searches(replace(plain, zero_results=True)),
        unopened=reports.searches(replace(plain, unopened=True)),
        gaps_csv=_csv_url("searches", zero_results="1", unopened="0"),
        unopened_csv=_csv_url("searches", zero_results="0", unopened="1"),
    )


@reports_bp.get("/people")
@requires(READ_PEOPLE)
def people():
    p, form = _period(request.args)
    return _page("reports/people.html", form, _csv_url("users"), rows=reports.users_report(p))


@reports_bp.get("/people/<int:user_id>")
@requires(READ_PEOPLE)
def person(user_id: int):
    p, form = _period(request.args)
    activity = reports.user_activity(user_id, p)
    events_csv = url_for(  # this person's events in the period, from the audit log
        "api.get_events_csv",
        user=activity.user.email,
        since=p.since.isoformat(),
        until=p.until.isoformat(),
    )
    return _page("reports/person.html", form, events_csv, activity=activity)


def asset_page_usage(user: User, asset_id: int) -> dict | None:
    """The asset page's usage section for marketers, managers and admins; None for reps."""
    if not can(user, READ_USAGE):
        return None
    until = utcnow()
    usage = reports.asset_usage(
        asset_id, ReportParams(since=until - ASSET_PAGE_PERIOD, until=until, count=COUNT_SALES)
    )
    return {
        "usage": usage,
        "chart": usage_chart(usage.points, usage.bucket, MEASURES[:1]),
        "empty": not any(pt.downloads for pt in usage.points),
    }


@reports_bp.get("/events")
@requires(AUDIT)
def events():
    page = positive_int(request.args.get("page"), "page", 1, MAX_PAGE)
    total, rows = list_events(parse_event_filters(request.args), page, PER_PAGE)
    for row in rows:  # the page reads the detail as text; the API and CSV keep the object
        row["detail_text"] = describe_detail(row["detail"])
    return render_template(
        "reports/events.html",
        events=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters={k: v for k in FILTER_KEYS if (v := request.args.get(k))},
        args=request.args,
    )
