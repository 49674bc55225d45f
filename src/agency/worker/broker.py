"""The dramatiq broker: Redis in production, an in-process worker by default.

Call :func:`setup_broker` before importing any module that declares actors
(dramatiq binds actors to the global broker at import time).
"""

from __future__ import annotations

import threading

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit

from agency.settings import Settings

_lock = threading.Lock()
_broker: dramatiq.Broker | None = None


def _middleware() -> list:
    # Retries with exponential backoff; TimeLimit cannot interrupt blocking I/O,
    # which is why every I/O call in actors carries its own timeout.
    return [AgeLimit(), TimeLimit(time_limit=600_000), ShutdownNotifications(), Callbacks(),
            Pipelines(), Retries(max_retries=10, min_backoff=1_000, max_backoff=300_000)]


def setup_broker(settings: Settings) -> dramatiq.Broker:
    global _broker
    with _lock:
        if _broker is not None:
            return _broker
        if settings.broker_url:
            from dramatiq.brokers.redis import RedisBroker

            broker: dramatiq.Broker = RedisBroker(url=settings.broker_url, middleware=_middleware(),
                                                  socket_timeout=10, socket_connect_timeout=5)
        else:
            broker = StubBroker(middleware=_middleware())
            broker.emit_after("process_boot")
        dramatiq.set_broker(broker)
        _broker = broker
        return broker


def get_broker() -> dramatiq.Broker:
    if _broker is None:
        raise RuntimeError("setup_broker() has not been called")
    return _broker


def is_in_process(broker: dramatiq.Broker) -> bool:
    return isinstance(broker, StubBroker)


def broker_status(broker: dramatiq.Broker) -> dict[str, object]:
    if is_in_process(broker):
        return {"ok": True, "kind": "in-process"}
    try:
        broker.client.ping()  # type: ignore[attr-defined]
        return {"ok": True, "kind": "redis"}
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is down
        return {"ok": False, "kind": "redis", "error": type(exc).__name__}


class InProcessWorker:
    """Runs the actors inside this process when no Redis broker is configured."""

    def __init__(self, broker: dramatiq.Broker, threads: int = 4) -> None:
        self.worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=200)
        self.running = False

    def start(self) -> None:
        self.worker.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.worker.stop()
            self.running = False
