from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    notify_database_url: str = "sqlite+aiosqlite:///./notifications.db"
    enable_scheduler: bool = True
    sentry_dsn: str | None = None


settings = Settings()
