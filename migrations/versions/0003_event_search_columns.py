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
