"""Demo users and collateral, loaded through the same services as real uploads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..demo_content import DEMO_INDUSTRIES, DEMO_PRODUCTS, generate_demo_assets
from ..extensions import db
from ..models import Asset
from . import accounts, taxonomy
from .actor import Actor
from .assets import create_asset
from .demo_usage import DemoUsage, load_demo_usage

DEMO_USERS = (
    ("rep@example.com", "rep", "Riley Rep", "rep-demo-pass"),
    ("marketer@example.com", "marketer", "Morgan Marketer", "marketer-demo-pass"),
    ("manager@example.com", "manager", "Max Manager", "manager-demo-pass"),
    ("admin@example.com", "admin", "Avery Admin", "admin-demo-pass"),
)


@dataclass
class DemoReport:
    added: int = 0
    skipped: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    usage: DemoUsage = field(default_factory=DemoUsage)


def _ensure_terms(kind: str, names: tuple[str, ...]) -> None:
    existing = {t.name.lower() for t in taxonomy.list_terms(kind)}
    for name in names:
        if name.lower() not in existing:
            taxonomy.add_term(kind, name)


def load_demo(folder: Path) -> DemoReport:
    """Add the demo users, products, industries, a dozen generated files and (on a library
    nobody has used yet) sixty days of usage; safe to re-run."""
    report = DemoReport()
    for email, role, name, password in DEMO_USERS:
        if accounts.find_user(email) is None:
            accounts.create_user(email, role, password, name)
        report.logins.append((email, role, password))
    _ensure_terms("product", DEMO_PRODUCTS)
    _ensure_terms("industry", DEMO_INDUSTRIES)
    marketer = accounts.find_user("marketer@example.com")
    titles = set(db.session.scalars(select(Asset.title)))
    for item in generate_demo_assets(folder):
        if item.title in titles:
            report.skipped += 1
            continue
        with item.path.open("rb") as stream:
            create_asset(
                Actor.of(marketer),
                stream,
                item.filename,
                {
                    "title": item.title,
                    "description": item.description,
                    "products": item.products,
                    "industries": item.industries,
                    "stages": item.stages,
                    "content_type": item.content_type,
                    "tags": item.tags,
                    "status": item.status,
                },
            )
        report.added += 1
    report.usage = load_demo_usage()  # once: a library with usage of its own keeps it
    return report
