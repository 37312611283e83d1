"""event search columns and event_term

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_query", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("result_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("search_event_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_event_search_event_id", ["search_event_id", "type"], unique=False)
        # Reports read a user's events by type without touching the rows.
        batch_op.drop_index("ix_event_user_at")
        batch_op.create_index(
            "ix_event_user_at", ["user_id", "at", "type", "asset_id"], unique=False
        )
        batch_op.create_index(
            "ix_event_type_at_asset_user", ["type", "at", "asset_id", "user_id"], unique=False
        )
        batch_op.create_index(
            "ix_event_type_at_query", ["type", "at", "search_query", "result_count"], unique=False
        )
    op.create_table(
        "event_term",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.PrimaryKeyConstraint("event_id", "term_id"),
    )
    with op.batch_alter_table("event_term", schema=None) as batch_op:
        batch_op.create_index("ix_event_term_term_id", ["term_id", "event_id"], unique=False)
    with op.batch_alter_table("asset_term", schema=None) as batch_op:
        batch_op.create_index("ix_asset_term_term_id", ["term_id", "asset_id"], unique=False)
    _backfill_searches()


def _backfill_searches():
    """Give searches recorded before this revision their query and result count."""
    bind = op.get_bind()
    event = sa.table(
        "event",
        sa.column("id", sa.Integer),
        sa.column("type", sa.String),
        sa.column("detail", sa.JSON),
        sa.column("search_query", sa.String),
        sa.column("result_count", sa.Integer),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(event.c.id, event.c.detail)
            .where(event.c.type == "search", event.c.id > last_id)
            .order_by(event.c.id)
            .limit(5000)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        values = []
        for row in rows:
            detail = row.detail if isinstance(row.detail, dict) else {}
            query = detail.get("query") if isinstance(detail.get("query"), str) else ""
            results = detail.get("results")
            values.append(
                {
                    "event_id": row.id,
                    "query": " ".join(query.split()).casefold()[:500],
                    "results": results if isinstance(results, int) else None,
                }
            )
        bind.execute(
            event.update()
            .where(event.c.id == sa.bindparam("event_id"))
            .values(search_query=sa.bindparam("query"), result_count=sa.bindparam("results")),
            values,
        )


def downgrade():
    with op.batch_alter_table("asset_term", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_term_term_id")
    with op.batch_alter_table("event_term", schema=None) as batch_op:
        batch_op.drop_index("ix_event_term_term_id")
    op.drop_table("event_term")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_type_at_query")
        batch_op.drop_index("ix_event_type_at_asset_user")
        batch_op.drop_index("ix_event_search_event_id")
        batch_op.drop_index("ix_event_user_at")
        batch_op.create_index("ix_event_user_at", ["user_id", "at"], unique=False)
        batch_op.drop_column("search_event_id")
        batch_op.drop_column("result_count")
        batch_op.drop_column("search_query")
