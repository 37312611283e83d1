"""the ordered change log every node's index follows (replacing the consume-once outbox), the
nodes' reported positions, and the job queue's tables for PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "change_log",
        sa.Column("position", POSITION, nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("logged_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sqlite_autoincrement=True,
    )
    # Updates the outbox still owed become the first log rows, so no index misses them.
    op.execute(
        "INSERT INTO change_log (asset_id, logged_at) "
        "SELECT asset_id, queued_at FROM index_outbox ORDER BY id"
    )
    op.drop_index("ix_index_outbox_asset_id", table_name="index_outbox")
    op.drop_table("index_outbox")
    op.create_table(
        "change_log_pruned",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through", POSITION, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Assets made before the log have no rows in it: as if pruned, so that a new, empty index
    # (which starts at position 0) is rebuilt rather than built from the log alone.
    op.execute(
        "INSERT INTO change_log_pruned (id, through) "
        "SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM asset) THEN 1 ELSE 0 END"
    )
    op.create_table(
        "index_node",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("position", POSITION, nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_index_node_seen_at", "index_node", ["seen_at"])
    op.create_table(
        "job_queued",
        sa.Column("id", POSITION, nullable=False),
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_queued_queue", "job_queued", ["queue"])
    op.create_table(
        "job_scheduled",
        sa.Column("id", POSITION, nullable=False),
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_scheduled_run_at", "job_scheduled", ["run_at"])
    op.create_table(
        "job_value",
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("queue", "key"),
    )


def downgrade():
    op.drop_table("job_value")
    op.drop_index("ix_job_scheduled_run_at", table_name="job_scheduled")
    op.drop_table("job_scheduled")
    op.drop_index("ix_job_queued_queue", table_name="job_queued")
    op.drop_table("job_queued")
    op.drop_index("ix_index_node_seen_at", table_name="index_node")
    op.drop_table("index_node")
    op.drop_table("change_log_pruned")
    op.create_table(
        "index_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_index_outbox_asset_id", "index_outbox", ["asset_id"])
    op.drop_table("change_log")
