"""Links that follow a collection: a link made from a collection holds the collection's list,
and every change to the list is copied to its links in the same transaction, so buyers see
what the collection holds now (hidden assets are left out on the buyer's page, as for any
link). The copy keeps `share_asset` the one place that says what a link holds, for the
buyer's pages, the engagement report and the supersede alerts alike.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from ..extensions import db
from ..models import Share, ShareAsset


def follow_collection(collection_id: int, asset_ids: list[int]) -> int:
    """Make every unrevoked link to the collection hold `asset_ids`, in that order; how
    many links. In the caller's transaction."""
    share_ids = list(
        db.session.scalars(
            select(Share.id).where(Share.collection_id == collection_id, Share.revoked_at.is_(None))
        )
    )
    if not share_ids:
        return 0
    db.session.execute(
        delete(ShareAsset)
        .where(ShareAsset.share_id.in_(share_ids))
        .execution_options(synchronize_session=False)
    )
    rows = [
        {"share_id": share_id, "asset_id": asset_id, "position": position}
        for share_id in share_ids
        for position, asset_id in enumerate(asset_ids)
    ]
    if rows:
        db.session.execute(insert(ShareAsset), rows)
    for share in db.session.identity_map.values():
        if isinstance(share, Share) and share.id in share_ids:
            db.session.expire(share, ["items"])
    return len(share_ids)
