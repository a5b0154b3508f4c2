from functools import lru_cache
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REALWORLD_")

    debug: bool = False
    title: str = "RealWorld API"
    version: str = "1.0.0"
    api_prefix: str = "/api"
    database_url: str = "sqlite+aiosqlite:///./realworld.db"
    allowed_hosts: list[str] = ["*"]

    @property
    def fastapi_kwargs(self) -> dict[str, Any]:
        return {"debug": self.debug, "title": self.title, "version": self.version}


@lru_cache
def get_app_settings() -> AppSettings:
    return AppSettings()
