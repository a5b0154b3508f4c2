import os


class Settings:
    DATABASE_URL: str = os.getenv("TASKS_DATABASE_URL", "sqlite+aiosqlite:///./tasks.db")
    REDIS_URL: str = os.getenv("TASKS_REDIS_URL", "redis://localhost:6379/0")


settings = Settings()
