"""Reading an error response: its length, whether it is HTML, a short detail, ``Retry-After``."""

from __future__ import annotations

import email.utils
import json
import math
import time

import httpx


def _content_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length", "").strip()
    return int(raw) if raw.isdigit() else None


def _looks_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = response.content[:64].lstrip().lower()
    return "html" in ctype or head.startswith(b"<")


def _body_detail(response: httpx.Response) -> str:
    """A short readable reason from an error body (JSON ``error``/``message`` or text)."""
    body = response.content
    if not body.strip():
        return ""
    if _looks_html(response):
        return "(an HTML/XML error page)"
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "error_msg", "detail"):
            if isinstance(data.get(key), str) and data[key]:
                return " ".join(data[key].split())[:300]
    text = body.decode("utf-8", "replace").strip().lstrip(":").strip()
    return " ".join(text.split())[:300]


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())
