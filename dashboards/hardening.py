"""What every served Streamlit app applies before drawing anything: production-mode refusal, no error
details for the public (and in production), no developer actions for users.

``massar serve`` passes the same client settings on Streamlit's command line (``massar.cli``); they are
set here again so that an app started by hand with ``streamlit run`` is no weaker.
"""

from __future__ import annotations

import logging
from typing import Final

import streamlit as st

import massar.settings.production as production
from dashboards.i18n import t

_LOG: Final = logging.getLogger(__name__)


def client_options(public: bool) -> dict[str, str]:
    """Streamlit client settings for an app: error details hidden for the public app and in production
    (the server log keeps them), the toolbar without developer actions (rerun, clear cache, deploy)."""
    hide_errors = public or production.is_production()
    return {
        "client.showErrorDetails": "none" if hide_errors else "full",
        "client.toolbarMode": "viewer",
    }


def _refuse_clear_cache(self: object) -> None:
    _LOG.warning("ignored a clear_cache request from a browser: caches are cleared by publishing only")


def disable_cache_clearing() -> None:
    """Ignore the browser's "clear cache" message: Streamlit would clear every user's caches on it,
    whoever sends it, signed in or not."""
    from streamlit.runtime.app_session import AppSession

    AppSession._handle_clear_cache_request = _refuse_clear_cache  # type: ignore[method-assign]


def apply(public: bool) -> None:
    """Harden the running app; stop it with a clear message when production mode is not satisfied."""
    for key, value in client_options(public).items():
        if st.get_option(key) != value:
            st.set_option(key, value)
    disable_cache_clearing()
    if public:
        problems = production.problems(oidc_configured=False, need_users=False)
    else:
        from dashboards.oidc import oidc_configured

        problems = production.problems(oidc_configured=oidc_configured())
    if production.is_production() and problems:
        _LOG.error("production mode: refusing to serve: %s", "; ".join(problems))
        # the details (paths, variable names) go to the server log and to `massar serve`, not to visitors
        st.error(f"{t('prod.refused', 'fr')}\n\n{t('prod.refused', 'ar')}")
        st.stop()
