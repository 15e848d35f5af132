"""Which athletes a reader may see: the scope every read in this package filters by (an API key's athletes,
or everyone for an admin key, the dashboards and local stdio use)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AthleteScope:
    """Which athletes a caller may see. `athlete_ids=None` means all (an admin key or local stdio use)."""

    athlete_ids: tuple[str, ...] | None

    @classmethod
    def everyone(cls) -> AthleteScope:
        return cls(None)

    @property
    def is_admin(self) -> bool:
        return self.athlete_ids is None

    def allows(self, athlete_id: object) -> bool:
        return self.athlete_ids is None or str(athlete_id) in self.athlete_ids

    def as_list(self) -> list[str] | None:
        return None if self.athlete_ids is None else list(self.athlete_ids)
