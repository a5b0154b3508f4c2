from probe import record


class LocalCache:
    """In-process cache for reference data."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}

    def warm(self, size: int = 100) -> None:
        record(f"cache.warm(size={size})")
        self.data.update({f"sku-{i}": i for i in range(size)})


cache = LocalCache()
