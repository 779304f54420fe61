"""records.updated_by_id: who last changed a draft (the form's conflict message says who and when)

Revision ID: 0012_formflow
Revises: 0011_uploads
Create Date: 2026-11-29 22:05:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0012_formflow'
down_revision = '0011_uploads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_records_updated_by_id_users', 'users', ['updated_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_constraint('fk_records_updated_by_id_users', type_='foreignkey')
        batch_op.drop_column('updated_by_id')
