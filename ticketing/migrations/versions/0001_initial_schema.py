"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 19:03:09.975431
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('counters',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_counters'))
    )
    op.create_table('kb_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['kb_categories.id'], name=op.f('fk_kb_categories_parent_id_kb_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_categories'))
    )
    op.create_table('notification_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('auto_send', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_templates'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('calendar', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['sites.id'], name=op.f('fk_sites_parent_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_path'), ['path'], unique=False)

    op.create_table('workflow_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_definitions')),
    sa.UniqueConstraint('key', 'version', name='uq_workflow_key_version')
    )
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('workflow_key', sa.String(length=64), nullable=False),
    sa.Column('number_pattern', sa.String(length=64), nullable=False),
    sa.Column('form_schema', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['categories.id'], name=op.f('fk_categories_parent_id_categories')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_categories_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('code', 'site_id', name='uq_categories_code_site')
    )
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_no', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('tier', sa.String(length=8), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('remark', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_customers_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('account_no', name=op.f('uq_customers_account_no'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_site_id'), ['site_id'], unique=False)

    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['users.id'], name=op.f('fk_departments_manager_id_users'), use_alter=True),
    sa.ForeignKeyConstraint(['parent_id'], ['departments.id'], name=op.f('fk_departments_parent_id_departments')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_departments_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('code', name=op.f('uq_departments_code'))
    )
    op.create_table('kb_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('tags', sa.String(length=200), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['kb_categories.id'], name=op.f('fk_kb_articles_category_id_kb_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles'))
    )
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_articles_category_id'), ['category_id'], unique=False)

    op.create_table('standard_phrases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_standard_phrases_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_phrases'))
    )
    with op.batch_alter_table('standard_phrases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_phrases_category'), ['category'], unique=False)

    op.create_table('survey_dimensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_survey_dimensions_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_dimensions'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contacts_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_phone'), ['phone'], unique=False)

    op.create_table('customer_phones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('raw', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_phones_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_phones'))
    )
    with op.batch_alter_table('customer_phones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_phones_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_customer_phones_number', ['number'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_no', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=128), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_users_department_id_departments')),
    sa.ForeignKeyConstraint(['manager_id'], ['users.id'], name=op.f('fk_users_manager_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_users_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('staff_no', name=op.f('uq_users_staff_no'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('interactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('dnis', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('duration', sa.Double(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('file_path', sa.String(length=500), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], name=op.f('fk_interactions_assigned_to_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_interactions_customer_id_customers')),
    sa.ForeignKeyConstraint(['parent_id'], ['interactions.id'], name=op.f('fk_interactions_parent_id_interactions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_interactions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interactions')),
    sa.UniqueConstraint('kind', 'external_id', name='uq_interactions_kind_external')
    )
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.create_index('ix_interactions_customer_time', ['customer_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_interactions_inbox', ['assigned_to_id', 'status'], unique=False)
        batch_op.create_index('ix_interactions_number_time', ['number', 'occurred_at'], unique=False)

    op.create_table('outage_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_key', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('area', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('remark', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_outage_notices_created_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_outage_notices_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outage_notices')),
    sa.UniqueConstraint('notice_key', 'version', name='uq_outage_key_version')
    )
    with op.batch_alter_table('outage_notices', schema=None) as batch_op:
        batch_op.create_index('ix_outage_site_time', ['site_id', 'starts_at'], unique=False)

    op.create_table('user_sites',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_user_sites_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sites_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'site_id', name=op.f('pk_user_sites'))
    )
    op.create_table('work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('subcategory', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('caller_number', sa.String(length=32), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('workflow_id', sa.Integer(), nullable=False),
    sa.Column('workflow_key', sa.String(length=64), nullable=False),
    sa.Column('workflow_version', sa.Integer(), nullable=False),
    sa.Column('current_node', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('status_times', sa.JSON(), nullable=False),
    sa.Column('node_entered_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('category_locked', sa.Boolean(), nullable=False),
    sa.Column('disabled_nodes', sa.JSON(), nullable=False),
    sa.Column('source_interaction_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_work_orders_created_by_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_work_orders_customer_id_customers')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_work_orders_site_id_sites')),
    sa.ForeignKeyConstraint(['source_interaction_id'], ['interactions.id'], name=op.f('fk_work_orders_source_interaction_id_interactions')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflow_definitions.id'], name=op.f('fk_work_orders_workflow_id_workflow_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_work_orders_number'))
    )
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_caller', ['caller_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_category'), ['category'], unique=False)
        batch_op.create_index('ix_work_orders_customer_open', ['customer_id', 'is_open'], unique=False)
        batch_op.create_index('ix_work_orders_due', ['is_open', 'due_at'], unique=False)
        batch_op.create_index('ix_work_orders_site_status', ['site_id', 'status'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('acted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_assignments_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_assignments_user_state', ['user_id', 'state'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_comments_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_comments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_order_id'), ['order_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('recipient', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_notifications_order_id_work_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_state', ['state', 'channel'], unique=False)

    op.create_table('order_interactions',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=True),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_order_interactions_interaction_id_interactions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_order_interactions_linked_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_interactions_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'interaction_id', name=op.f('pk_order_interactions'))
    )
    with op.batch_alter_table('order_interactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_interactions_interaction_id'), ['interaction_id'], unique=False)

    op.create_table('order_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_order_id', sa.Integer(), nullable=False),
    sa.Column('to_order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['from_order_id'], ['work_orders.id'], name=op.f('fk_order_links_from_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_order_id'], ['work_orders.id'], name=op.f('fk_order_links_to_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_links')),
    sa.UniqueConstraint('from_order_id', 'to_order_id', 'kind', name='uq_order_links')
    )
    with op.batch_alter_table('order_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_links_from_order_id'), ['from_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_links_to_order_id'), ['to_order_id'], unique=False)

    op.create_table('survey_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('satisfied', sa.Boolean(), nullable=False),
    sa.Column('remark', sa.Text(), nullable=False),
    sa.Column('follow_up_order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['follow_up_order_id'], ['work_orders.id'], name=op.f('fk_survey_results_follow_up_order_id_work_orders')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_survey_results_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_survey_results_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_results'))
    )
    with op.batch_alter_table('survey_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_results_order_id'), ['order_id'], unique=False)

    op.create_table('timers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('fired_at', sa.DateTime(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_timers_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timers'))
    )
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timers_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_timers_state_due', ['state', 'due_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_state_due')
        batch_op.drop_index(batch_op.f('ix_timers_order_id'))

    op.drop_table('timers')
    with op.batch_alter_table('survey_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_results_order_id'))

    op.drop_table('survey_results')
    with op.batch_alter_table('order_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_links_to_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_links_from_order_id'))

    op.drop_table('order_links')
    with op.batch_alter_table('order_interactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_interactions_interaction_id'))

    op.drop_table('order_interactions')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_state')

    op.drop_table('notifications')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_order_id'))

    op.drop_table('comments')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_user_state')
        batch_op.drop_index(batch_op.f('ix_assignments_order_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_site_status')
        batch_op.drop_index('ix_work_orders_due')
        batch_op.drop_index('ix_work_orders_customer_open')
        batch_op.drop_index(batch_op.f('ix_work_orders_category'))
        batch_op.drop_index('ix_work_orders_caller')

    op.drop_table('work_orders')
    op.drop_table('user_sites')
    with op.batch_alter_table('outage_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_outage_site_time')

    op.drop_table('outage_notices')
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index('ix_interactions_number_time')
        batch_op.drop_index('ix_interactions_inbox')
        batch_op.drop_index('ix_interactions_customer_time')

    op.drop_table('interactions')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entity')

    op.drop_table('audit_log')
    op.drop_table('users')
    with op.batch_alter_table('customer_phones', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_phones_number')
        batch_op.drop_index(batch_op.f('ix_customer_phones_customer_id'))

    op.drop_table('customer_phones')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_phone'))
        batch_op.drop_index(batch_op.f('ix_contacts_customer_id'))

    op.drop_table('contacts')
    op.drop_table('survey_dimensions')
    with op.batch_alter_table('standard_phrases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standard_phrases_category'))

    op.drop_table('standard_phrases')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_articles_category_id'))

    op.drop_table('kb_articles')
    op.drop_table('departments')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_site_id'))
        batch_op.drop_index(batch_op.f('ix_customers_name'))

    op.drop_table('customers')
    op.drop_table('categories')
    op.drop_table('workflow_definitions')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_path'))

    op.drop_table('sites')
    op.drop_table('notification_templates')
    op.drop_table('kb_categories')
    op.drop_table('counters')

