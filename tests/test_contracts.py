"""Source contracts: well-formed, consistent with the code-list seeds, and complete."""

from __future__ import annotations

import re

import pytest

from ingestion.codelists import allowed_codes
from ingestion.contracts import CONTRACTS, load_order

EXPECTED_ENTITIES = {
    "schools",
    "classes",
    "pupils",
    "enrollments",
    "teachers",
    "teaching_assignments",
    "absences",
    "grades",
}


def test_every_foundation_entity_has_a_contract() -> None:
    assert set(CONTRACTS) >= EXPECTED_ENTITIES


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_contract_is_well_formed(name: str) -> None:
    contract = CONTRACTS[name]
    names = contract.column_names
    assert len(names) == len(set(names)), "duplicate column"
    assert set(contract.primary_key) <= set(names)
    assert set(contract.partition_by) <= set(names)
    for c in contract.columns:
        assert c.description, f"{name}.{c.name} has no description"
        if c.pattern:
            re.compile(c.pattern)
        if c.codelist:
            assert allowed_codes(c.codelist), f"code list {c.codelist} is empty"
    for fk in contract.foreign_keys:
        target = CONTRACTS[fk.entity]
        assert set(fk.ref_columns) <= set(target.column_names)
        assert set(fk.columns) <= set(names)
    # every header spelling maps to exactly one column
    spellings = [s.lower() for c in contract.columns for s in (c.name, *c.aliases)]
    assert len(spellings) == len(set(spellings)), f"ambiguous header alias in {name}"


def test_load_order_puts_references_first() -> None:
    order = load_order()
    for name, contract in CONTRACTS.items():
        for fk in contract.foreign_keys:
            assert order.index(fk.entity) < order.index(name)


def test_student_code_pattern() -> None:
    pattern = re.compile(CONTRACTS["pupils"].column("student_code").pattern or "")
    assert pattern.fullmatch("M145092428")
    for bad in ("m145092428", "M14509242", "M1450924281", "MM45092428", ""):
        assert not pattern.fullmatch(bad)


def test_personal_data_is_marked_sensitive() -> None:
    pupils = CONTRACTS["pupils"]
    assert {
        "first_name_ar",
        "last_name_ar",
        "first_name_fr",
        "last_name_fr",
        "birth_date",
        "guardian_name",
    } <= set(pupils.sensitive_columns)
    assert "student_code" not in pupils.sensitive_columns
