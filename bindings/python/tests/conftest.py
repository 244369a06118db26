"""Real servers for the tests, started by the testkit CLI
(``redwire-testkit up …``) once per session and stopped when it ends."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import redwire

ROOT = Path(__file__).resolve().parents[3]
TESTKIT = os.environ.get("REDWIRE_TESTKIT", str(ROOT / "target" / "debug" / "redwire-testkit"))


class Topology:
    """One ``redwire-testkit up`` process; closing its stdin stops it."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [TESTKIT, "up", *args, "--json"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"redwire-testkit up {' '.join(args)} did not start")
        self.info: Dict[str, Any] = json.loads(line)

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _topology(*args: str) -> Iterator[Dict[str, Any]]:
    topology = Topology(*args)
    try:
        yield topology.info
    finally:
        topology.stop()


@pytest.fixture(scope="session")
def server() -> Iterator[Dict[str, Any]]:
    """A plain server with a unix socket too."""
    yield from _topology("standalone", "--unix-socket")


@pytest.fixture(scope="session")
def acl_server() -> Iterator[Dict[str, Any]]:
    yield from _topology("standalone", "--acl-user", "app:app-secret")


@pytest.fixture(scope="session")
def tls_server() -> Iterator[Dict[str, Any]]:
    yield from _topology("standalone", "--tls", "--password", "secret")


@pytest.fixture(scope="session")
def sentinel_set() -> Iterator[Dict[str, Any]]:
    yield from _topology("sentinel", "--password", "data-secret", "--sentinel-user", "watcher:watch-secret")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Dict[str, Any]]:
    yield from _topology("cluster")


@pytest.fixture
def client(server: Dict[str, Any]) -> Iterator[redwire.Client]:
    """A client on db 9, emptied first."""
    with redwire.Client(host=server["host"], port=server["port"], db=9) as client:
        client.flushdb()
        yield client


def addresses(entries: List[Dict[str, Any]]) -> List[tuple]:
    return [(entry["host"], entry["port"]) for entry in entries]
