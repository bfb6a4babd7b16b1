from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest

from svcframe import exception
from svcframe.api import htpasswd


def bcrypt_hash(password: bytes, cost: int = 4) -> str:
    return bcrypt.hashpw(password, bcrypt.gensalt(cost)).decode()


GOOD = bcrypt_hash(b'pw')


def direct(function, *args):
    return function(*args)


def test_users_and_hashes_are_read_skipping_blank_and_comment_lines(tmp_path: Path) -> None:
    path = tmp_path / 'htpasswd'
    apache = GOOD.replace('$2b$', '$2y$', 1)  # what htpasswd -B writes
    path.write_text('# operators\n\nalice:%s\r\nbob:%s\n' % (GOOD, apache))

    users = htpasswd.read(str(path))

    assert sorted(users.hashes) == ['alice', 'bob']
    assert bcrypt.checkpw(b'pw', users.hash_for('alice'))
    assert bcrypt.checkpw(b'pw', users.hash_for('bob'))


@pytest.mark.parametrize('line, reason', [
    ('alice', 'no name before a colon'),
    (':' + GOOD, 'no name before a colon'),
    ('alice:$apr1$abcdefgh$0123456789abcdefghijkl', 'not a bcrypt hash'),
    ('alice:' + GOOD[:-1], 'not a bcrypt hash'),
    ('alice:' + GOOD + 'x', 'not a bcrypt hash'),
    ('alice:' + GOOD[:28] + 'a' + GOOD[29:], 'not a bcrypt hash'),  # bad last salt char
    ('alice:' + GOOD[:4] + '03' + GOOD[6:], 'cost 3 is outside 4..31'),
    ('alice:' + GOOD[:4] + '32' + GOOD[6:], 'cost 32 is outside 4..31'),
    ('alice:' + GOOD[:2] + 'x' + GOOD[3:], 'not a bcrypt hash'),
])
def test_a_malformed_line_is_a_config_error_naming_the_file_and_line(
        tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / 'htpasswd'
    path.write_text('bob:%s\n\n%s\n' % (GOOD, line))

    with pytest.raises(exception.ConfigError) as raised:
        htpasswd.read(str(path))

    error = raised.value
    assert isinstance(error, htpasswd.HtpasswdError)
    assert (error.path, error.line) == (str(path), 3)
    assert reason in str(error)
    assert "http_basic_auth_user_file = '%s', line 3:" % path in str(error)
    assert '\n' not in str(error)


def test_a_user_twice_and_a_line_that_is_not_utf8_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / 'htpasswd'
    path.write_text('alice:%s\nalice:%s\n' % (GOOD, GOOD))
    with pytest.raises(htpasswd.HtpasswdError, match="line 2: user 'alice' is already on line 1"):
        htpasswd.read(str(path))

    path.write_bytes(b'alice:%s\n\xff:%s\n' % (GOOD.encode(), GOOD.encode()))
    with pytest.raises(htpasswd.HtpasswdError, match='line 2: the line is not UTF-8'):
        htpasswd.read(str(path))


def test_an_unreadable_file_is_an_invalid_option_value(tmp_path: Path) -> None:
    with pytest.raises(exception.InvalidOptionValue) as raised:
        htpasswd.read(str(tmp_path / 'none'))

    assert raised.value.name == 'http_basic_auth_user_file'
    assert 'No such file' in str(raised.value)


def test_an_unknown_user_is_checked_against_a_hash_of_the_most_common_cost() -> None:
    data = ('a:%s\nb:%s\nc:%s\n' % (bcrypt_hash(b'x', 5), bcrypt_hash(b'x', 5),
                                    bcrypt_hash(b'x', 4))).encode()

    users = htpasswd.parse('f', data)

    stand_in = users.hash_for('nobody')
    assert stand_in == users.stand_in and 'nobody' not in users
    assert stand_in.startswith(b'$2b$05$') and len(stand_in) == 60
    assert htpasswd.hash_problem(stand_in.decode()) is None
    assert not bcrypt.checkpw(b'', stand_in)


def test_the_file_is_read_again_once_it_changes(tmp_path: Path) -> None:
    path = tmp_path / 'htpasswd'
    path.write_text('alice:%s\n' % GOOD)
    user_file = htpasswd.UserFile.load(str(path))
    first = user_file.current(direct)

    path.write_text('alice:%s\nbob:%s\n' % (GOOD, GOOD))

    assert 'bob' not in first
    assert 'bob' in user_file.current(direct)


def test_a_file_that_turns_bad_keeps_the_users_it_had(tmp_path: Path) -> None:
    path = tmp_path / 'htpasswd'
    path.write_text('alice:%s\n' % GOOD)
    user_file = htpasswd.UserFile.load(str(path))

    path.write_text('alice:%s\nbob:plain\n' % GOOD)
    assert list(user_file.current(direct).hashes) == ['alice']

    path.unlink()
    assert list(user_file.current(direct).hashes) == ['alice']
