"""inbox order indexes

The expert inbox reads its pages from indexes (lms/advice/queue.py): the
requests an expert holds by resolution due time, and the waiting requests
oldest first (of all queues, and of one queue) with the columns their match
score is computed from. Each new index starts with the columns of the one it
replaces. Index changes only:
SQLite needs no table copy.

Revision ID: 0004_inbox_order
Revises: 0003_report_indexes
Create Date: 2026-11-28 10:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004_inbox_order'
down_revision = '0003_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('advice_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_advice_requests_claimed_state')
        batch_op.drop_index('ix_advice_requests_state')
        batch_op.drop_index('ix_advice_requests_queue_state_created')
        batch_op.create_index('ix_advice_requests_claimed_state_due',
                              ['claimed_by_id', 'state', 'resolution_due_at', 'id'], unique=False)
        batch_op.create_index('ix_advice_requests_state_created_match',
                              ['state', 'created_at', 'id', 'queue_id', 'region', 'value_chain', 'language'],
                              unique=False)
        batch_op.create_index('ix_advice_requests_queue_state_created_match',
                              ['queue_id', 'state', 'created_at', 'id', 'region', 'value_chain', 'language'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('advice_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_advice_requests_queue_state_created_match')
        batch_op.drop_index('ix_advice_requests_state_created_match')
        batch_op.drop_index('ix_advice_requests_claimed_state_due')
        batch_op.create_index('ix_advice_requests_state', ['state'], unique=False)
        batch_op.create_index('ix_advice_requests_claimed_state', ['claimed_by_id', 'state'], unique=False)
        batch_op.create_index('ix_advice_requests_queue_state_created', ['queue_id', 'state', 'created_at'],
                              unique=False)
