"""The building blocks of a source contract.

A contract describes one operational entity exported by the school-management system: its columns
(type, whether mandatory, pattern, allowed values, range, header variants, sensitivity), its primary
key, its references to other entities and its cross-column rules. It is the single source of truth:
the synthetic generator writes files that follow it, the loader validates against it, the Great
Expectations suites, dbt's lake source and staging columns (ingestion/dbt_sources.py) and the docs are
generated from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

DType = Literal["string", "int", "float", "date", "bool"]

POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
}


@dataclass(frozen=True)
class Column:
    """One exported column.

    ``codelist`` names a crosswalk seed in ``dbt/seeds/codes`` whose first column lists the allowed codes:
    code lists are kept once, as seeds, and read from there by the loader and the generator.
    """

    name: str
    dtype: DType
    description: str
    required: bool = True
    pattern: str | None = None
    codelist: str | None = None
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    aliases: tuple[str, ...] = ()
    sensitive: bool = False

    @property
    def polars_type(self) -> pl.DataType:
        return POLARS_TYPES[self.dtype]


@dataclass(frozen=True)
class ForeignKey:
    """Rows must reference an existing row of another entity (same school year and region)."""

    columns: tuple[str, ...]
    entity: str
    ref_columns: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class RowRule:
    """A cross-column rule. ``valid`` builds a polars expression that is true for a valid row.

    Null-safe: the expression should return true when the columns it needs are null (nulls are
    reported by the mandatory-field check instead).
    """

    reason: str
    message: str
    valid: Callable[[], pl.Expr]


@dataclass(frozen=True)
class StateCheck:
    """A check against the current state of an entity in the lake (same school year and region), beyond
    a key lookup: for example "the pupil is enrolled on the absence date". Implemented in
    ``ingestion.state`` under the name ``reason``; runs after the foreign keys."""

    reason: str
    message: str
    entity: str


@dataclass(frozen=True)
class Contract:
    """A source entity's contract."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    rules: tuple[RowRule, ...] = ()
    state_checks: tuple[StateCheck, ...] = ()
    partition_by: tuple[str, ...] = ("school_year", "region_code")
    massar_module: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def header_aliases(self) -> dict[str, str]:
        """Map every accepted header spelling (lower-cased) to the canonical column name."""
        mapping: dict[str, str] = {}
        for c in self.columns:
            for spelling in (c.name, *c.aliases):
                mapping[spelling.strip().lower()] = c.name
        return mapping

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.polars_type for c in self.columns}

    @property
    def sensitive_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.sensitive]


# Columns shared by every entity: the partition keys of the lake.
SCHOOL_YEAR = Column(
    "school_year",
    "string",
    "School year, as YYYY-YYYY (for example 2024-2025).",
    pattern=r"^[0-9]{4}-[0-9]{4}$",
    aliases=("annee_scolaire", "année scolaire", "AnneeScolaire"),
)
REGION_CODE = Column(
    "region_code",
    "string",
    "HCP code of the region (01-12); also identifies the AREF.",
    codelist="code_regions",
    aliases=("code_region", "code région", "CodeRegion"),
)
SCHOOL_CODE = Column(
    "school_code",
    "string",
    "Massar school code: 5 digits and a letter (for example 01511A).",
    pattern=r"^[0-9]{5}[A-Z]$",
    aliases=("code_etablissement", "code établissement", "CodeEtab", "gresa"),
)
CLASS_CODE = Column(
    "class_code",
    "string",
    "Class (section) code, unique within a school year: <school_code>-<level>-<nn>.",
    pattern=r"^[0-9]{5}[A-Z]-[0-9A-Z]{2,4}-[0-9]{2}$",
    aliases=("code_classe", "CodeClasse", "classe"),
)
STUDENT_CODE = Column(
    "student_code",
    "string",
    "National pupil code (code Massar): one upper-case letter and nine digits.",
    pattern=r"^[A-Z][0-9]{9}$",
    aliases=("code_massar", "code massar", "CodeEleve", "cne"),
)
LEVEL_CODE = Column(
    "level_code",
    "string",
    "School level (1AP..6AP, 1AC..3AC, TC, 1BAC, 2BAC, preschool PS1/PS2).",
    codelist="code_levels",
    aliases=("niveau", "code_niveau"),
)
SUBJECT_CODE = Column(
    "subject_code",
    "string",
    "Subject (matière) code.",
    codelist="code_subjects",
    aliases=("matiere", "code_matiere", "matière"),
)
