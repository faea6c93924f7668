"""The warehouse files: the candidate that dbt builds, and the published versions readers open."""
