"""desk: the moderation desk (review comments, community checklists, e-mail opt-out)

Revision ID: 0014_desk
Revises: 0013_dmps
Create Date: 2026-11-29 22:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import app.db

revision = "0014_desk"
down_revision = "0013_dmps"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('notify_email', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('communities') as batch:
        batch.add_column(sa.Column('checklist', _JSON, server_default='[]', nullable=False))
    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('anchor_kind', sa.String(length=16), nullable=False),
    sa.Column('anchor', sa.String(length=500), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', app.db.UTCDateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id']),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id']),
    sa.ForeignKeyConstraint(['thread_id'], ['review_comments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_review_comments_record_id'), 'review_comments', ['record_id'], unique=False)
    op.create_index(op.f('ix_review_comments_thread_id'), 'review_comments', ['thread_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_review_comments_thread_id'), table_name='review_comments')
    op.drop_index(op.f('ix_review_comments_record_id'), table_name='review_comments')
    op.drop_table('review_comments')
    with op.batch_alter_table('communities') as batch:
        batch.drop_column('checklist')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('notify_email')
