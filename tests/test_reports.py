"""Usage reports over a known history: every figure, both edges of a period, JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update
from werkzeug.datastructures import MultiDict

from collateral.errors import NotFound
from collateral.extensions import db
from collateral.models import Asset, Event, Term, User, event_term, utcnow
from collateral.services import accounts, reports
from collateral.services.reports import ReportParams, parse_report_params
from collateral.services.taxonomy import list_terms
from tests.conftest import PASSWORD
from tests.test_openapi import validate

SINCE, UNTIL = datetime(2025, 6, 1), datetime(2025, 6, 11)  # ten days: one point per day
PERIOD = {"since": "2025-06-01T00:00:00Z", "until": "2025-06-11T00:00:00Z"}
OLD = datetime(2024, 1, 1)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 6) -> datetime:
    return datetime(2025, month, day, hour, minute, second)


@pytest.fixture
def history(app, api):
    """Seven assets and a known set of events around the period 2025-06-01 .. 2025-06-11."""
    ids = {}
    for name, product in (("A", "Atlas CRM"), ("B", "Beacon Analytics")):  # two real uploads
        fields = {"products": [product], "industries": ["Retail"] if name == "A" else []}
        response = api.upload(f"Asset {name} text".encode(), f"{name}.txt", title=name, **fields)
        assert response.status_code == 201, response.get_json()
        ids[name] = response.get_json()["id"]
    with app.app_context():
        accounts.create_user("rep2@example.com", "rep", PASSWORD, "Rep Two")
        gone = accounts.create_user("gone@example.com", "marketer", PASSWORD, "Gone")
        gone.active = False
        users = {u.email.split("@")[0]: u.id for u in db.session.scalars(select(User))}
        terms = {t.name: t.id for t in list_terms()}
        db.session.execute(update(Asset).values(created_at=OLD))
        others = {
            "C": {"terms": [db.session.get(Term, terms["Atlas CRM"])]},  # downloaded long ago
            "D": {},  # never downloaded: unused
            "E": {"created_at": SINCE},  # young: not unused yet
            "F": {"expires_at": date(2020, 1, 1)},  # expired: not listed
            "G": {"status": "draft"},  # not published: not listed
        }
        for name, fields in others.items():
            asset = Asset(title=name, owner_id=users["marketer"], **{"created_at": OLD, **fields})
            db.session.add(asset)
            db.session.flush()
            ids[name] = asset.id

        def event(type, user, asset=None, when=None, **fields):
            row = Event(type=type, user_id=users[user], asset_id=ids.get(asset), at=when, **fields)
            db.session.add(row)
            db.session.flush()
            return row

        def search(user, query, results, when, terms_=()):
            row = event("search", user, when=when, search_query=query, result_count=results)
            for term in terms_:
                db.session.execute(insert(event_term), {"event_id": row.id, "term_id": terms[term]})
            return row

        event("download", "rep", "A", SINCE, version_number=2)  # exactly at since: counts
        event("download", "rep", "A", UNTIL, version_number=2)  # exactly at until: does not
        event("view", "rep2", "A", at(3, 10))
        atlas = search("rep", "atlas pricing", 3, at(2, 8), ["Atlas CRM"])
        event("view", "rep", "A", at(3, 11), search_event_id=atlas.id)
        event("download", "rep2", "A", at(5, 9), version_number=1)
        event("view", "manager", "B", at(5, 12))
        event("download", "rep", "B", at(10, 23, 59, 59), version_number=1)
        search("rep2", "atlas pricing", 1, at(4, 8))
        search("rep", "gdpr dpa", 0, at(6, 9))
        search("rep2", "gdpr dpa", 0, at(7, 9))
        search("manager", "gdpr dpa", 0, at(8, 9))
        search("rep", "beacon roi", 2, at(9, 12), ["Beacon Analytics"])
        event("login", "marketer", when=at(9, 8))
        event("login", "gone", when=at(9, 9))  # an inactive user: not in the people report
        # The period before (2025-05-22 .. 2025-06-01), edges included and excluded.
        event("download", "rep", "A", at(31, 23, 59, 59, month=5))
        event("view", "rep2", "B", at(22, month=5))
        search("manager", "old", 5, at(21, 23, 59, month=5))
        # Long ago: C's last download.
        event("download", "rep", "C", datetime(2025, 1, 1))
        db.session.commit()
    return {"assets": ids, "users": users, "terms": terms, "atlas_search": atlas.id}


def params(**kwargs) -> ReportParams:
    return ReportParams(**{"since": SINCE, "until": UNTIL, "term_ids": {}, **kwargs})


def figures(point) -> tuple:
    return (point.downloads, point.views, point.searches, point.active_reps)


def test_overview_days_totals_and_previous(app, history):
    with app.app_context():
        result = reports.overview(params())
    assert result.bucket == "day"
    assert [p.start for p in result.points] == [date(2025, 6, d) for d in range(1, 11)]
    assert [figures(p) for p in result.points] == [
        (1, 0, 0, 1),  # 06-01: the download exactly at since
        (0, 0, 1, 1),
        (0, 2, 0, 2),
        (0, 0, 1, 1),
        (1, 1, 0, 1),  # the manager's view does not make an active rep
        (0, 0, 1, 1),
        (0, 0, 1, 1),
        (0, 0, 1, 0),
        (0, 0, 1, 1),  # a marketer's login is not a rep's
        (1, 0, 0, 1),  # 23:59:59 counts; the download exactly at until does not
    ]
    assert figures(result.totals) == (3, 3, 6, 2)
    assert figures(result.previous) == (1, 1, 0, 2)  # 05-22 00:00 in, 05-21 23:59 out


def test_overview_weeks(app, history):
    with app.app_context():
        result = reports.overview(params(since=datetime(2025, 4, 1)))  # 71 days
        assert reports.overview(params(since=UNTIL - timedelta(days=62))).bucket == "day"
        longer = params(since=UNTIL - timedelta(days=62, seconds=1))
        assert reports.overview(longer).bucket == "week"
    assert result.bucket == "week"
    starts = [p.start for p in result.points]
    assert starts[0] == date(2025, 3, 31) and starts[-1] == date(2025, 6, 9)  # Mondays
    assert len(starts) == 11
    by_start = {p.start: figures(p) for p in result.points}
    assert by_start[date(2025, 5, 19)] == (0, 1, 1, 1)
    assert by_start[date(2025, 5, 26)] == (2, 0, 0, 1)  # Saturday 05-31 and Sunday 06-01
    assert by_start[date(2025, 6, 2)] == (1, 3, 5, 2)
    assert by_start[date(2025, 6, 9)] == (1, 0, 1, 1)
    assert [sum(f) for f in zip(*map(figures, result.points), strict=True)][:3] == [
        result.totals.downloads,
        result.totals.views,
        result.totals.searches,
    ]


def test_overview_filtered_by_product(app, history):
    with app.app_context():
        atlas = params(term_ids={"product": [history["terms"]["Atlas CRM"]]})
        result = reports.overview(atlas)
    # Views and downloads of A (and C); searches filtered by Atlas CRM; reps doing those.
    assert figures(result.totals) == (2, 2, 1, 2)
    assert figures(result.previous) == (1, 0, 0, 1)


def test_top_assets(app, history):
    a, b = history["assets"]["A"], history["assets"]["B"]
    with app.app_context():
        rows = [
            (r.asset.id, r.downloads, r.views, r.unique_users) for r in reports.top_assets(params())
        ]
        assert rows == [(a, 2, 2, 2), (b, 1, 1, 2)]
        assert [r.asset.id for r in reports.top_assets(params(limit=1))] == [a]
        terms = history["terms"]
        atlas = reports.top_assets(params(term_ids={"product": [terms["Atlas CRM"]]}))
        assert [r.asset.id for r in atlas] == [a]
        both = {"product": [terms["Atlas CRM"], terms["Beacon Analytics"]]}
        assert [r.asset.id for r in reports.top_assets(params(term_ids=both))] == [a, b]
        across = {"product": [terms["Atlas CRM"]], "industry": [terms["Healthcare"]]}
        assert reports.top_assets(params(term_ids=across)) == []


def test_stale_assets(app, history):
    ids = history["assets"]
    with app.app_context():
        rows = reports.stale_assets(params())
        assert [(r.asset.id, r.last_download_at, r.owner.email) for r in rows] == [
            (ids["D"], None, "marketer@example.com"),
            (ids["C"], datetime(2025, 1, 1), "marketer@example.com"),
        ]
        # A window reaching back past C's last download: only the never-downloaded one.
        assert [r.asset.id for r in reports.stale_assets(params(days=200))] == [ids["D"]]
        atlas = params(term_ids={"product": [history["terms"]["Atlas CRM"]]})
        assert [r.asset.id for r in reports.stale_assets(atlas)] == [ids["C"]]
        # Until before A's downloads: A had none in the 90 days before, and was created long ago.
        early = reports.stale_assets(params(until=datetime(2025, 5, 1), limit=10))
        assert ids["A"] in [r.asset.id for r in early]
        assert ids["E"] not in [r.asset.id for r in early]


def test_searches(app, history):
    with app.app_context():
        rows = reports.searches(params())
        assert [
            (r.query, r.count, r.last_at, r.avg_results, r.zero_results, r.opened) for r in rows
        ] == [
            ("gdpr dpa", 3, at(8, 9), 0.0, 3, 0),
            ("atlas pricing", 2, at(4, 8), 2.0, 0, 1),
            ("beacon roi", 1, at(9, 12), 2.0, 0, 0),
        ]
        gaps = reports.searches(params(zero_results=True))
        assert [(r.query, r.count, r.last_at) for r in gaps] == [("gdpr dpa", 3, at(8, 9))]
        unopened = reports.searches(params(unopened=True))
        assert [(r.query, r.count, r.opened) for r in unopened] == [("beacon roi", 1, 0)]
        atlas = params(term_ids={"product": [history["terms"]["Atlas CRM"]]})
        rows = reports.searches(atlas)
        assert [(r.query, r.count, r.avg_results, r.opened) for r in rows] == [
            ("atlas pricing", 1, 3.0, 1)
        ]


def test_users_report(app, history):
    with app.app_context():
        rows = reports.users_report(params())
        assert [
            (r.user.email.split("@")[0], r.searches, r.views, r.downloads, r.last_active)
            for r in rows
        ] == [
            ("rep", 3, 1, 2, at(10, 23, 59, 59)),
            ("rep2", 2, 1, 1, at(7, 9)),
            ("manager", 1, 1, 0, at(8, 9)),
            ("marketer", 0, 0, 0, at(9, 8)),
        ]
        atlas = params(term_ids={"product": [history["terms"]["Atlas CRM"]]})
        rows = reports.users_report(atlas)
        assert [
            (r.user.email.split("@")[0], r.searches, r.views, r.downloads, r.last_active)
            for r in rows
        ] == [("rep", 1, 1, 1, at(3, 11)), ("rep2", 0, 1, 1, at(5, 9))]


def test_user_activity(app, history):
    ids = history["assets"]
    with app.app_context():
        activity = reports.user_activity(history["users"]["rep"], params())
        assert (activity.row.searches, activity.row.views, activity.row.downloads) == (3, 1, 2)
        assert [(u.asset.id, u.views, u.downloads, u.last_at) for u in activity.assets] == [
            (ids["B"], 0, 1, at(10, 23, 59, 59)),
            (ids["A"], 1, 1, at(3, 11)),
        ]
        assert [(s.query, s.count) for s in activity.recent_searches] == [
            ("beacon roi", 1),
            ("gdpr dpa", 1),
            ("atlas pricing", 1),
        ]
        idle = reports.user_activity(history["users"]["admin"], params())
        assert (idle.row.searches, idle.row.last_active, idle.assets) == (0, None, [])
        with pytest.raises(NotFound):
            reports.user_activity(999_999, params())


def test_asset_usage(app, history):
    ids, users = history["assets"], history["users"]
    with app.app_context():
        usage = reports.asset_usage(ids["A"], params())
        assert usage.bucket == "day"
        by_day = {p.start.day: figures(p) for p in usage.points if any(figures(p))}
        assert by_day == {1: (1, 0, 0, 1), 3: (0, 2, 1, 2), 5: (1, 0, 0, 1)}
        assert [(v.user.id, v.version, v.downloads, v.last_at) for v in usage.by_user] == [
            (users["rep2"], 1, 1, at(5, 9)),
            (users["rep"], 2, 1, SINCE),
        ]
        assert [(s.query, s.count, s.avg_results, s.opened) for s in usage.leading_searches] == [
            ("atlas pricing", 1, 3.0, 1)
        ]
        with pytest.raises(NotFound):
            reports.asset_usage(999_999, params())


def test_parse_params_defaults_and_date_only_until(app):
    with app.app_context():
        before = utcnow()
        default = parse_report_params(MultiDict())
        assert before <= default.until <= utcnow()
        assert default.until - default.since == timedelta(days=30)
        assert (default.limit, default.days, default.zero_results, default.unopened) == (
            50,
            90,
            False,
            False,
        )
        p = parse_report_params(MultiDict({"since": "2025-06-01", "until": "2025-06-10"}))
        assert (p.since, p.until) == (SINCE, UNTIL)
        p = parse_report_params(MultiDict({"until": "2025-06-11T02:00:00+02:00"}))
        assert (p.since, p.until) == (UNTIL - timedelta(days=30), UNTIL)
        args = MultiDict(
            [("product", "atlas crm"), ("product", "Beacon Analytics"), ("zero_results", "1")]
        )
        p = parse_report_params(args)
        assert len(p.term_ids["product"]) == 2 and p.zero_results


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2025-13-01"}, "until"),
        ({"since": "2025-06-02", "until": "2025-06-01"}, "since"),
        ({"since": "2025-06-01T00:00:00Z", "until": "2025-06-01T00:00:00Z"}, "since"),
        ({"since": "2000-01-01", "until": "2025-06-01"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"days": "x"}, "days"),
        ({"product": "Nothing"}, "product"),
        ({"stage": "Nowhere"}, "stage"),
        ({"zero_results": "maybe"}, "zero_results"),
        ({"zero_results": "true", "unopened": "true"}, "unopened"),
        ({"since": "9999-12-30", "until": "9999-12-31T12:00:00"}, "until"),
        ({"until": "9999-12-31T23:59:59"}, "until"),
        ({"until": "0001-01-02"}, "since"),
        ({"since": "0001-01-01", "until": "0001-01-05"}, "since"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(api, query, field):
    for path in (
        "/api/v1/reports/searches",
        "/api/v1/reports/stale.csv",
        "/api/v1/reports/overview",
        "/api/v1/reports/stale",
    ):
        response = api.get(path, role="manager", query_string=query)
        assert response.status_code == 400
        assert response.get_json()["error"]["message"].startswith(f"{field}:")


def test_unknown_product_lists_the_accepted_names(api):
    response = api.get("/api/v1/reports/top-assets", role="admin", query_string={"product": "X"})
    assert "Atlas CRM" in response.get_json()["error"]["message"]


REPORT_PATHS = ("overview", "top-assets", "stale", "searches", "users")


@pytest.mark.parametrize("name", REPORT_PATHS)
def test_reps_may_not_read_reports(api, name):
    for suffix in ("", ".csv"):
        assert api.get(f"/api/v1/reports/{name}{suffix}", role="rep").status_code == 403


@pytest.mark.parametrize(
    ("name", "allowed"), [("overview", True), ("top-assets", False), ("stale", True),
                          ("searches", True), ("users", False)]
)  # fmt: skip
def test_marketers_read_content_reports_only(api, name, allowed):
    response = api.get(f"/api/v1/reports/{name}", role="marketer")
    assert response.status_code == (200 if allowed else 403)


def get_json(api, name, **query):
    response = api.get(f"/api/v1/reports/{name}", role="admin", query_string={**PERIOD, **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def get_csv(api, name, **query):
    path = f"/api/v1/reports/{name}.csv"
    response = api.get(path, role="manager", query_string={**PERIOD, **query})
    assert response.status_code == 200, response.get_data()
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}.csv"'
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_overview_json_and_csv(api, history):
    body = get_json(api, "overview")
    validate(body, "ReportOverview")
    assert (body["bucket"], body["since"], body["until"]) == (
        "day",
        "2025-06-01T00:00:00Z",
        "2025-06-11T00:00:00Z",
    )
    assert body["totals"] == {"downloads": 3, "views": 3, "searches": 6, "active_reps": 2}
    assert body["previous"] == {"downloads": 1, "views": 1, "searches": 0, "active_reps": 2}
    assert body["points"][0] == {
        "start": "2025-06-01",
        "downloads": 1,
        "views": 0,
        "searches": 0,
        "active_reps": 1,
    }
    # A date-only until is the whole of that day; a time is exclusive.
    assert get_json(api, "overview", until="2025-06-10")["totals"] == body["totals"]
    cut = get_json(api, "overview", until="2025-06-10T23:59:59Z")["totals"]
    assert cut["downloads"] == 2
    rows = get_csv(api, "overview")
    assert rows[0] == ["start", "downloads", "views", "searches", "active_reps"]
    assert rows[1] == ["2025-06-01", "1", "0", "0", "1"]
    assert rows[10] == ["2025-06-10", "1", "0", "0", "1"]
    assert len(rows) == 11


def test_top_assets_json_and_csv(api, history):
    a, b = history["assets"]["A"], history["assets"]["B"]
    body = get_json(api, "top-assets")
    validate(body, "ReportTopAssets")
    assert body == [
        {"asset": {"id": a, "title": "A"}, "downloads": 2, "views": 2, "unique_users": 2},
        {"asset": {"id": b, "title": "B"}, "downloads": 1, "views": 1, "unique_users": 2},
    ]
    assert [r["asset"]["id"] for r in get_json(api, "top-assets", product="Atlas CRM")] == [a]
    assert get_csv(api, "top-assets") == [
        ["asset_id", "title", "downloads", "views", "unique_users"],
        [str(a), "A", "2", "2", "2"],
        [str(b), "B", "1", "1", "2"],
    ]


def test_stale_json_and_csv(api, history):
    c, d = history["assets"]["C"], history["assets"]["D"]
    body = get_json(api, "stale")
    validate(body, "ReportStale")
    assert body == [
        {
            "asset": {"id": d, "title": "D"},
            "last_download_at": None,
            "owner": "marketer@example.com",
        },
        {
            "asset": {"id": c, "title": "C"},
            "last_download_at": "2025-01-01T00:00:00Z",
            "owner": "marketer@example.com",
        },
    ]
    assert get_json(api, "stale", days="200") == body[:1]
    assert get_csv(api, "stale") == [
        ["asset_id", "title", "last_download_at", "owner"],
        [str(d), "D", "", "marketer@example.com"],
        [str(c), "C", "2025-01-01T00:00:00Z", "marketer@example.com"],
    ]


def test_searches_json_and_csv(api, history):
    body = get_json(api, "searches")
    validate(body, "ReportSearches")
    assert body[0] == {
        "query": "gdpr dpa",
        "count": 3,
        "last_at": "2025-06-08T09:00:00Z",
        "avg_results": 0.0,
        "zero_results": 3,
        "opened": 0,
    }
    assert [r["query"] for r in body] == ["gdpr dpa", "atlas pricing", "beacon roi"]
    assert [r["query"] for r in get_json(api, "searches", zero_results="true")] == ["gdpr dpa"]
    assert [r["query"] for r in get_json(api, "searches", unopened="1")] == ["beacon roi"]
    atlas = get_json(api, "searches", product="Atlas CRM")
    assert [(r["query"], r["count"]) for r in atlas] == [("atlas pricing", 1)]
    assert get_csv(api, "searches") == [
        ["query", "count", "last_at", "avg_results", "zero_results", "opened"],
        ["gdpr dpa", "3", "2025-06-08T09:00:00Z", "0.0", "3", "0"],
        ["atlas pricing", "2", "2025-06-04T08:00:00Z", "2.0", "0", "1"],
        ["beacon roi", "1", "2025-06-09T12:00:00Z", "2.0", "0", "0"],
    ]


def test_users_json_and_csv(api, history):
    body = get_json(api, "users")
    validate(body, "ReportUsers")
    assert body[0] == {
        "user": "rep@example.com",
        "role": "rep",
        "searches": 3,
        "views": 1,
        "downloads": 2,
        "last_active": "2025-06-10T23:59:59Z",
    }
    assert [r["user"] for r in body] == [
        "rep@example.com",
        "rep2@example.com",
        "manager@example.com",
        "marketer@example.com",
    ]
    rows = get_csv(api, "users")
    assert rows[0] == ["user", "role", "searches", "views", "downloads", "last_active"]
    assert rows[1:3] == [
        ["rep@example.com", "rep", "3", "1", "2", "2025-06-10T23:59:59Z"],
        ["rep2@example.com", "rep", "2", "1", "1", "2025-06-07T09:00:00Z"],
    ]
    assert len(rows) == 5


def test_csv_neutralises_formulas(app, api, history):
    with app.app_context():
        db.session.add(
            Event(type="search", at=at(2), search_query="=cmd()", result_count=0, user_id=None)
        )
        db.session.commit()
    rows = get_csv(api, "searches", zero_results="true")
    assert ["'=cmd()", "1", "2025-06-02T00:00:00Z", "0.0", "1", "0"] in rows


def test_searches_filtered_by_a_merged_term_count_for_the_term_it_was_merged_into(
    app, api, browser
):
    from collateral.services import taxonomy, taxonomy_care

    with app.app_context():
        zeta = taxonomy.add_term("product", "Zeta").id
        atlas = next(t.id for t in list_terms("product") if t.name == "Atlas CRM")
    api.search(q="zeta pricing", product="Zeta")
    api.search(q="both filters", product=["Zeta", "Atlas CRM"])
    with app.app_context():
        taxonomy_care.merge_terms(zeta, atlas)
    day = timedelta(days=1)
    now = {"since": (utcnow() - day).isoformat(), "until": (utcnow() + day).isoformat()}
    rows = get_json(api, "searches", product="Atlas CRM", **now)
    assert sorted(r["query"] for r in rows) == ["both filters", "zeta pricing"]
    with app.app_context():
        taxonomy.add_term("industry", "Mining")  # may be given the merged term's old id
        terms = db.session.execute(select(event_term.c.term_id)).scalars().all()
    assert zeta not in terms and sorted(terms) == [atlas, atlas]
    assert get_json(api, "searches", industry="Mining", **now) == []
