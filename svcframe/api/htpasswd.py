"""The htpasswd file of ``auth_strategy = http_basic``: bcrypt entries only.

Every entry is checked when the file is read, so a line that could never
match a password is a start-up error naming the line, not a failed login
later. The file is read again when it changes on disk: users can be added
without a restart.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
from collections.abc import Callable

import bcrypt
from oslo_log import log as logging

from svcframe import exception

LOG = logging.getLogger(__name__)

OPTION = ('api', 'http_basic_auth_user_file')
EXPECTED = 'name:bcrypt-hash (as written by htpasswd -B)'

# 16 salt bytes are 22 characters whose last carries 2 bits; 23 hash bytes are
# 31 characters whose last carries 4 bits. Anything else bcrypt rejects, or
# could never produce, so the entry would refuse every password.
BCRYPT_HASH = re.compile(r'\$2[aby]\$(?P<cost>\d\d)\$'
                         r'[./A-Za-z0-9]{21}[.Oeu][./A-Za-z0-9]{30}[.CGKOSWaeimquy26]')
MIN_COST = 4
MAX_COST = 31
# Cost of the stand-in hash of a file without users: there is no one whose
# login time it must match.
EMPTY_FILE_COST = MIN_COST


class HtpasswdError(exception.ConfigError):
    """A line of the htpasswd file that is not a usable bcrypt entry."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__('[%s] %s = %r, line %d: %s; each line must be %s'
                         % (*OPTION, path, line, reason, EXPECTED))


@dataclasses.dataclass(frozen=True)
class Users:
    """User names and their bcrypt hashes.

    ``stand_in`` is a hash that no password matches, of the cost most users
    have: an unknown name is checked against it, so that it costs the same
    time as a known one.
    """

    hashes: dict[str, bytes]
    stand_in: bytes

    def hash_for(self, name: str) -> bytes:
        return self.hashes.get(name, self.stand_in)

    def __contains__(self, name: object) -> bool:
        return name in self.hashes


def stand_in_hash(costs: list[int]) -> bytes:
    """A valid hash of the most common cost (the highest of equals).

    The salt is random and the digest all zero bits, which no password
    produces, so making it costs nothing.
    """
    counts = collections.Counter(costs)
    cost = max(counts, key=lambda c: (counts[c], c)) if counts else EMPTY_FILE_COST
    return bcrypt.gensalt(cost, prefix=b'2b') + b'.' * 31


def hash_problem(hashed: str) -> str | None:
    """Why ``hashed`` is not a usable bcrypt hash, or None when it is."""
    match = BCRYPT_HASH.fullmatch(hashed)
    if match is None:
        return ('the hash is not a bcrypt hash ($2y$, $2b$ or $2a$, a two-digit '
                'cost, then 53 characters of bcrypt base64)')
    cost = int(match.group('cost'))
    if not MIN_COST <= cost <= MAX_COST:
        return 'the bcrypt cost %d is outside %d..%d' % (cost, MIN_COST, MAX_COST)
    # Ask bcrypt itself, at the cheapest cost, whether it takes the salt.
    try:
        bcrypt.checkpw(b'', hashed[:4].encode() + b'04' + hashed[6:].encode())
    except ValueError as error:
        return 'bcrypt refuses the hash: %s' % error
    return None


def parse(path: str, data: bytes) -> Users:
    """The users of htpasswd file ``path`` whose content is ``data``.

    Blank lines and lines starting with # are skipped.
    """
    hashes: dict[str, bytes] = {}
    first_seen: dict[str, int] = {}
    costs = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode('utf-8').strip()
        except UnicodeDecodeError:
            raise HtpasswdError(path, number, 'the line is not UTF-8') from None
        if not line or line.startswith('#'):
            continue
        name, colon, hashed = line.partition(':')
        if not colon or not name:
            raise HtpasswdError(path, number, 'there is no name before a colon')
        problem = hash_problem(hashed)
        if problem:
            raise HtpasswdError(path, number, 'user %r: %s' % (name, problem))
        if name in first_seen:
            raise HtpasswdError(path, number, 'user %r is already on line %d'
                                % (name, first_seen[name]))
        first_seen[name] = number
        hashes[name] = hashed.encode()
        costs.append(int(hashed[4:6]))
    return Users(hashes, stand_in_hash(costs))


def read(path: str) -> Users:
    """Read and check htpasswd file ``path``; ConfigError when it is not one."""
    try:
        with open(path, 'rb') as stream:
            data = stream.read()
    except OSError as error:
        raise exception.InvalidOptionValue(
            *OPTION, path, 'a readable htpasswd file of %s lines; it cannot be '
            'read: %s' % (EXPECTED, error.strerror)) from None
    return parse(path, data)


Signature = tuple[int, int, int]


def signature(path: str) -> Signature | None:
    """What changes when the file is replaced or written; None if it is gone."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class UserFile:
    """The users of one htpasswd file, read again once it changes.

    A file that turns bad keeps the users it had, with an error in the log,
    until it is fixed.
    """

    def __init__(self, path: str, users: Users, seen: Signature | None) -> None:
        self.path = path
        self.users = users
        self.seen = seen

    @classmethod
    def load(cls, path: str) -> UserFile:
        seen = signature(path)
        users = read(path)
        if not users.hashes:
            LOG.warning('[%s] %s = %r has no users: every login will fail', *OPTION, path)
        return cls(path, users, seen)

    def current(self, run: Callable[..., Users]) -> Users:
        """The users now in the file; ``run(read, path)`` reads a changed one.

        ``run`` lets the caller keep the reading off the eventlet hub; so
        ``read`` logs nothing, as logging's locks are green ones then.
        """
        now = signature(self.path)
        if now == self.seen:
            return self.users
        self.seen = now
        try:
            self.users = run(read, self.path)
        except exception.ConfigError as error:
            LOG.error('http_basic keeps the users it had: %s', error)
        else:
            LOG.info('http_basic read %d users from %s', len(self.users.hashes), self.path)
        return self.users
