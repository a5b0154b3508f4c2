import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: os.getenv("INVENTORY_DATABASE_URL", "sqlite:///./inventory.db")
    )
    supplier_api: str = field(
        default_factory=lambda: os.getenv("SUPPLIER_API", "http://suppliers.invalid")
    )
    enable_audit: bool = field(
        default_factory=lambda: os.getenv("INVENTORY_ENABLE_AUDIT", "0") == "1"
    )


def get_settings() -> Settings:
    return Settings()
