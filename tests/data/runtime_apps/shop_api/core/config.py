from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOP_")

    project_name: str = "Shop API"
    database_url: str = "sqlite:///./shop.db"
    # Schema version the code needs; start-up refuses to run against an older database.
    required_schema: int = 2


@lru_cache
def get_settings() -> Settings:
    return Settings()


settings = get_settings()
