"""The public app: the parent and pupil lookup and the public statistics. No sign-in.

It is a separate Streamlit app (its own port) and may import only from this package and the shared
label files (``dashboards.i18n``): never the internal pages, their data access, the warehouse, the
ingestion or the DAGs. It opens only its serving store (read-only) and its small writable state store.
"""
