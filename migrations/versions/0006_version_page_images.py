"""version page images: whether every page has an image, and the render job's claim

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PAGED_KINDS = ("pdf", "pptx", "docx", "xlsx", "odp", "odt", "ods")


def upgrade():
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preview_status", sa.String(length=20), server_default="none", nullable=False)
        )
        batch_op.add_column(sa.Column("preview_pages", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("preview_message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("preview_sizes", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("preview_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("preview_claimed_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("preview_claimed_until", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_version_preview_status", ["preview_status"], unique=False)
    # Files uploaded before page images existed get theirs from the background jobs.
    version = sa.table("version", sa.column("kind", sa.String), sa.column("preview_status"))
    op.execute(
        version.update().where(version.c.kind.in_(PAGED_KINDS)).values(preview_status="pending")
    )


def downgrade():
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.drop_index("ix_version_preview_status")
        for name in (
            "preview_claimed_until",
            "preview_claimed_by",
            "preview_attempts",
            "preview_sizes",
            "preview_message",
            "preview_pages",
            "preview_status",
        ):
            batch_op.drop_column(name)
