"""Requests through the official ``databento`` client, with our retries, deadline and errors.

The official client (``databento`` >= 0.88) sends the requests: ``POST
{gateway}/v0/timeseries.get_range`` (form fields ``dataset``, ``symbols``, ``schema``,
``stype_in``, ``stype_out=instrument_id``, ``start``, ``end`` in ns, ``encoding=dbn``,
``compression=zstd``) and ``GET {gateway}/v0/metadata.get_dataset_range``, both with HTTP
Basic auth (the key as user name, empty password). Its ``Historical`` class forces ``https``
on the gateway, so the client's own request classes (``TimeseriesHttpAPI``,
``MetadataHttpAPI``) are built with the gateway as given; this module checks the gateway
itself (``https``, or ``http`` to a loopback host only, no credentials, query or fragment).

Around each call (docs/databento.md, "Requests and errors"):

- **Retries** on HTTP 429, 408 and 5xx, timeouts, refused or broken connections and a body
  cut off while streaming, at most ``max_attempts`` attempts, waiting like
  :mod:`data_adapters.http` (exponential backoff with jitter, raised to ``Retry-After``; a
  wait longer than ``retry_after_max`` or past the deadline fails at once).
- **Deadline**: every attempt and every wait of one source call come out of one
  :class:`~data_adapters.http.Deadline`; each attempt's socket timeout is the smaller of
  ``timeout`` and what is left of it. The official client reads each answer in full, so the
  deadline bounds each socket operation, not a download in progress.
- **Body cap**: a DBN stream larger than ``max_body_bytes`` once decompressed is an
  :class:`UpstreamInvalidError` (it stops being decoded at the cap).
- **Errors** are one line, typed (:mod:`data_adapters.errors`) and never hold the key:
  401 -> :class:`UpstreamAuthError`; 402/403 -> :class:`UpstreamAuthError` (plan, license
  or credits); 422 about symbols -> :class:`SymbolNotFoundError`; 429 after the retries ->
  :class:`UpstreamRateLimitedError`; timeouts -> :class:`UpstreamTimeoutError`; refused
  connections -> :class:`UnreachableError`; an unreadable DBN body ->
  :class:`UpstreamInvalidError`. Warnings the service sends (``X-Warning``: symbols that did
  not resolve for part of the range) stay what the official client makes of them: Python
  warnings of category ``databento.common.error.BentoWarning`` (no process-wide warning
  state is touched per call, so concurrent calls stay safe).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import databento_dbn as dbn
import numpy as np

from data_adapters.databento.checks import DEFAULT_GATEWAY, PROVIDER, check_gateway, check_key
from data_adapters.databento.failures import Failure, classify
from data_adapters.errors import (
    DataSourceError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)
from data_adapters.http import Deadline, HttpConfig, UnreachableError

__all__ = ["DEFAULT_GATEWAY", "SCHEMAS", "BentoClient", "Records", "check_gateway", "check_key"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_READ_CHUNK: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class _Schema:
    cls: type
    rtype: int  # a dbn.RType member (the stubs type them as int)


@dataclass(frozen=True, slots=True)
class Records:
    """The records of one request (a structured array in the DBN v3 layout of its schema)
    and the stream's symbol mappings: requested symbol -> the instrument ids it resolved to."""

    array: np.ndarray
    mappings: Mapping[str, tuple[int, ...]]

    def ids_of(self) -> dict[int, str]:
        """``instrument_id -> requested symbol`` from the mappings."""
        return {i: symbol for symbol, ids in self.mappings.items() for i in ids}


SCHEMAS: Final = {
    "definition": _Schema(dbn.InstrumentDefMsg, dbn.RType.INSTRUMENT_DEF),
    "statistics": _Schema(dbn.StatMsg, dbn.RType.STATISTICS),
    "cbbo-1s": _Schema(dbn.CBBOMsg, dbn.RType.CBBO_1S),
    "cbbo-1m": _Schema(dbn.CBBOMsg, dbn.RType.CBBO_1M),
    "cmbp-1": _Schema(dbn.CMBP1Msg, dbn.RType.CMBP_1),
    "tcbbo": _Schema(dbn.CMBP1Msg, dbn.RType.TCBBO),
    "bbo-1s": _Schema(dbn.BBOMsg, dbn.RType.BBO_1S),
    "bbo-1m": _Schema(dbn.BBOMsg, dbn.RType.BBO_1M),
    "mbp-1": _Schema(dbn.MBP1Msg, dbn.RType.MBP_1),
    "tbbo": _Schema(dbn.MBP1Msg, dbn.RType.MBP_1),
}
"""Schemas this source reads -> the record class (DBN v3 layout) and record type."""


# -- secrets in logs ----------------------------------------------------------------------

_LIVE_KEYS: Counter[str] = Counter()
_LIVE_LOCK = threading.Lock()


class _ScrubKeys(logging.Filter):
    """Replaces the key of every open call in the records of the client's HTTP stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _LIVE_KEYS:
            return True
        with _LIVE_LOCK:
            keys = sorted(_LIVE_KEYS, key=len, reverse=True)
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is the logging module's business
            return True
        clean = text
        for key in keys:
            clean = clean.replace(key, "***")
        if clean != text:
            record.msg, record.args = clean, None
        return True


_SCRUB = _ScrubKeys()
for _name in ("databento", "urllib3", "urllib3.connectionpool", "requests", __name__):
    logging.getLogger(_name).addFilter(_SCRUB)


@contextlib.contextmanager
def _live_key(key: str) -> Iterator[None]:
    with _LIVE_LOCK:
        _LIVE_KEYS[key] += 1
    try:
        yield
    finally:
        with _LIVE_LOCK:
            _LIVE_KEYS[key] -= 1
            if _LIVE_KEYS[key] <= 0:
                del _LIVE_KEYS[key]


# -- the client -----------------------------------------------------------------------------


class BentoClient:
    """One configured gateway and key; :meth:`get_range` and :meth:`dataset_range` run one
    request each under a caller's :class:`Deadline`."""

    def __init__(self, key: str, gateway: str, config: HttpConfig) -> None:
        self._key = check_key(key)
        self.gateway = check_gateway(gateway)
        self.config = config
        basic = base64.b64encode(f"{self._key}:".encode()).decode("ascii")
        self._secrets = sorted({self._key, basic}, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"BentoClient(gateway={self.gateway!r})"

    def deadline(self) -> Deadline:
        """A new deadline for one source call (``deadline`` setting)."""
        return Deadline(self.config.deadline, self.config.clock)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return " ".join(text.split())

    # -- requests ---------------------------------------------------------------------

    def get_range(
        self,
        deadline: Deadline,
        *,
        dataset: str,
        schema: str,
        symbols: Sequence[str],
        stype_in: str,
        start_ns: int,
        end_ns: int,
    ) -> Records:
        """The records of one ``timeseries.get_range`` as a structured array in the DBN v3
        layout of ``schema`` (:data:`SCHEMAS`; records of other types are dropped), with the
        stream's symbol mappings."""
        from databento.historical.api.timeseries import TimeseriesHttpAPI

        shown = f"{dataset} {schema} {','.join(symbols)[:80]}"

        def attempt(timeout: float) -> Records:
            api = TimeseriesHttpAPI(key=self._key, gateway=self.gateway)
            api.TIMEOUT = timeout  # type: ignore[assignment]  # per socket op (connect and read)
            store = api.get_range(
                dataset=dataset,
                start=start_ns,
                end=end_ns,
                symbols=list(symbols),
                schema=schema,
                stype_in=stype_in,
                stype_out="instrument_id",
            )
            return self._decode(store, schema, shown, deadline)

        return self._call(shown, deadline, attempt)

    def dataset_range(self, deadline: Deadline, dataset: str) -> Mapping[str, Any]:
        """``metadata.get_dataset_range``: the dataset's available ``start``/``end`` and the
        per-schema ranges under ``schema``."""
        from databento.historical.api.metadata import MetadataHttpAPI

        def attempt(timeout: float) -> Mapping[str, Any]:
            api = MetadataHttpAPI(key=self._key, gateway=self.gateway)
            api.TIMEOUT = timeout  # type: ignore[assignment]
            found = api.get_dataset_range(dataset=dataset)
            if not isinstance(found, Mapping):
                raise UpstreamInvalidError(
                    PROVIDER, f"{dataset} dataset range: unexpected body (not a JSON object)"
                )
            return found

        return self._call(f"{dataset} dataset range", deadline, attempt)

    def _call(self, shown: str, deadline: Deadline, attempt: Callable[[float], T]) -> T:
        cfg = self.config
        attempts = max(1, cfg.max_attempts)
        with _live_key(self._key):
            for n in range(1, attempts + 1):
                if deadline.expired():
                    raise self._past_deadline(shown, n - 1)
                timeout = max(min(cfg.timeout, deadline.remaining()), 0.001)
                try:
                    return attempt(timeout)
                except DataSourceError:
                    raise
                except Exception as exc:  # every failure of the client is mapped here
                    failure = classify(exc, shown, timeout)
                if not failure.retry or n == attempts:
                    suffix = f" (after {n} attempts)" if n > 1 else ""
                    raise self._error(failure, suffix)
                delay = self._delay(n, failure, shown, deadline)
                log.warning(
                    "databento %s, retry %d/%d in %.2f s",
                    self._scrub(failure.message), n, attempts - 1, delay,
                )  # fmt: skip
                cfg.sleep(delay)
        raise AssertionError("the retry loop always returns or raises")  # pragma: no cover

    def _error(self, failure: Failure, suffix: str = "") -> DataSourceError:
        message = self._scrub(failure.message + suffix)
        if failure.cls is UpstreamRateLimitedError:
            return UpstreamRateLimitedError(PROVIDER, message, 429, failure.retry_after)
        return failure.cls(PROVIDER, message, failure.status)

    def _past_deadline(self, shown: str, attempts: int) -> DataSourceError:
        tries = f"; {attempts} attempt{'s' if attempts != 1 else ''}" if attempts else ""
        return UpstreamTimeoutError(
            PROVIDER,
            f"{shown}: no complete answer within the {self.config.deadline:g} s deadline of "
            f"this call{tries}",
        )

    def _delay(self, n: int, failure: Failure, shown: str, deadline: Deadline) -> float:
        cfg = self.config
        base = min(cfg.backoff_max, cfg.backoff_base * 2 ** (n - 1))
        delay = base * (0.5 + 0.5 * cfg.rng())
        wanted = failure.retry_after
        if wanted is not None:
            if wanted > cfg.retry_after_max:
                why = f"more than the {cfg.retry_after_max:g} s allowed"
            elif wanted >= deadline.remaining():
                why = f"past the {cfg.deadline:g} s deadline of this call"
            else:
                return max(delay, wanted)
            raise self._error(
                Failure(
                    UpstreamRateLimitedError if failure.status == 429 else failure.cls,
                    f"{shown}: the service asks to retry after {wanted:.0f} s, {why}",
                    failure.status,
                    False,
                    wanted,
                )
            )
        if delay >= deadline.remaining():
            cls = UnreachableError if failure.cls is UnreachableError else UpstreamTimeoutError
            raise self._error(
                Failure(
                    cls,
                    f"{failure.message}; the next retry (in {delay:.2f} s) would pass the "
                    f"{cfg.deadline:g} s deadline of this call (after {n} attempt"
                    f"{'s' if n != 1 else ''})",
                    failure.status,
                    False,
                )
            )
        return delay

    # -- decoding ---------------------------------------------------------------------

    def _decode(self, store: Any, schema: str, shown: str, deadline: Deadline) -> Records:
        """The records of ``schema`` in the store's DBN stream (decompressed at most
        ``max_body_bytes``), as a structured array."""
        spec = SCHEMAS[schema]
        cap = self.config.max_body_bytes
        decoder = dbn.DBNDecoder(upgrade_policy=dbn.VersionUpgradePolicy.UPGRADE_TO_V3)  # type: ignore[arg-type]
        reader = store.reader
        total = 0
        chunks: list[bytes] = []
        errors: list[str] = []
        mappings: dict[str, tuple[int, ...]] = {}
        while True:
            raw = reader.read(_READ_CHUNK)
            if not raw:
                break
            total += len(raw)
            if total > cap:
                raise UpstreamInvalidError(
                    PROVIDER,
                    f"{shown}: the DBN stream is larger than the {_size(cap)} cap "
                    "(max_body_bytes); narrow the request or raise the cap",
                )
            decoder.write(raw)
            for record in decoder.decode():
                if isinstance(record, dbn.Metadata):
                    mappings = _mappings(record)
                elif isinstance(record, spec.cls) and record.rtype == spec.rtype:
                    chunks.append(bytes(record))
                elif isinstance(record, dbn.ErrorMsg):
                    errors.append(str(record.err))
            if deadline.expired():
                raise self._past_deadline(shown, 0)
        if decoder.buffer():
            raise UpstreamInvalidError(
                PROVIDER,
                f"{shown}: the DBN stream ends inside a record ({len(decoder.buffer())} "
                "bytes left over; truncated body?)",
            )
        if errors:
            raise DataSourceError(
                PROVIDER, self._scrub(f"{shown}: the service reported: {errors[0]}")
            )
        dtype = np.dtype(spec.cls._dtypes)  # type: ignore[attr-defined]
        array = np.frombuffer(b"".join(chunks), dtype=dtype) if chunks else np.empty(0, dtype)
        return Records(array, mappings)


def _mappings(metadata: Any) -> dict[str, tuple[int, ...]]:
    """Requested symbol -> instrument ids, from the DBN metadata (ids that are not numbers
    are skipped: they only occur for other output symbologies)."""
    out: dict[str, tuple[int, ...]] = {}
    for symbol, intervals in dict(metadata.mappings).items():
        ids = []
        for interval in intervals:
            text = str(interval.get("symbol", "")).strip()
            if text.isdigit():
                ids.append(int(text))
        out[str(symbol)] = tuple(dict.fromkeys(ids))
    return out


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
