"""Event log shared by the runtime apps and ``_driver.py``.

Every start-up/shut-down handler of the apps calls ``record(<its name>)``; the driver
resets ``events`` before each scenario and prints it afterwards, so the order in which
FastAPI ran the handlers can be compared before and after the codemod.
"""

events: list[str] = []


def record(name: str) -> None:
    """Append one event (a handler name) to the log."""
    events.append(name)
