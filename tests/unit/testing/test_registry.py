from __future__ import annotations

from svcframe.testing import MemoryRegistry


def test_registering_again_returns_the_same_id_and_reports_are_counted() -> None:
    registry = MemoryRegistry()

    first = registry.register('node-1', 'svcframe-compute', 'compute')
    other = registry.register('node-1', 'svcframe-scheduler', 'scheduler')
    again = registry.register('node-1', 'svcframe-compute', 'compute')
    registry.report(first)
    registry.report(first)

    assert first == again != other
    assert registry.reports('svcframe-compute') == 2
    assert registry.reports('svcframe-scheduler') == 0
    assert registry.services[first] == {'host': 'node-1', 'binary': 'svcframe-compute',
                                        'topic': 'compute', 'reports': 2}
