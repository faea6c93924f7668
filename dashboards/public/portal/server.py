"""Run the parent portal: uvicorn, several worker processes, on 127.0.0.1 by default.

Client addresses: uvicorn reads ``X-Forwarded-For`` only when the direct peer is one of
``MASSAR_TRUSTED_PROXIES`` (comma-separated addresses or networks, e.g. ``127.0.0.1`` for a reverse proxy
on the same host); without it the header is ignored and the socket's address is the client's. (uvicorn's
own default would trust 127.0.0.1: it is turned off unless configured.)
"""

from __future__ import annotations

import os

import uvicorn

APP = "dashboards.public.portal.app:app"


def trusted_proxies() -> str:
    return ",".join(p.strip() for p in os.environ.get("MASSAR_TRUSTED_PROXIES", "").split(",") if p.strip())


def serve(host: str = "127.0.0.1", port: int = 8503, workers: int = 2, log_level: str = "warning") -> None:
    trusted = trusted_proxies()
    uvicorn.run(
        APP,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or "",
        server_header=False,
        log_level=log_level,
        access_log=False,
        ws="none",
        lifespan="off",
        timeout_keep_alive=5,
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8503)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    serve(args.host, args.port, args.workers)
