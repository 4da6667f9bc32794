"""Resilient HTTP shared by every provider adapter (docs/providers.md): one implementation, no copies.

:class:`HttpClient` wraps an :class:`httpx.Client` and adds, for every GET:

- **A total deadline** (``HttpConfig.deadline``, default 60 s) for the whole provider call:
  one client serves one source call (a snapshot or a day of trades), and connecting, every
  read of every page, every retry and every backoff sleep come out of the same budget. The
  built-in transport lowers each socket operation's timeout to what is left of the deadline,
  so a server that drips a byte at a time, in the headers or in the body, cannot hold a
  call past it; an injected ``transport`` (tests) is checked between attempts and chunks.
  Past the deadline: :class:`UpstreamTimeoutError`. DNS resolution is the one step no
  timeout covers (the system resolver's own limits apply).
- **Timeouts**: ``HttpConfig.timeout`` seconds for connect, read, write and pool each.
- **Bounded bodies**: responses are streamed and at most ``HttpConfig.max_body_bytes``
  (default 64 MiB, counted after content decoding) are kept; a ``Content-Length`` above the
  cap fails before any byte is read, a body growing past it stops being read at the cap.
  Either is an :class:`UpstreamInvalidError`. A body shorter than its ``Content-Length``
  (truncated) is retried, then an :class:`UpstreamInvalidError`; so are empty, HTML, non-JSON
  and too deeply nested JSON bodies (:meth:`HttpClient.json`), and values of the wrong types
  met while an adapter reads a body (:meth:`HttpClient.parsing`).
- **Redirects**: followed only within the origin of the base URL (same scheme, host and
  port), at most ``max_redirects`` hops, with the credentials attached again; a redirect to
  any other origin (another host, another port, http <-> https) is refused with an
  :class:`UpstreamInvalidError` naming the target, so credentials never go anywhere but the
  configured origin and a moved provider is a clear configuration error (set ``base_url``
  to its new address) rather than a silent hop. A redirect loop, or more hops than allowed,
  is an :class:`UpstreamInvalidError` too. Provider APIs live at one origin; refusing is the
  safer of the two choices (stripping credentials would still send requests, and the
  caller's query, to wherever the server points).
- **Retries** on connection errors, timeouts, broken bodies, HTTP 429 and 5xx (except the
  statuses a provider marks as final), at most ``max_attempts`` attempts in all. The wait
  before attempt *n+1* is ``min(backoff_max, backoff_base * 2**(n-1))`` scaled by a jitter
  factor in [0.5, 1); a ``Retry-After`` header (seconds or an HTTP date) raises the wait to
  what the server asks. A wait that would pass the deadline is not taken: the call fails at
  once (:class:`UpstreamTimeoutError`, or :class:`UpstreamRateLimitedError` when the server
  asked for it); so does a server asking for more than ``retry_after_max`` seconds.
- **Pagination** (:meth:`HttpClient.paginate`): the caller says how to find the next page;
  more than ``max_pages`` pages is an error, never a silent truncation. Pages are collected
  in memory, so a failure on any page raises and nothing partial is returned or written.
- **Typed failures**: every failure is a :class:`DataSourceError` carrying the provider, the
  HTTP status (``None`` for transport failures) and a readable message; ``404`` gives
  :class:`SymbolNotFoundError`, 401/403 (and a provider's ``auth_statuses``)
  :class:`UpstreamAuthError`, a 429 that outlasts the retries
  :class:`UpstreamRateLimitedError`, a connection that cannot be opened
  :class:`UnreachableError`; the other classes are named above (tree in
  :mod:`data_adapters.errors`).
- **Secrets**: credentials are attached by a transport wrapper only to requests for the
  configured origin, so they never sit in ``request.url`` (which httpx logs at INFO and puts
  in its exceptions); every message is also scrubbed of the secret values, and so are the
  records of the ``httpx``/``httpcore`` loggers while a client holding secrets is open (they
  log response headers at DEBUG, and a server may echo a key in a ``Location``). Secret query
  parameters echoed in a redirect or a next-page link are removed before it is followed.
  Errors are raised ``from None``, so no httpx exception holding a request is chained to
  them.

All sleeping goes through ``HttpConfig.sleep``, jitter through ``HttpConfig.rng`` and the
deadline's clock through ``HttpConfig.clock``, so tests inject them and never wait for real.
Per source, the settings ``deadline`` (seconds) and ``max_body_bytes`` apply through
:func:`with_limits`.
"""

from __future__ import annotations

from data_adapters.http.client import HttpClient
from data_adapters.http.config import HttpConfig, UnreachableError, relative_url, with_limits
from data_adapters.http.transport import Deadline

__all__ = [
    "Deadline",
    "HttpClient",
    "HttpConfig",
    "UnreachableError",
    "relative_url",
    "with_limits",
]
