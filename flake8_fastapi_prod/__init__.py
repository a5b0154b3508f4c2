"""flake8-fastapi-prod: find the FastAPI mistakes that pass every test and fail in production."""

__version__ = "0.1.0"
