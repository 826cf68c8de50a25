"""A worker process for the transport's fault tests.

    python tests/redis_worker.py URL NAMESPACE NAME [SLOW_SECONDS] [VISIBILITY_SECONDS] [BATCH]

Its one handler, ``record``, appends the event's id to the Redis list
``NAMESPACE:delivered`` (sleeping SLOW_SECONDS first). Runs until SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis

from eventmatch.transport.redis import RedisTransport


def main() -> None:
    url, namespace, name = sys.argv[1:4]
    slow = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    visibility = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
    batch = int(sys.argv[6]) if len(sys.argv) > 6 else 50
    client = redis.Redis.from_url(url, socket_timeout=5)

    def record(event: Any) -> None:
        if slow:
            time.sleep(slow)
        client.rpush(f"{namespace}:delivered", event["id"])

    transport = RedisTransport(url, namespace=namespace, visibility_timeout=visibility)
    worker = transport.worker({"record": record}, name, batch=batch, block_ms=50)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    worker.run(stop)


if __name__ == "__main__":
    main()
