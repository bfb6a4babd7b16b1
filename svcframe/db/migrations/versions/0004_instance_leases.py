"""Leases on instances on their way: who drives each, until when, and since when.

Revision ID: 0004
Revises: 0003

A conductor that dies leaves its instances' leases to expire, and another
takes them over. Instances already building or deleting when this runs
get an expired lease, so the first conductor to look takes them over.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'


def upgrade() -> None:
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('lease_holder', sa.String(255)))
        batch.add_column(sa.Column('lease_expires_at', sa.DateTime))
        batch.add_column(sa.Column('task_started_at', sa.DateTime))
        batch.add_column(sa.Column('tried_hosts', sa.Text))
        batch.create_index('instances_state_lease_expires_at_idx',
                           ['state', 'lease_expires_at'])
    instances = sa.table('instances', sa.column('state', sa.String),
                         sa.column('deleted', sa.Integer),
                         sa.column('created_at', sa.DateTime),
                         sa.column('updated_at', sa.DateTime),
                         sa.column('lease_expires_at', sa.DateTime),
                         sa.column('task_started_at', sa.DateTime))
    op.execute(
        instances.update()
        .where(instances.c.state.in_(('building', 'deleting')), instances.c.deleted == 0)
        .values(lease_expires_at=instances.c.created_at,
                task_started_at=sa.func.coalesce(instances.c.updated_at,
                                                  instances.c.created_at)))
