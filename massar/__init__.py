"""Massar Analytics: national education data warehouse and analytics platform."""

__version__ = "0.1.0"
