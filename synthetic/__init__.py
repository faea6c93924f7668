"""Deterministic synthetic Massar source: writes the CSV exports described in docs/architecture.md.

Entry point: :func:`synthetic.generate.generate`. The package is self-contained: geography and
code lists come from the dbt seeds (through :mod:`ingestion.codelists`), every other figure from
:mod:`synthetic.parameters`.
"""
