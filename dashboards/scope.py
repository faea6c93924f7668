"""What a user may see: the whole country, one region, one province or one school.

The scope is enforced in the data-access layer (``dashboards.data_access``): every query function takes a
``Scope`` and filters by it in SQL; asking for a region outside the scope returns nothing. Pages never
filter by role themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["ministry", "region", "province", "school"]
ROLES: tuple[Role, ...] = ("ministry", "region", "province", "school")


class ScopeError(PermissionError):
    """A user asked for data outside their territory."""


@dataclass(frozen=True)
class Scope:
    """A territory. ``region_code`` is set for every role but ministry; finer roles set more."""

    role: Role
    region_code: str | None = None
    province_code: str | None = None
    school_code: str | None = None

    def __post_init__(self) -> None:
        needed = {
            "ministry": (),
            "region": ("region_code",),
            "province": ("region_code", "province_code"),
            "school": ("region_code", "province_code", "school_code"),
        }[self.role]
        for name in needed:
            if not getattr(self, name):
                raise ValueError(f"a {self.role} scope needs {name}")

    @property
    def is_national(self) -> bool:
        return self.role == "ministry"

    @property
    def finer_than_region(self) -> bool:
        return self.role in ("province", "school")

    def allows_region(self, region_code: str | None) -> bool:
        """Whether a requested region filter (None = all the scope sees) stays within the scope."""
        return region_code is None or self.region_code is None or region_code == self.region_code

    def region_filter(self, requested: str | None = None) -> str | None:
        """The region to filter on: the requested one if allowed (ScopeError otherwise), else the scope's."""
        if not self.allows_region(requested):
            raise ScopeError(f"region {requested} is outside this user's scope")
        return requested or self.region_code

    def territory(
        self, region: str | None = None, province: str | None = None, school: str | None = None
    ) -> Territory:
        """The territory to filter on: the requested region/province/school narrowed to the scope.

        A request that leaves the scope raises ``ScopeError``: another region (any role but ministry),
        another province (province and school users), another school (school users). A province is
        ``RR.PPP`` and must lie in the requested or scoped region.
        """
        region_code = self.region_filter(region)
        if province is not None:
            if self.province_code is not None and province != self.province_code:
                raise ScopeError(f"province {province} is outside this user's scope")
            if region_code is not None and not province.startswith(f"{region_code}."):
                raise ScopeError(f"province {province} is not in region {region_code}")
        if school is not None and self.school_code is not None and school != self.school_code:
            raise ScopeError(f"school {school} is outside this user's scope")
        return Territory(
            region_code=region_code,
            province_code=province or self.province_code,
            school_code=school or self.school_code,
        )


@dataclass(frozen=True)
class Territory:
    """Effective filters of one query (``None`` = no filter at that level); values are bound parameters."""

    region_code: str | None
    province_code: str | None
    school_code: str | None

    def params(self) -> tuple[str | None, ...]:
        """``(region, region, province, province, school, school)`` for the constant SQL fragment
        :data:`TERRITORY_WHERE` (each filter is ``cast(? as varchar) is null or column = ?``)."""
        return (
            self.region_code,
            self.region_code,
            self.province_code,
            self.province_code,
            self.school_code,
            self.school_code,
        )


#: SQL fragment for a table with region_code, province_code and school_code; bind ``Territory.params()``
TERRITORY_WHERE = """
    (cast(? as varchar) is null or region_code = ?)
    and (cast(? as varchar) is null or province_code = ?)
    and (cast(? as varchar) is null or school_code = ?)
"""

NATIONAL = Scope("ministry")
