"""shares: links for buyers, their assets, visits, time per page; notifications

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("passcode_hash", sa.String(length=256), nullable=True),
        sa.Column("require_email", sa.Boolean(), nullable=False),
        sa.Column("allow_download", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.create_index("ix_share_created_by_id", ["created_by_id"], unique=False)

    op.create_table(
        "share_asset",
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"]),
        sa.ForeignKeyConstraint(["share_id"], ["share.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("share_id", "asset_id"),
    )
    with op.batch_alter_table("share_asset", schema=None) as batch_op:
        batch_op.create_index("ix_share_asset_asset_id", ["asset_id"], unique=False)

    op.create_table(
        "share_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("visitor_key", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("beacon_window_at", sa.DateTime(), nullable=True),
        sa.Column("beacon_count", sa.Integer(), nullable=False),
        sa.Column("mail_sent_at", sa.DateTime(), nullable=True),
        sa.Column("mail_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["share_id"], ["share.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("share_visit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_share_visit_share_visitor", ["share_id", "visitor_key"], unique=False
        )
        batch_op.create_index("ix_share_visit_started_at", ["started_at"], unique=False)

    op.create_table(
        "share_page_time",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["share_visit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("visit_id", "asset_id", "page"),
    )
    with op.batch_alter_table("share_page_time", schema=None) as batch_op:
        batch_op.create_index("ix_share_page_time_asset_id", ["asset_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("share_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_user_at", ["user_id", "at"], unique=False)


def downgrade():
    op.drop_table("notification")
    op.drop_table("share_page_time")
    op.drop_table("share_visit")
    op.drop_table("share_asset")
    op.drop_table("share")
