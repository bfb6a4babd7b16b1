"""What the scheduler knows of a compute host and of a request."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class HostState:
    """One compute host as the conductor reported it."""

    host: str
    vcpus: int
    memory_mb: int
    vcpus_used: int
    memory_mb_used: int
    enabled: bool
    up: bool

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> HostState:
        return cls(**{field.name: values[field.name] for field in dataclasses.fields(cls)})

    @property
    def free_vcpus(self) -> int:
        return self.vcpus - self.vcpus_used

    @property
    def free_memory_mb(self) -> int:
        return self.memory_mb - self.memory_mb_used

    def consume(self, spec: RequestSpec) -> None:
        """Count a request placed here until fresh states arrive."""
        self.vcpus_used += spec.vcpus
        self.memory_mb_used += spec.memory_mb


@dataclasses.dataclass(frozen=True)
class RequestSpec:
    """What an instance asks for."""

    vcpus: int
    memory_mb: int
    name: str = ''
    project_id: str | None = None

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RequestSpec:
        return cls(vcpus=values['vcpus'], memory_mb=values['memory_mb'],
                   name=values.get('name', ''), project_id=values.get('project_id'))
