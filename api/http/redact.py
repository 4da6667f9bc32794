"""API keys never reach a log line, in any encoding, at any log level.

:class:`RedactKeys` is a :class:`logging.Filter` that rewrites every record it sees:

- the value of every ``name=value`` pair whose name, percent-decoded (``api%4Bey``,
  ``api%254Bey``, ``+``), case-folded and stripped of punctuation, contains ``key``,
  ``token``, ``secret``, ``passw``, ``auth`` or ``sig`` becomes ``***`` — in the access
  log's request line and in trace-level dumps of the ASGI scope (``query_string``) alike;
- a header-like ``x-api-key: value`` likewise;
- every configured key (:meth:`RedactKeys.add_secrets`) of at least
  :data:`MIN_LITERAL` characters becomes ``***`` wherever it appears, raw or
  percent-encoded (upper- or lower-case hex, ``quote`` or ``quote_plus``);
- a line that, percent-decoded, still contains such a key is withheld whole.

Shorter keys (which should never be configured) are redacted by the name rules only:
replacing every occurrence of, say, ``k`` would garble every line.

Arguments of any type are redacted through their ``str``/``repr`` (the scope dict of
uvicorn's trace lines), numbers are left alone (``%d``), and a record's traceback is
formatted and redacted up front. :func:`install` puts the one filter on the loggers of
uvicorn (``uvicorn``, ``uvicorn.error``, ``uvicorn.access``, ``uvicorn.asgi``) and of this
package (``api``), and on every handler attached to them, to the root logger and to
:data:`logging.lastResort`, so records propagated from child loggers pass it too.
:func:`install` is called when the app is created and again at its startup (after
uvicorn configured logging).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote, quote_plus, unquote_plus

__all__ = ["MIN_LITERAL", "WITHHELD", "RedactKeys", "install", "redact"]

WITHHELD: Final = "[log line withheld: it contained an API key]"
MIN_LITERAL: Final = 6
_PAIR = re.compile(r"(?P<name>[^\s&?=;'\"<>(),{}\[\]]+)=(?P<value>[^\s&'\"<>]*)")
_HEADER = re.compile(r"(?i)(x-api-key['\"]?\s*[:,=]\s*b?['\"]?)([^'\"\s,)]+)")
_SECRET_NAME = re.compile(r"key|token|secret|passw|auth|sig")
_LOGGERS: Final = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "api")


def _decoded(text: str, rounds: int = 4) -> str:
    for _ in range(rounds):
        try:
            decoded = unquote_plus(text, errors="replace")
        except Exception:  # pragma: no cover - unquote_plus takes any str
            return text
        if decoded == text:
            break
        text = decoded
    return text


def _secret_name(name: str) -> bool:
    plain = re.sub(r"[^a-z0-9]", "", _decoded(name).casefold())
    return bool(_SECRET_NAME.search(plain))


def _forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in forms}
    forms.add("".join(f"%{b:02X}" for b in secret.encode()))
    forms.add("".join(f"%{b:02x}" for b in secret.encode()))
    return {f for f in forms if f}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credential-named values and the given ``secrets`` replaced by ``***``
    (see the module docstring); :data:`WITHHELD` when a secret survives decoding."""
    out = _PAIR.sub(
        lambda m: f"{m.group('name')}=***" if _secret_name(m.group("name")) else m.group(0), text
    )
    out = _HEADER.sub(r"\1***", out)
    secrets = [s for s in secrets if len(s) >= MIN_LITERAL]
    for secret in secrets:
        for form in sorted(_forms(secret), key=len, reverse=True):
            out = out.replace(form, "***")
    if secrets:
        plain = _decoded(out)
        if any(secret in plain for secret in secrets):
            return WITHHELD
    return out


class _Shown:
    """A log argument shown through its redacted ``str`` and ``repr``."""

    __slots__ = ("_repr", "_str")

    def __init__(self, value: object, secrets: Iterable[str]) -> None:
        self._str = redact(str(value), secrets)
        self._repr = redact(repr(value), secrets)

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return self._repr


class RedactKeys(logging.Filter):
    """Removes API keys from every record it filters (see the module docstring)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set(secrets)
        self._lock = threading.Lock()

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Also redact these literal values (the configured API keys)."""
        with self._lock:
            self._secrets |= {s for s in secrets if s}

    def _arg(self, value: Any, secrets: list[str]) -> Any:
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return redact(value, secrets)
        return _Shown(value, secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_gex_redacted", False):
            return True
        secrets = sorted(self._secrets)
        try:
            if isinstance(record.msg, str):
                record.msg = redact(record.msg, secrets)
            elif record.msg is not None:
                record.msg = _Shown(record.msg, secrets)
            if isinstance(record.args, Mapping):
                record.args = {k: self._arg(v, secrets) for k, v in record.args.items()}
            elif isinstance(record.args, tuple):
                record.args = tuple(self._arg(a, secrets) for a in record.args)
            if record.exc_info and not record.exc_text:
                text = logging.Formatter().formatException(record.exc_info)
                record.exc_text = redact(text, secrets)
            elif record.exc_text:
                record.exc_text = redact(record.exc_text, secrets)
            if record.stack_info:
                record.stack_info = redact(record.stack_info, secrets)
        except Exception:  # a record that cannot be redacted is not emitted
            return False
        record._gex_redacted = True
        return True


REDACTOR: Final = RedactKeys()


def install(secrets: Iterable[str] = ()) -> RedactKeys:
    """Add ``secrets`` to the one filter and attach it everywhere (module docstring)."""
    REDACTOR.add_secrets(secrets)
    loggers = [logging.getLogger(name) for name in _LOGGERS] + [logging.getLogger()]
    targets: list[logging.Filterer] = list(loggers)
    for logger in loggers:
        targets.extend(logger.handlers)
    if logging.lastResort is not None:
        targets.append(logging.lastResort)
    for target in targets:
        if REDACTOR not in target.filters:
            target.addFilter(REDACTOR)
    return REDACTOR
