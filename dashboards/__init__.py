"""Streamlit dashboards over the published warehouse (entry point: ``dashboards/app.py``)."""
