import os
from dataclasses import dataclass


@dataclass
class Settings:
    database_url: str
    upstream: str

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("GATEWAY_DATABASE_URL", "sqlite+aiosqlite:///./gateway.db"),
            upstream=os.environ.get("GATEWAY_UPSTREAM", "http://upstream.invalid"),
        )
