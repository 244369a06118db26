"""The shapes real deployments use: processes that fork after using a
client (prefork servers, ``multiprocessing``), clients made and dropped by
the thousand, a peer that stops answering, options at their limits."""

import _thread
import asyncio
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any, Callable, Dict, List

import pytest

import redwire
import redwire.asyncio

ROUNDS = 3000


def _check_replies(client: redwire.Client, tag: str) -> int:
    """Writes and reads back ``ROUNDS`` values of its own: how many came
    back wrong (another process's, or none)."""
    wrong = 0
    for i in range(ROUNDS):
        value = f"{tag}:{i}"
        client.set(f"fork:{tag}", value)
        if client.get(f"fork:{tag}") != value.encode():
            wrong += 1
    return wrong


def _in_child(body: Callable[[], int]) -> int:
    """Forks; the child runs ``body`` and exits with its result (255 on an
    exception); the parent gets the child's pid."""
    pid = os.fork()
    if pid == 0:
        code = 255
        try:
            code = min(body(), 254)
        finally:
            os._exit(code)
    return pid


def _exit_code(pid: int, within: float = 60.0) -> int:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError(f"child {pid} did not finish within {within} s")


def test_a_client_used_before_a_fork_gives_each_process_its_own_replies(server: Dict[str, Any]) -> None:
    client = redwire.Client(host=server["host"], port=server["port"], db=12)
    # Pooled connections exist in the parent before the fork.
    assert _check_replies(client, "parent-before") == 0
    children = [_in_child(lambda n=n: _check_replies(client, f"child{n}")) for n in range(2)]
    assert _check_replies(client, "parent") == 0
    assert [_exit_code(pid) for pid in children] == [0, 0]
    client.close()


def test_a_client_made_before_a_fork_and_first_used_after_it(server: Dict[str, Any]) -> None:
    # As gunicorn --preload or Celery prefork: made in the master, used in workers.
    client = redwire.Client(host=server["host"], port=server["port"], db=12, socket_timeout=5)
    workers = [_in_child(lambda n=n: _check_replies(client, f"worker{n}")) for n in range(4)]
    assert [_exit_code(pid) for pid in workers] == [0, 0, 0, 0]
    assert _check_replies(client, "master") == 0


def _asyncio_round(url: str, tag: str) -> int:
    async def main() -> int:
        client = redwire.asyncio.Client.from_url(url)
        wrong = 0
        for i in range(300):
            await client.set(f"fork:{tag}", i)
            replies = await asyncio.gather(*(client.get(f"fork:{tag}") for _ in range(5)))
            wrong += sum(reply != str(i).encode() for reply in replies)
        await client.aclose()
        return wrong

    return asyncio.run(main())


def test_a_child_works_after_its_parent_used_asyncio_and_pubsub(server: Dict[str, Any]) -> None:
    url = f"redis://{server['host']}:{server['port']}/12"
    # The process-wide runtime's threads run in the parent...
    assert _asyncio_round(url, "parent") == 0
    sync = redwire.Client.from_url(url)
    pubsub = sync.pubsub()
    pubsub.subscribe("fork:news")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"

    def child() -> int:
        # ... and not in the child: it makes its own.
        wrong = _asyncio_round(url, "child")
        fresh = redwire.Client.from_url(url, socket_timeout=5)
        return wrong + _check_replies(fresh, "child-fresh") + _check_replies(sync, "child-inherited")

    assert _exit_code(_in_child(child)) == 0
    assert _asyncio_round(url, "parent-after") == 0
    # The parent's subscription is untouched by the child.
    sync.publish("fork:news", "for the parent")
    message = pubsub.get_message(timeout=2)
    assert message is not None and message["data"] == b"for the parent"
    pubsub.close()


def test_an_asyncio_client_used_in_a_parent_serves_a_child_on_its_own_loop(server: Dict[str, Any]) -> None:
    client = redwire.asyncio.Client(host=server["host"], port=server["port"], db=12)

    async def rounds(tag: str) -> int:
        wrong = 0
        for i in range(200):
            await client.set(f"fork:{tag}", i)
            replies = await asyncio.gather(*(client.get(f"fork:{tag}") for _ in range(5)))
            wrong += sum(reply != str(i).encode() for reply in replies)
        return wrong

    assert asyncio.run(rounds("async-parent")) == 0
    assert _exit_code(_in_child(lambda: asyncio.run(rounds("async-child")))) == 0
    assert asyncio.run(rounds("async-parent-after")) == 0
    asyncio.run(client.aclose())


def test_a_child_closing_its_parents_subscriber_leaves_the_parent_subscribed(server: Dict[str, Any]) -> None:
    client = redwire.Client(host=server["host"], port=server["port"], db=12)
    pubsub = client.pubsub()
    pubsub.subscribe("fork:closed-in-child")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"

    def child() -> int:
        pubsub.close()
        return 0

    assert _exit_code(_in_child(child)) == 0
    client.publish("fork:closed-in-child", "still here")
    message = pubsub.get_message(timeout=2)
    assert message is not None and message["data"] == b"still here"
    pubsub.close()


def test_a_subscriber_in_a_forked_child_subscribes_again(server: Dict[str, Any]) -> None:
    url = f"redis://{server['host']}:{server['port']}/12"
    client = redwire.Client.from_url(url)
    pubsub = client.pubsub()
    pubsub.subscribe("fork:child-news")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"

    def child() -> int:
        # The parent's connection is not read here: the child subscribes
        # again, on a connection of its own (as after any loss).
        confirmation = pubsub.get_message(timeout=2)
        if confirmation is None or confirmation["type"] != "subscribe":
            return 2
        publisher = redwire.Client.from_url(url)
        if publisher.publish("fork:child-news", "hello child") < 1:
            return 3
        message = pubsub.get_message(timeout=2)
        return 0 if message is not None and message["data"] == b"hello child" else 4

    assert _exit_code(_in_child(child)) == 0
    # The parent still has its own subscription (it heard the child too).
    client.publish("fork:child-news", "hello parent")
    heard = []
    deadline = time.monotonic() + 2
    while b"hello parent" not in heard and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.5)
        if message is not None and message["type"] == "message":
            heard.append(message["data"])
    assert heard == [b"hello child", b"hello parent"]
    pubsub.close()


def _pool_worker(args: tuple) -> int:
    client, tag = args
    return _check_replies(client, tag)


# A module-level client, as many applications have.
_MODULE_CLIENT: List[redwire.Client] = []


def _module_worker(tag: str) -> int:
    return _check_replies(_MODULE_CLIENT[0], tag)


def test_multiprocessing_with_fork_and_a_module_level_client(server: Dict[str, Any]) -> None:
    _MODULE_CLIENT.append(redwire.Client(host=server["host"], port=server["port"], db=12))
    try:
        assert _check_replies(_MODULE_CLIENT[0], "module-parent") == 0
        with multiprocessing.get_context("fork").Pool(3) as pool:
            assert pool.map(_module_worker, [f"mp{n}" for n in range(6)]) == [0] * 6
        assert _check_replies(_MODULE_CLIENT[0], "module-parent-after") == 0
    finally:
        _MODULE_CLIENT.pop().close()


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def _clients_of(server: Dict[str, Any]) -> int:
    observer = redwire.Client(host=server["host"], port=server["port"])
    count = len(observer.execute("CLIENT", "LIST").splitlines())
    observer.close()
    return count


def _settle(measure: Callable[[], int], at_most: int, within: float = 10.0) -> int:
    """``measure()`` once it is at most ``at_most``, or its last value."""
    deadline = time.monotonic() + within
    value = measure()
    while value > at_most and time.monotonic() < deadline:
        time.sleep(0.1)
        value = measure()
    return value


def test_a_thousand_sync_clients_made_and_dropped_leave_nothing_open(server: Dict[str, Any]) -> None:
    before_fds, before_clients = _open_descriptors(), _clients_of(server)
    for _ in range(1000):
        client = redwire.Client(host=server["host"], port=server["port"], db=12)
        client.ping()
        del client
    assert _settle(_open_descriptors, before_fds + 5) <= before_fds + 5
    assert _settle(lambda: _clients_of(server), before_clients + 2) <= before_clients + 2


def test_a_thousand_asyncio_clients_dropped_without_closing_leave_nothing_open(server: Dict[str, Any]) -> None:
    async def main() -> None:
        before_fds = _open_descriptors()
        before_clients = _clients_of(server)
        for _ in range(1000):
            client = redwire.asyncio.Client(host=server["host"], port=server["port"], db=12)
            await client.ping()
            await client.get("k")
            del client
        # A turn of the loop for the finalizers' removals, then a settle.
        for _ in range(3):
            await asyncio.sleep(0.05)
        fds = _settle(_open_descriptors, before_fds + 10)
        assert fds <= before_fds + 10, f"{fds - before_fds} descriptors left open"
        clients = _settle(lambda: _clients_of(server), before_clients + 2)
        assert clients <= before_clients + 2, f"{clients - before_clients} server connections left"

    asyncio.run(main())


class _StallingProxy:
    """A TCP proxy to the server whose connections can be stalled (kept
    open, nothing forwarded): a peer that stops answering without closing,
    which a real server never does while it runs. New connections are
    forwarded as usual."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stalled = threading.Event()
        self.sockets: List[socket.socket] = []
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            # Connections made after a stall are forwarded.
            stalled = threading.Event() if self.stalled.is_set() else self.stalled
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b, stalled), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, stalled: threading.Event) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    return
                while stalled.is_set():
                    time.sleep(0.05)
                sink.sendall(data)
        except OSError:
            return

    def close(self) -> None:
        self.stopping = True
        self.listener.close()
        for s in self.sockets:
            s.close()


@pytest.mark.parametrize("given_up", ["command", "pipeline"])
def test_after_a_request_on_a_silent_connection_is_given_up_the_next_ones_take_a_new_one(
    server: Dict[str, Any], given_up: str
) -> None:
    proxy = _StallingProxy(server["host"], server["port"])

    async def main() -> None:
        client = redwire.asyncio.Client(host="127.0.0.1", port=proxy.port, db=12)
        await client.set("silent", "yes")
        proxy.stalled.set()
        request = client.get("silent") if given_up == "command" else client.pipeline(transaction=False).get("silent").execute()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(request, 1.5)
        # Not queued behind the silent connection: a new one answers.
        assert await asyncio.wait_for(client.get("silent"), 5) == b"yes"
        assert await asyncio.wait_for(client.set("silent", "again"), 5) is True
        await client.aclose()

    try:
        asyncio.run(main())
    finally:
        proxy.close()


def test_a_sync_request_interrupted_on_a_silent_connection_lets_it_go(server: Dict[str, Any]) -> None:
    # A process a shell starts in the background ignores SIGINT: Python's
    # handler is installed here.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    proxy = _StallingProxy(server["host"], server["port"])
    try:
        client = redwire.Client(host="127.0.0.1", port=proxy.port, db=12)
        client.set("silent", "sync")
        proxy.stalled.set()
        timer = threading.Timer(1.5, _thread.interrupt_main)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.get("silent")
        timer.join()
        # Not queued behind the silent connection (a guard interrupts a hang).
        guard = threading.Timer(5, _thread.interrupt_main)
        guard.start()
        try:
            assert client.get("silent") == b"sync"
        finally:
            guard.cancel()
        client.close()
    finally:
        signal.signal(signal.SIGINT, previous)
        proxy.close()


def test_a_cluster_client_made_before_a_fork_serves_threads_in_the_child(cluster: Dict[str, Any]) -> None:
    # Made again in the child, with no I/O while the threads wait for it.
    seeds = ",".join(f"{node['host']}:{node['port']}" for node in cluster["nodes"][:2])
    client = redwire.Client.from_url(f"redis+cluster://{seeds}")
    client.set("fork:cluster", "v")

    def threads() -> int:
        got: List[Any] = []
        workers = [threading.Thread(target=lambda: got.append(client.get("fork:cluster"))) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return sum(value != b"v" for value in got) + (8 - len(got))

    assert _exit_code(_in_child(threads), within=30) == 0
    client.close()


def _accepted(server: Dict[str, Any]) -> int:
    observer = redwire.Client(host=server["host"], port=server["port"])
    accepted = int(observer.info("stats")["total_connections_received"])
    observer.close()
    return accepted


def test_cancelling_requests_on_an_answering_shared_connection_keeps_it(server: Dict[str, Any]) -> None:
    async def main() -> None:
        client = redwire.asyncio.Client(host=server["host"], port=server["port"], db=12)
        await client.set("cancelled", "v")
        before = _accepted(server)
        for _ in range(200):
            # Some given up at once, some while their replies come.
            tasks = [asyncio.ensure_future(client.get("cancelled")) for _ in range(20)]
            await asyncio.sleep(0)
            for task in tasks[::2]:
                task.cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(r == b"v" or isinstance(r, asyncio.CancelledError) for r in done)
        # One observer connection per _accepted call: no other.
        after_cancels = _accepted(server)
        assert after_cancels == before + 1
        # Idle for longer than a second, then a reply late a moment (the
        # server paused): given up, and the connection is kept.
        await asyncio.sleep(1.2)
        pauser = redwire.Client(host=server["host"], port=server["port"])
        pauser.execute("CLIENT", "PAUSE", 400, "ALL")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get("cancelled"), 0.1)
        assert await client.get("cancelled") == b"v"
        pauser.close()
        # The pauser's connection and the observer's.
        assert _accepted(server) == after_cancels + 2
        await client.aclose()

    asyncio.run(main())


def test_a_timeout_of_centuries_is_as_good_as_none(server: Dict[str, Any]) -> None:
    for seconds in (9.3e18, 1.8e19):
        client = redwire.Client(host=server["host"], port=server["port"], db=12, socket_timeout=seconds)
        client.set("century", 1)
        assert client.incr("century") == 2

        async def shared(seconds: float = seconds) -> int:
            async_client = redwire.asyncio.Client(host=server["host"], port=server["port"], db=12, socket_timeout=seconds)
            value = await async_client.incr("century")
            await async_client.aclose()
            return value

        assert asyncio.run(shared()) == 3
        client.close()


def test_auth_failures_are_authentication_errors(server: Dict[str, Any], tls_server: Dict[str, Any]) -> None:
    # A password sent to a server that has none.
    with pytest.raises(redwire.AuthenticationError):
        redwire.Client(host=server["host"], port=server["port"], password="nope").ping()
    # A command without AUTH on a server that wants it (a NOAUTH reply),
    # alone or in a pipeline.
    unauthenticated = redwire.Client(
        host=tls_server["host"],
        port=tls_server["port"],
        ssl=True,
        ssl_ca_certs=tls_server["tls"]["ca_cert"],
    )
    with pytest.raises(redwire.AuthenticationError):
        unauthenticated.ping()
    # As redis-py does: raised even when other errors would be results.
    pipe = unauthenticated.pipeline(transaction=False)
    pipe.ping().get("k")
    with pytest.raises(redwire.AuthenticationError):
        pipe.execute(raise_on_error=False)
    unauthenticated.close()


def test_get_message_waits_for_ever_on_infinity_and_refuses_nan(server: Dict[str, Any]) -> None:
    client = redwire.Client(host=server["host"], port=server["port"], db=12)
    pubsub = client.pubsub()
    pubsub.subscribe("timeouts")
    assert pubsub.get_message(timeout=float("inf"))["type"] == "subscribe"
    with pytest.raises(redwire.DataError, match="nan"):
        pubsub.get_message(timeout=float("nan"))
    pubsub.close()
