"""Ingestion: source contracts, export readers, validation, quarantine and the Parquet lake."""
