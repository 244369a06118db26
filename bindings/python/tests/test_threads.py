"""One client shared by threads: no reply ever reaches another caller."""

import threading

import redwire


def test_eight_threads_never_cross_replies(server: dict) -> None:
    client = redwire.Client(host=server["host"], port=server["port"], db=9, max_connections=4)
    failures = []

    def work(thread: int) -> None:
        try:
            for i in range(10_000):
                value = f"{thread}:{i}"
                if i % 2:
                    got = client.execute("ECHO", value)
                else:
                    client.set(f"thread:{thread}", value)
                    got = client.get(f"thread:{thread}")
                if got != value.encode():
                    failures.append((value, got))
                    return
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(("exception", repr(error)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    # Every thread's commands went on the one shared connection.
    stats = client.pool_stats()
    assert stats["in_use"] == 0
    assert stats["created"] == 0
    client.close()
