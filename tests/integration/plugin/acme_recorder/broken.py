"""A manager module whose import fails, as a plugin with a missing dependency would."""

import acme_dependency_that_is_not_installed  # noqa: F401


class BrokenManager:
    pass
