from probe import record

_audit_log: list[str] | None = None


def start() -> None:
    global _audit_log
    record("audit.start")
    _audit_log = ["started"]


async def stop() -> None:
    record("audit.stop")
    _audit_log.append("stopped")  # created by start()
