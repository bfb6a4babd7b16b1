"""Authorization rules, with their defaults in code (oslo.policy)."""

from __future__ import annotations

from oslo_config import cfg
from oslo_policy import policy

from svcframe import context as svcframe_context

RULES = [
    policy.RuleDefault('context_is_admin', 'role:admin',
                       description='Who is an admin.'),
    policy.RuleDefault('admin_api', 'rule:context_is_admin',
                       description='Admin-only APIs, such as the service registry.'),
    policy.RuleDefault('admin_or_owner',
                       'rule:context_is_admin or project_id:%(project_id)s',
                       description='The owner of a resource, or an admin.'),
    policy.RuleDefault('instances:create', 'rule:admin_or_owner',
                       description='Create an instance in the caller\'s project.'),
    policy.RuleDefault('instances:index', 'rule:admin_or_owner',
                       description='List instances: a project\'s own, or all for an admin.'),
    policy.RuleDefault('instances:show', 'rule:admin_or_owner',
                       description='Show an instance.'),
    policy.RuleDefault('instances:delete', 'rule:admin_or_owner',
                       description='Delete an instance.'),
    policy.RuleDefault('quotas:show', 'rule:admin_or_owner',
                       description='Show a project\'s quota limits and usage.'),
    policy.RuleDefault('quotas:update', 'rule:admin_api',
                       description='Set a project\'s quota limits.'),
]


def make_enforcer(conf: cfg.ConfigOpts) -> policy.Enforcer:
    """An enforcer with svcframe's rules; a policy file may override them."""
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(RULES)
    return enforcer


def is_admin(enforcer: policy.Enforcer,
             context: svcframe_context.RequestContext) -> bool:
    credentials = context.to_policy_values()
    return enforcer.enforce('context_is_admin', {}, credentials)


def list_rules() -> list[policy.RuleDefault]:
    """The ``oslo.policy.policies`` entry point, for oslopolicy-sample-generator."""
    return RULES
