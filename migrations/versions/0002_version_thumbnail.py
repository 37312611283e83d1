"""version thumbnail

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thumbnail_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_version_thumbnail_sha256"), ["thumbnail_sha256"], unique=False
        )


def downgrade():
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_thumbnail_sha256"))
        batch_op.drop_column("thumbnail_sha256")
