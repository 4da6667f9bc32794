"""One router per resource: ``exposure``, ``reference``, ``scan``, ``health``."""

from __future__ import annotations

from api.http.routes import exposure, health, reference, scan

ROUTERS = (exposure.router, reference.router, scan.router, health.router)

__all__ = ["ROUTERS"]
