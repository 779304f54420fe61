"""controlled vocabularies (SKOS schemes, concepts, autocomplete labels)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:30:00
"""

from alembic import op
import sqlalchemy as sa
import app.db
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
# Byte-order collation on PostgreSQL so that prefix ranges over the btree are exact.
LabelKey = sa.String(length=200).with_variant(sa.String(length=200, collation='C'), 'postgresql')


def upgrade() -> None:
    op.create_table('vocabulary_schemes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('uri', sa.String(length=500), nullable=False),
    sa.Column('title', JSONType, nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=True),
    sa.Column('issued', sa.String(length=10), nullable=True),
    sa.Column('modified', sa.String(length=10), nullable=True),
    sa.Column('imported_at', app.db.UTCDateTime(), nullable=False),
    sa.Column('concept_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('uri')
    )
    op.create_table('vocabulary_concepts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('uri', sa.String(length=500), nullable=False),
    sa.Column('notation', sa.String(length=200), nullable=True),
    sa.Column('pref_labels', JSONType, nullable=False),
    sa.Column('alt_labels', JSONType, nullable=False),
    sa.Column('definitions', JSONType, nullable=False),
    sa.Column('broader', JSONType, nullable=False),
    sa.Column('deprecated', sa.Boolean(), nullable=False),
    sa.Column('replaced_by', JSONType, nullable=False),
    sa.Column('path', JSONType, nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['scheme_id'], ['vocabulary_schemes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scheme_id', 'uri', name='uq_vocabulary_concepts_uri')
    )
    with op.batch_alter_table('vocabulary_concepts', schema=None) as batch_op:
        batch_op.create_index('ix_vocabulary_concepts_notation', ['scheme_id', 'notation'], unique=False)

    op.create_table('vocabulary_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('concept_id', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=1000), nullable=False),
    sa.Column('key', LabelKey, nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('deprecated', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['concept_id'], ['vocabulary_concepts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scheme_id'], ['vocabulary_schemes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('vocabulary_labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vocabulary_labels_concept_id'), ['concept_id'], unique=False)
        batch_op.create_index('ix_vocabulary_labels_key', ['scheme_id', 'key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vocabulary_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_vocabulary_labels_key')
        batch_op.drop_index(batch_op.f('ix_vocabulary_labels_concept_id'))
    op.drop_table('vocabulary_labels')
    with op.batch_alter_table('vocabulary_concepts', schema=None) as batch_op:
        batch_op.drop_index('ix_vocabulary_concepts_notation')
    op.drop_table('vocabulary_concepts')
    op.drop_table('vocabulary_schemes')
