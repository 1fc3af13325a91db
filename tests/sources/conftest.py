"""Loopback servers for the network-source tests (no test reaches beyond 127.0.0.1).

`api` stands for api.github.com (or any origin that receives the token), `blob` for the object
store a download redirects to: it is addressed as `localhost` while the API is `127.0.0.1`, so the
redirect really changes host, as GitHub's 302 to blob storage does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from gate.http import HttpClient


@pytest.fixture(autouse=True)
def _quiet_test_servers() -> None:
    # The loopback test servers log each request line (query strings included) through the
    # `werkzeug` logger. That is the stand-in server's own access log, not the gate's output: keep
    # it out of the captured streams the leak tests grep.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def _servers() -> Iterator[tuple[HTTPServer, HTTPServer]]:
    # Started once: stopping a server takes half a second.
    pair = (
        HTTPServer(host="127.0.0.1", port=0, threaded=True),
        HTTPServer(host="127.0.0.1", port=0, threaded=True),
    )
    for server in pair:
        server.start()
    yield pair
    for server in pair:
        server.stop()


def _fresh(server: HTTPServer) -> Iterator[HTTPServer]:
    server.clear()
    yield server
    server.clear()


@pytest.fixture
def api(_servers: tuple[HTTPServer, HTTPServer]) -> Iterator[HTTPServer]:
    yield from _fresh(_servers[0])


@pytest.fixture
def blob(_servers: tuple[HTTPServer, HTTPServer]) -> Iterator[HTTPServer]:
    yield from _fresh(_servers[1])


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> HttpClient:
    return HttpClient(timeout=(2.0, 2.0), retries=3, backoff=0.5, sleep=sleeps.append)
