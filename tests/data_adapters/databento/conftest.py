"""A stand-in Databento gateway per test, and sources pointed at it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from data_adapters.databento import DatabentoSource, Datasets
from data_adapters.http import HttpConfig
from tests.data_adapters.databento.server import Gateway, GatewayServer, dbn_reply
from tests.data_adapters.loopback import Reply

KEY = "db-Te5tKeyN0tReal9f8e7d6c5b4a3"
AS_OF = datetime(2024, 12, 18, 20, 0, tzinfo=UTC)  # 15:00 New York
ES_PARENTS = ",".join(
    ["ES.OPT", "EW.OPT", *[f"EW{n}.OPT" for n in range(1, 5)],
     *[f"E{n}{d}.OPT" for d in "ABCD" for n in range(1, 6)]]
)  # fmt: skip


def spy_replies() -> dict[str, Reply]:
    return {
        f"OPRA.PILLAR|{schema}|SPY.OPT": dbn_reply(f"opra_spy_{schema}")
        for schema in ("definition", "statistics", "cbbo-1m", "tcbbo")
    }


def spx_replies() -> dict[str, Reply]:
    return {
        f"OPRA.PILLAR|{schema}|SPX.OPT,SPXW.OPT": dbn_reply(f"opra_spx_{schema}")
        for schema in ("definition", "statistics", "cbbo-1m")
    }


def es_replies() -> dict[str, Reply]:
    out = {
        f"GLBX.MDP3|{schema}|{ES_PARENTS}": dbn_reply(f"glbx_es_{schema}")
        for schema in ("definition", "statistics", "bbo-1m", "tbbo")
    }
    out["GLBX.MDP3|bbo-1m|ESH5,ESZ4"] = dbn_reply("glbx_futures_bbo-1m")
    return out


@dataclass
class Served:
    url: str
    gateway: Gateway
    http: HttpConfig
    sleeps: list[float] = field(default_factory=list)

    def source(self, **kw: Any) -> DatabentoSource:
        kw.setdefault("rate", 0.04)
        kw.setdefault("div_yield", 0.0)
        datasets = kw.pop("datasets", None) or Datasets()
        http = kw.pop("http", None) or self.http
        return DatabentoSource(KEY, gateway=self.url, datasets=datasets, http=http, **kw)


ServeFactory = Callable[..., Served]


@pytest.fixture
def serve() -> Iterator[ServeFactory]:
    with contextlib.ExitStack() as stack:

        def start(
            replies: Mapping[str, Reply | Sequence[Reply]],
            *,
            timeout: float = 5.0,
            max_attempts: int = 4,
            deadline: float = 60.0,
        ) -> Served:
            gateway = Gateway(replies)
            server = stack.enter_context(GatewayServer(gateway))
            sleeps: list[float] = []
            http = HttpConfig(
                timeout=timeout,
                max_attempts=max_attempts,
                deadline=deadline,
                sleep=sleeps.append,
                rng=lambda: 0.5,
            )
            return Served(server.url, gateway, http, sleeps)

        yield start
