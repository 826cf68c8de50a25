"""Running test code in threads: a background loop against foreground work."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_against(
    background: Callable[[threading.Event], None], foreground: Callable[[], None], threads: int = 1
) -> list[BaseException]:
    """Run ``threads`` copies of ``foreground`` while ``background(stop)`` loops until ``stop`` is set
    (once they all finished); return whatever any of them raised."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def guarded(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # reported to the test
                errors.append(exc)

        return run

    loop = threading.Thread(target=guarded(lambda: background(stop)))
    workers = [threading.Thread(target=guarded(foreground)) for _ in range(threads)]
    loop.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    loop.join()
    return errors
