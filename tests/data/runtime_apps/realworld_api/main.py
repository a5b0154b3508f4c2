from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from .api.routes.api import router as api_router
from .core.config import get_app_settings
from .core.events import create_cache_handlers, create_start_app_handler, create_stop_app_handler


def get_application() -> FastAPI:
    settings = get_app_settings()

    application = FastAPI(debug=settings.debug, title=settings.title, version=settings.version)

    application.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_hosts,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )

    application.router.add_event_handler(
        "startup",
        create_start_app_handler(application, settings),
    )
    fill_tag_cache, drop_tag_cache = create_cache_handlers(application)
    application.router.add_event_handler("startup", fill_tag_cache)
    application.router.add_event_handler(
        event_type="shutdown",
        func=create_stop_app_handler(application),
    )
    application.router.add_event_handler("shutdown", drop_tag_cache)

    application.include_router(api_router, prefix=settings.api_prefix)

    return application


app = get_application()
