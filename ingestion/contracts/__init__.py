"""Source contracts, one module per entity. Each module defines ``CONTRACT``.

Adding an entity is adding a module here (then ``massar contracts generate-dbt`` for its dbt source and
staging model): the registry below discovers it, and the generator, the loader, the checks and the docs
all iterate over ``CONTRACTS``.
"""

from __future__ import annotations

import importlib
import pkgutil

from ingestion.contracts.base import Column, Contract, ForeignKey, RowRule, StateCheck

_NOT_ENTITIES = {"base", "rules"}


def _discover() -> dict[str, Contract]:
    found: dict[str, Contract] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_ENTITIES:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        contract: Contract = module.CONTRACT
        found[contract.name] = contract
    return found


CONTRACTS: dict[str, Contract] = _discover()


def depends_on(contract: Contract) -> set[str]:
    """Entities a contract's rows are checked against: foreign keys and state checks."""
    return {fk.entity for fk in contract.foreign_keys} | {c.entity for c in contract.state_checks}


def load_order() -> list[str]:
    """Entities sorted so that every entity a contract is checked against comes before it."""
    order: list[str] = []
    pending = dict(CONTRACTS)
    while pending:
        ready = [
            name
            for name, c in sorted(pending.items())
            if all(dep in order or dep == name for dep in depends_on(c))
        ]
        if not ready:
            raise ValueError(f"cyclic references between contracts: {sorted(pending)}")
        order.extend(ready)
        for name in ready:
            del pending[name]
    return order


def get(name: str) -> Contract:
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no contract for entity {name!r}; known: {sorted(CONTRACTS)}") from None


__all__ = ["CONTRACTS", "Column", "Contract", "ForeignKey", "RowRule", "StateCheck", "get", "load_order"]
