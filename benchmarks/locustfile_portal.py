"""Locust journeys of parents on the parent portal: the form page, the lookup, and (for a share of them)
the certificate PDF. Started by ``benchmarks/bench_portal.py``, which sets:

- ``PORTAL_PUPILS``: how many pupils the store holds (codes ``M000000000`` ..), all with secret
  ``PORTAL_SECRET``;
- ``PORTAL_CERTIFICATE_SHARE``: the share of journeys that download the certificate.

Each simulated parent comes from its own address, forwarded by the trusted proxy header (the portal is
started with ``MASSAR_TRUSTED_PROXIES=127.0.0.1``), as behind a reverse proxy in production.
"""

from __future__ import annotations

import os
import random
import re

from locust import FastHttpUser, constant, task

PUPILS = int(os.environ.get("PORTAL_PUPILS", "1000"))
SECRET = os.environ.get("PORTAL_SECRET", "bench-secret")
CERTIFICATE_SHARE = float(os.environ.get("PORTAL_CERTIFICATE_SHARE", "0.2"))
LINK = re.compile(r'href="(/fr/certificate\?t=[^"]+)"')


class Parent(FastHttpUser):
    """Locust's geventhttpclient user: several times less CPU per request than ``HttpUser``, which
    matters when the load generator shares the server's two cores."""

    wait_time = constant(0)

    def on_start(self) -> None:
        n = random.randrange(1 << 24)
        self.forwarded = {"X-Forwarded-For": f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}"}

    @task
    def journey(self) -> None:
        self.client.cookiejar.clear()
        with self.client.get("/fr/", name="page", headers=self.forwarded, catch_response=True) as page:
            if page.status_code != 200 or "<form" not in page.text:
                page.failure(f"page {page.status_code}")
                return
        code = f"M{random.randrange(PUPILS):09d}"
        with self.client.post(
            "/fr/lookup",
            data={"code": code, "secret": SECRET},
            name="lookup",
            headers=self.forwarded,
            catch_response=True,
        ) as answer:
            link = LINK.search(answer.text or "")
            if answer.status_code != 200 or link is None:
                answer.failure(f"lookup {answer.status_code}")
                return
        if random.random() < CERTIFICATE_SHARE:
            with self.client.get(
                link.group(1), name="certificate", headers=self.forwarded, catch_response=True
            ) as pdf:
                if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
                    pdf.failure(f"certificate {pdf.status_code}")
