"""supersede alerts and daily digests: asset.expiry_notified_for, user.daily_digest,
notification_digest

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expiry_notified_for", sa.Date(), nullable=True))
    op.create_index("ix_asset_expires_at", "asset", ["expires_at"])
    # Assets that expired before this upgrade are not news: only expiries from now on alert.
    op.execute(
        "UPDATE asset SET expiry_notified_for = expires_at "
        "WHERE expires_at IS NOT NULL AND expires_at < CURRENT_DATE"
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("daily_digest", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table(
        "notification_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_notification_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "day"),
    )


def downgrade():
    op.drop_table("notification_digest")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("daily_digest")
    op.drop_index("ix_asset_expires_at", table_name="asset")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_column("expiry_notified_for")
