from __future__ import annotations

import re
import uuid

from svcframe import request_ids


def test_ids_are_version_4_uuids_and_differ() -> None:
    ids = {request_ids.generate() for _ in range(1000)}

    assert len(ids) == 1000
    for identifier in ids:
        assert re.fullmatch(r'req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-'
                            r'[0-9a-f]{12}', identifier)
        parsed = uuid.UUID(identifier[4:])
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
