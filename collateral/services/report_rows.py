"""What each usage report returns: plain rows, built by `reports` and shown by the views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..models import Asset, User


@dataclass
class Totals:
    downloads: int
    views: int
    searches: int
    active_reps: int  # distinct users with role "rep" having a (counted) event


@dataclass
class OverviewPoint:
    start: date  # the first day of the day or week (weeks start on Monday)
    downloads: int
    views: int
    searches: int
    active_reps: int


@dataclass
class Overview:
    bucket: str  # "day" or "week"
    points: list[OverviewPoint]  # every bucket the period touches, zeros included
    totals: Totals
    previous: Totals  # the period of equal length just before `since`


@dataclass
class TopAsset:
    asset: Asset
    downloads: int
    views: int
    unique_users: int


@dataclass
class StaleAsset:
    asset: Asset
    last_download_at: datetime | None
    owner: User


@dataclass
class SearchRow:
    query: str
    count: int
    last_at: datetime
    avg_results: float
    zero_results: int  # runs that found nothing
    opened: int  # runs followed by a view or download carrying that search's id


@dataclass
class UserRow:
    user: User
    searches: int
    views: int
    downloads: int
    last_active: datetime | None


@dataclass
class UsedAsset:
    asset: Asset
    views: int
    downloads: int
    last_at: datetime


@dataclass
class UserActivity:
    user: User
    row: UserRow
    assets: list[UsedAsset]
    recent_searches: list[SearchRow]


@dataclass
class VersionDownloads:
    user: User | None
    version: int | None
    downloads: int
    last_at: datetime


@dataclass
class AssetUsage:
    asset: Asset
    bucket: str
    points: list[OverviewPoint]  # searches: distinct searches that led here; reps: who used it
    by_user: list[VersionDownloads]
    leading_searches: list[SearchRow]
