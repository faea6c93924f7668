"""Data Docs that render offline: GX's page views with the project's templates in front of GX's own.

GX 1.24's stock templates load Bootstrap, jQuery, bootstrap-table, Font Awesome, Vega and a logo from CDNs
and S3, and fill the index's validation list from a script; on a machine without Internet access the
list is empty. The views below put ``templates/`` first in the Jinja loader (GX's ``custom_views_directory``
is searched *after* its own templates, so it can add templates but not replace them). The replaced
templates reference no external host and need no script: tables, the index's validation list included,
are rendered on the server; ``massar_data_docs.css`` (inlined in every page) styles them. Vega charts
(``graph.j2``) are not rendered; the validation pages' tables are.

``site_config`` is the ``data_docs_sites`` entry the quality gate installs (``expectations.gate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import ChoiceLoader, FileSystemLoader

TEMPLATES: Final[Path] = Path(__file__).resolve().parent / "templates"
SITE_NAME: Final[str] = "local_site"


def _templates_first(view: DefaultJinjaPageView) -> None:
    view.env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), view.env.loader])


class OfflinePageView(DefaultJinjaPageView):
    """Validation-result and expectation-suite pages."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        _templates_first(self)


class OfflineIndexPageView(DefaultJinjaIndexPageView):
    """The site's index (the validation list)."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        _templates_first(self)


def site_config(base_directory: str = "uncommitted/data_docs/local_site/") -> dict:
    """The local site: GX's filesystem site with the offline views and no how-to buttons."""
    view = {"module_name": __name__, "class_name": OfflinePageView.__name__}
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": base_directory},
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": {"module_name": __name__, "class_name": OfflineIndexPageView.__name__},
        },
        "site_section_builders": {
            "expectations": {"view": view},
            "validations": {"view": view},
            "profiling": {"view": view},
        },
    }
