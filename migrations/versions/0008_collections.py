"""collections (call kits), favourites, the remembered deal picker; asset.updated_at indexed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # The newest asset change, read by every search suggestion to see whether its words are stale.
    op.create_index("ix_asset_updated_at", "asset", ["updated_at"])
    op.create_table(
        "collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_collection_owner_id", "collection", ["owner_id"])
    op.create_index("ix_collection_featured", "collection", ["featured"])
    op.create_table(
        "collection_item",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("collection_id", "asset_id"),
    )
    op.create_index("ix_collection_item_asset_id", "collection_item", ["asset_id"])
    op.create_table(
        "favourite",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("user_id", "asset_id"),
    )
    op.create_index("ix_favourite_asset_id", "favourite", ["asset_id"])
    op.create_table(
        "deal_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("term_ids", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade():
    op.drop_table("deal_preference")
    op.drop_index("ix_favourite_asset_id", table_name="favourite")
    op.drop_table("favourite")
    op.drop_index("ix_collection_item_asset_id", table_name="collection_item")
    op.drop_table("collection_item")
    op.drop_index("ix_collection_featured", table_name="collection")
    op.drop_index("ix_collection_owner_id", table_name="collection")
    op.drop_table("collection")
    op.drop_index("ix_asset_updated_at", table_name="asset")
