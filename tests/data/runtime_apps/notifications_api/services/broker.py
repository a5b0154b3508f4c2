"""Message broker connection, opened at start-up and closed at shut-down."""
import asyncio

from probe import record

connection = None


class _Connection:
    def __init__(self) -> None:
        self.open = True
        self.sent: list[str] = []

    async def close(self) -> None:
        await asyncio.sleep(0)
        self.open = False


async def connect_broker() -> None:
    global connection
    record("connect_broker")
    connection = _Connection()


async def disconnect_broker() -> None:
    record("disconnect_broker")
    await connection.close()
