"""dmps: data management plans, co-authors, versions, links to datasets

Revision ID: 0013_dmps
Revises: 0012_formflow
Create Date: 2026-11-29 22:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db

revision = "0013_dmps"
down_revision = "0012_formflow"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dmps",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("plan", JSONType, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_dmps_owner_id"), "dmps", ["owner_id"], unique=False)
    op.create_table(
        "dmp_shares",
        sa.Column("dmp_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("permission", sa.String(length=8), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dmp_id"], ["dmps.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("dmp_id", "user_id"),
    )
    op.create_index(op.f("ix_dmp_shares_user_id"), "dmp_shares", ["user_id"], unique=False)
    op.create_table(
        "dmp_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dmp_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("plan", JSONType, nullable=False),
        sa.Column("changes", JSONType, nullable=False),
        sa.Column("note", JSONType, nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["dmp_id"], ["dmps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dmp_id", "number", name="uq_dmp_versions_number"),
    )
    op.create_index(op.f("ix_dmp_versions_dmp_id"), "dmp_versions", ["dmp_id"], unique=False)
    op.create_table(
        "dmp_dataset_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dmp_id", sa.String(length=32), nullable=False),
        sa.Column("dataset_key", sa.String(length=500), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dmp_id"], ["dmps.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["record_parents.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dmp_id", "dataset_key", name="uq_dmp_links_dataset"),
    )
    op.create_index(op.f("ix_dmp_dataset_links_dmp_id"), "dmp_dataset_links", ["dmp_id"], unique=False)
    op.create_index(op.f("ix_dmp_dataset_links_parent_id"), "dmp_dataset_links", ["parent_id"], unique=False)


def downgrade() -> None:
    op.drop_table("dmp_dataset_links")
    op.drop_table("dmp_versions")
    op.drop_table("dmp_shares")
    op.drop_index(op.f("ix_dmps_owner_id"), table_name="dmps")
    op.drop_table("dmps")
