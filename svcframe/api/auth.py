"""Authentication, chosen by ``[api] auth_strategy``, and the request context.

Both strategies leave the caller's identity in the environ for
ContextFilter, which builds the RequestContext the controllers use.
"""

from __future__ import annotations

import webob
import webob.dec
from oslo_config import cfg
from oslo_log import log as logging
from oslo_middleware import basic_auth

from svcframe import context as svcframe_context
from svcframe import exception
from svcframe.api import errors
from svcframe.api import middleware
from svcframe.api import policy

LOG = logging.getLogger(__name__)

IDENTITY_KEY = 'svcframe.identity'
CONTEXT_KEY = 'svcframe.context'


class NoAuth(middleware.Middleware):
    """Development only: the caller is whoever the X-* headers say.

    No headers at all means an admin, so that curl works out of the box.
    """

    @webob.dec.wsgify
    def __call__(self, req: webob.Request):
        headers = req.headers
        if not any(name in headers for name in ('X-User-Id', 'X-Project-Id', 'X-Roles')):
            identity = {'user_id': 'admin', 'project_id': 'admin', 'roles': ['admin']}
        else:
            roles = headers.get('X-Roles', '')
            identity = {'user_id': headers.get('X-User-Id'),
                        'project_id': headers.get('X-Project-Id'),
                        'roles': [role.strip() for role in roles.split(',') if role.strip()]}
        req.environ[IDENTITY_KEY] = identity
        return req.get_response(self.application)


class HttpBasicAuth:
    """Users and bcrypt passwords from an htpasswd file, through oslo.middleware.

    Every user in the file is an operator of the deployment: an admin, in a
    project named after the user.
    """

    def __init__(self, application, user_file: str) -> None:
        self.application = application
        self.user_file = user_file

    @webob.dec.wsgify
    def __call__(self, req: webob.Request):
        try:
            username, password = basic_auth.parse_token(basic_auth.parse_header(req.environ))
            basic_auth.authenticate(self.user_file, username, password)
        except webob.exc.HTTPException as error:
            LOG.info('Authentication refused: %s', error.detail or error.title)
            return errors.error_response(
                401, 'Authentication required: send valid HTTP basic credentials.',
                headers=[('WWW-Authenticate', 'Basic realm="svcframe"')])
        req.environ[IDENTITY_KEY] = {'user_id': username, 'project_id': username,
                                     'roles': ['admin']}
        return req.get_response(self.application)


def auth_filter(conf: cfg.ConfigOpts):
    """The filter for ``[api] auth_strategy``; checks the htpasswd file now."""
    strategy = conf.api.auth_strategy
    if strategy == 'noauth':
        return NoAuth
    user_file = conf.api.http_basic_auth_user_file
    allowed = 'a readable htpasswd file of user:bcrypt-hash lines (htpasswd -B)'
    try:
        with open(user_file):
            pass
    except OSError as error:
        raise exception.InvalidOptionValue(
            'api', 'http_basic_auth_user_file', user_file,
            '%s; it cannot be read: %s' % (allowed, error.strerror)) from None
    try:
        basic_auth.validate_auth_file(user_file)
    except Exception:
        raise exception.InvalidOptionValue(
            'api', 'http_basic_auth_user_file', user_file,
            '%s; it has a line that is not one' % allowed) from None
    return lambda application: HttpBasicAuth(application, user_file)


def auth_filter_factory(global_conf: dict, **local_conf: str):
    return auth_filter(cfg.CONF)


class ContextFilter:
    """Builds the RequestContext from the identity and the request id."""

    def __init__(self, application, enforcer) -> None:
        self.application = application
        self.enforcer = enforcer

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str):
        enforcer = policy.make_enforcer(cfg.CONF)
        return lambda application: cls(application, enforcer)

    @webob.dec.wsgify
    def __call__(self, req: webob.Request):
        identity = req.environ.get(IDENTITY_KEY, {})
        context = svcframe_context.RequestContext(
            user_id=identity.get('user_id'), project_id=identity.get('project_id'),
            roles=identity.get('roles', []),
            request_id=req.environ.get('openstack.request_id'))
        context.is_admin = policy.is_admin(self.enforcer, context)
        req.environ[CONTEXT_KEY] = context
        return req.get_response(self.application)
