"""OpenID Connect sign-in for the internal dashboards, through Streamlit's ``st.login``.

Configuration: the ``[auth]`` section of Streamlit's secrets (``$MASSAR_HOME/secrets.toml``, which
``massar serve`` passes to Streamlit, or ``.streamlit/secrets.toml``)::

    [auth]
    redirect_uri = "https://dashboards.example.ma/oauth2callback"
    cookie_secret = "<random, 32+ bytes>"
    client_id = "massar-dashboards"
    client_secret = "<from the identity provider>"
    server_metadata_url = "https://idp.example.ma/.well-known/openid-configuration"

Authorisation comes from the identity provider's ID token claims (the ministry's directory holds who is
who), mapped here to the app's roles and territories:

    massar_role           ministry | region | province | school
    massar_region_code    "04"            (region, province and school roles)
    massar_province_code  "04.441"        (province and school roles)
    massar_school_code    "04441A"        (school role)

A signed-in identity without a valid ``massar_role`` (or without the codes its role needs) gets no
access: it is told so and signed out.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from dashboards.scope import ROLES, Scope
from massar.settings import paths

CLAIM_ROLE: Final[str] = "massar_role"
CLAIM_REGION: Final[str] = "massar_region_code"
CLAIM_PROVINCE: Final[str] = "massar_province_code"
CLAIM_SCHOOL: Final[str] = "massar_school_code"
_REQUIRED: Final[tuple[str, ...]] = ("client_id", "server_metadata_url", "redirect_uri", "cookie_secret")


def secrets_files() -> list[Path]:
    """Streamlit's two secrets locations, then ``$MASSAR_HOME/secrets.toml`` (later ones win)."""
    return [
        Path.home() / ".streamlit" / "secrets.toml",
        Path.cwd() / ".streamlit" / "secrets.toml",
        paths().home / "secrets.toml",
    ]


def auth_section_from_files(files: list[Path] | None = None) -> dict[str, Any]:
    """The merged ``[auth]`` section of the secrets files, read without Streamlit (for ``massar serve``)."""
    section: dict[str, Any] = {}
    for path in files if files is not None else secrets_files():
        if path.exists():
            with path.open("rb") as f:
                section.update(tomllib.load(f).get("auth", {}))
    return section


def _app_auth_section() -> Mapping[str, Any]:
    import streamlit as st

    try:
        return st.secrets.get("auth", {}) or {}
    except FileNotFoundError:
        return {}


def oidc_configured(section: Mapping[str, Any] | None = None) -> bool:
    """Whether the default provider of ``[auth]`` is complete (inside an app: Streamlit's own secrets)."""
    if section is None:
        section = _app_auth_section()
    return all(section.get(name) for name in _REQUIRED)


def user_from_claims(claims: Mapping[str, Any]):  # -> dashboards.auth.User | None
    """The app's user for an identity's claims; None when they grant no valid role and territory."""
    from dashboards.auth import User

    role = claims.get(CLAIM_ROLE)
    if role not in ROLES:
        return None
    # only the codes the role needs: a finer code on a broader role is ignored, never widened
    levels = {"ministry": 0, "region": 1, "province": 2, "school": 3}[role]
    codes = [claims.get(name) or None for name in (CLAIM_REGION, CLAIM_PROVINCE, CLAIM_SCHOOL)]
    codes = [str(c) if c is not None else None for c in codes[:levels]] + [None] * (3 - levels)
    try:
        scope = Scope(role=role, region_code=codes[0], province_code=codes[1], school_code=codes[2])
    except ValueError:
        return None
    username = str(claims.get("email") or claims.get("sub") or "")
    if not username:
        return None
    return User(username=username, display_name=str(claims.get("name") or username), scope=scope)
