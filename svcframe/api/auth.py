"""Authentication, chosen by ``[api] auth_strategy``, and the request context.

Every strategy leaves the caller's identity in the environ for
ContextFilter, which builds the RequestContext the controllers use.
"""

from __future__ import annotations

import json
import re

import webob
import webob.dec
from oslo_config import cfg
from oslo_log import log as logging

from svcframe import context as svcframe_context
from svcframe import exception
from svcframe.api import errors
from svcframe.api import htpasswd
from svcframe.api import logins
from svcframe.api import middleware
from svcframe.api import policy

LOG = logging.getLogger(__name__)

IDENTITY_KEY = 'svcframe.identity'
CONTEXT_KEY = 'svcframe.context'

# What noauth takes for a user or project id: a Keystone id (32 hex digits)
# or a name a developer types. Not 'None': oslo.policy compares a target's
# missing project (None) as the string 'None', so that caller would own
# every record created with no project.
NOAUTH_ID = re.compile(r'[A-Za-z0-9_-]{1,64}\Z')
NOAUTH_ID_RULE = '1 to 64 of the characters A-Z a-z 0-9 _ - (and not "None")'
NOAUTH_ROLE = re.compile(r'[A-Za-z0-9_.:-]{1,64}\Z')
NOAUTH_ROLE_RULE = 'a comma-separated list of roles, each 1 to 64 of A-Z a-z 0-9 _ - . :'


class NoAuth(middleware.Middleware):
    """Development only: the caller is whoever the X-* headers say.

    No headers at all means an admin, so that curl works out of the box.
    A header that is there must hold a valid value (NOAUTH_ID_RULE,
    NOAUTH_ROLE_RULE): anything else, the empty string included, is a 400
    naming the header, never an identity that log lines or policy checks
    would carry.
    """

    @webob.dec.wsgify
    def __call__(self, req: webob.Request):
        headers = req.headers
        if not any(name in headers for name in ('X-User-Id', 'X-Project-Id', 'X-Roles')):
            identity = {'user_id': 'admin', 'project_id': 'admin', 'roles': ['admin']}
        else:
            try:
                identity = _noauth_identity(headers)
            except ValueError as error:
                return errors.error_response(400, str(error))
        req.environ[IDENTITY_KEY] = identity
        return req.get_response(self.application)


def _noauth_identity(headers: webob.headers.EnvironHeaders) -> dict:
    """The caller the X-* headers describe; ValueError naming a bad header."""
    identity: dict = {'roles': []}
    for key, name in (('user_id', 'X-User-Id'), ('project_id', 'X-Project-Id')):
        value = headers.get(name)
        if value is not None and (not NOAUTH_ID.match(value) or value == 'None'):
            raise ValueError(_bad_header(name, value, NOAUTH_ID_RULE))
        identity[key] = value
    roles = headers.get('X-Roles')
    if roles is not None:
        identity['roles'] = [role.strip() for role in roles.split(',') if role.strip()]
        if not all(NOAUTH_ROLE.match(role) for role in identity['roles']):
            raise ValueError(_bad_header('X-Roles', roles, NOAUTH_ROLE_RULE))
    return identity


def _bad_header(name: str, value: str, rule: str) -> str:
    shown = value if len(value) <= 72 else value[:64] + '...'
    return '%s must be %s, not %s.' % (name, rule, json.dumps(shown))


class HttpBasicAuth:
    """Users and bcrypt passwords from an htpasswd file.

    Every user in the file is an operator of the deployment: an admin, in a
    project named after the user.

    A login costs the same bcrypt work and gets the same 401 whether its user
    exists or not, and the work runs off the eventlet hub. Failed logins are
    counted per user name and per client address: past ``[api]
    http_basic_max_failures`` in ``http_basic_failure_window`` seconds the
    answer is a 429 with Retry-After, before any password is checked.
    """

    def __init__(self, application, conf: cfg.ConfigOpts, users: htpasswd.UserFile,
                 checker: logins.PasswordChecker, failures: logins.FailureBudget) -> None:
        self.application = application
        self.conf = conf
        self.users = users
        self.checker = checker
        self.failures = failures

    @webob.dec.wsgify
    def __call__(self, req: webob.Request):
        # Popped: no filter or app after this one needs the password.
        credentials = logins.parse_basic(req.environ.pop('HTTP_AUTHORIZATION', None))
        if credentials is None:
            return _basic_challenge()
        username, password = credentials
        address = req.remote_addr or '-'
        keys = (('user', username), ('address', address))
        api = self.conf.api
        wait = self.failures.charge(keys, api.http_basic_max_failures,
                                    api.http_basic_failure_window)
        if wait:
            LOG.info('Login of user %r from %s refused for %d s: too many failed logins',
                     username[:64], address, wait)
            return errors.error_response(
                429, 'Too many failed logins for this user or from this address; '
                'retry in %d seconds.' % wait, headers=[('Retry-After', str(wait))])
        users = self.users.current(self.checker.run)
        if not (self.checker.matches(password, users.hash_for(username))
                and username in users):
            LOG.info('Login of user %r from %s refused: wrong user name or password',
                     username[:64], address)
            return _basic_challenge()
        self.failures.refund(keys)
        req.environ[IDENTITY_KEY] = {'user_id': username, 'project_id': username,
                                     'roles': ['admin']}
        return req.get_response(self.application)


def _basic_challenge() -> webob.Response:
    return errors.error_response(
        401, 'Authentication required: send valid HTTP basic credentials.',
        headers=[('WWW-Authenticate', 'Basic realm="svcframe"')])


class KeystoneIdentity(middleware.Middleware):
    """The caller keystonemiddleware's auth_token found in the token.

    auth_token, just before this filter, strips any X-User-Id, X-Project-Id,
    X-Roles and X-Identity-Status a client sent and sets them from the
    token it validated. Anything but X-Identity-Status: Confirmed (auth_token
    with delay_auth_decision = True passes those on) is a 401 here.
    """

    @webob.dec.wsgify
    def __call__(self, req: webob.Request):
        headers = req.headers
        if headers.get('X-Identity-Status') != 'Confirmed':
            return errors.error_response(
                401, 'Authentication required: send a valid Keystone token in '
                     'the X-Auth-Token header.')
        roles = headers.get('X-Roles') or ''
        req.environ[IDENTITY_KEY] = {
            'user_id': headers.get('X-User-Id'), 'project_id': headers.get('X-Project-Id'),
            'roles': [role.strip() for role in roles.split(',') if role.strip()]}
        return req.get_response(self.application)


def _keystone_filter(conf: cfg.ConfigOpts):
    """auth_token, configured from ``conf``'s [keystone_authtoken], then KeystoneIdentity."""
    try:
        from keystonemiddleware import auth_token
    except ImportError as error:
        raise exception.ConfigError(
            "[api] auth_strategy = 'keystone' needs keystonemiddleware, which "
            "cannot be imported (%s): pip install 'svcframe[keystone]'" % error) from error

    def wrap(application):
        # oslo_config_config: auth_token reads [keystone_authtoken] from the
        # ConfigOpts svcframe parsed rather than from the global CONF.
        return auth_token.AuthProtocol(KeystoneIdentity(application),
                                       {'oslo_config_config': conf})
    return wrap


def auth_filter(conf: cfg.ConfigOpts):
    """The filter for ``[api] auth_strategy``; reads and checks the htpasswd file now."""
    strategy = conf.api.auth_strategy
    if strategy == 'noauth':
        return NoAuth
    if strategy == 'keystone':
        return _keystone_filter(conf)
    users = htpasswd.UserFile.load(conf.api.http_basic_auth_user_file)
    checker = logins.PasswordChecker.for_this_process()
    failures = logins.FailureBudget()
    return lambda application: HttpBasicAuth(application, conf, users, checker, failures)


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
