"""The internal dashboards as an ASGI app: ``dashboards/app.py`` plus the session cookie's routes
(``dashboards.sessions``) and the quality gate's Data Docs (``dashboards.data_docs``). ``massar serve``
runs it::

    streamlit run dashboards/server.py --server.headless true --server.enableStaticServing true ...

``streamlit run`` sees the ``st.App`` below and serves it with uvicorn; every Streamlit option applies as
for ``streamlit run dashboards/app.py``, which would serve the pages without the routes, so that local
accounts could not sign in.
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[1]
if str(_REPO_ROOT) not in sys.path:  # `streamlit run` only puts dashboards/ on the path
    sys.path.insert(0, str(_REPO_ROOT))

import streamlit as st  # noqa: E402

from dashboards import data_docs, sessions  # noqa: E402

sessions.routes_installed = True
app = st.App(Path(__file__).resolve().parent / "app.py", routes=sessions.routes() + data_docs.routes())
