from probe import record


class Scheduler:
    """Runs periodic digests; ``start``/``shutdown`` are registered as event handlers."""

    def __init__(self) -> None:
        self.running = False

    def start(self) -> None:
        record("scheduler.start")
        self.running = True

    async def shutdown(self) -> None:
        record("scheduler.shutdown")
        self.running = False
