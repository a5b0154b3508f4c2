"""Forms the codemod must leave alone, each for a reason it reports."""
from fastapi import APIRouter, FastAPI

from .handlers import extra_handlers

# handlers appended to the router's list directly
direct = FastAPI()
direct.router.on_startup.append(print)


@direct.on_event("shutdown")
def direct_down() -> None:
    pass


# a handler list the codemod cannot see into
listed = FastAPI(on_startup=[print, *extra_handlers])

# registered from a nested function, which may run any number of times
nested = APIRouter()


def register() -> None:
    nested.add_event_handler("startup", print)


# the app escapes under another name
aliased = FastAPI()
alias = aliased
aliased.router.add_event_handler("startup", print)
