"""Sphinx configuration for the svcframe documentation.

Build with:  sphinx-build -W -b html doc/source doc/build/html
No extension here needs the network, and svcframe itself need not be
installed: the version is read from setup.cfg.
"""

import configparser
import os

_SETUP_CFG = os.path.join(os.path.dirname(__file__), '..', '..', 'setup.cfg')


def _version() -> str:
    parser = configparser.ConfigParser()
    parser.read(_SETUP_CFG)
    return parser.get('metadata', 'version', fallback='')


project = 'svcframe'
author = 'the svcframe authors'
copyright = '%(author)s' % {'author': author}
release = _version()
version = '.'.join(release.split('.')[:2])

extensions = []
root_doc = 'index'
exclude_patterns = []
language = 'en'

highlight_language = 'none'
pygments_style = 'sphinx'

html_theme = 'alabaster'
html_title = 'svcframe %s' % release
