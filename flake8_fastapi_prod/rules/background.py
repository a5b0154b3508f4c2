"""FPR401–FPR404: functions run as ``BackgroundTasks``/``BackgroundTask``.

Which functions are tasks is known only once the walk is over
(``ModuleFacts.task_functions``: ``add_task(f)`` may come before or after
``def f``), so each rule records what it needs about *every* function during the
walk, keyed by the innermost ``def``, and reports the tasks' records in ``finish``.
"""

from __future__ import annotations

import ast
from typing import Union

from .. import knowledge
from ..analysis import ModuleFacts, Walker, base_name
from ..rule import Rule, last_names

_Def = Union[ast.FunctionDef, ast.AsyncFunctionDef]
#: ``try`` and, on Python 3.11+, ``try: ... except* ...``
_TRIES: tuple[type[ast.AST], ...] = tuple(
    dict.fromkeys((ast.Try, getattr(ast, "TryStar", ast.Try)))
)

_SCHEDULE = '''\
@app.post("/reports")
async def create_report(payload: ReportIn, tasks: BackgroundTasks):
    report = await repo.create(status="pending")
    tasks.add_task(build_report, report.id)
    return {"id": report.id}
'''


def _is_trivial(function: _Def) -> bool:
    """A body of only a docstring, ``pass`` and ``...``."""
    for statement in function.body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        return False
    return True


class TaskReturnsValue(Rule):
    code = "FPR401"
    requires = last_names(knowledge.BACKGROUND_TASK)
    message = (
        "background task `{name}` returns a value nobody receives: store the result "
        "(database, Redis, result backend) and return nothing"
    )
    summary = (
        "Flags `return <value>` in a function of this module that is passed to "
        "`BackgroundTasks.add_task` (on a parameter annotated `BackgroundTasks`, whatever "
        "its name) or to `BackgroundTask(...)`."
    )
    rationale = (
        "Starlette calls a background task after the response has been sent and drops "
        "whatever it returns. A task that computes a result and returns it looks "
        "finished in code review, but the client polling for that result never gets it."
    )
    use_instead = '''\
def build_report(report_id: int) -> None:
    data = compute(report_id)
    with SessionLocal() as db:
        db.execute(update(Report).where(Report.id == report_id)
                   .values(status="done", data=data))
        db.commit()
'''
    flags = (
        '''\
from fastapi import BackgroundTasks, FastAPI
app = FastAPI()

def build_report(report_id: int) -> dict:
    return {"id": report_id, "rows": compute(report_id)}

@app.post("/reports")
def create(report_id: int, bg: BackgroundTasks):
    bg.add_task(build_report, report_id)
''',
        '''\
from typing import Annotated
import fastapi

async def send_welcome(email: str) -> bool:
    await mailer.send(email)
    return True

@router.post("/signup")
async def signup(email: str, jobs: Annotated[fastapi.BackgroundTasks, "tasks"]):
    jobs.add_task(send_welcome, email=email)
''',
        '''\
from functools import partial
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse

def resize(path):
    thumbnail = make_thumbnail(path)
    return thumbnail

async def upload(path):
    return JSONResponse({}, background=BackgroundTask(partial(resize, path)))
''',
    )
    passes = (
        '''\
from fastapi import BackgroundTasks

def write_log(message: str) -> None:
    if not message:
        return
    with open("log.txt", "a") as log:
        log.write(message)

def notify(message: str, background_tasks: BackgroundTasks):
    background_tasks.add_task(write_log, message)
''',
        '''\
def build_report(report_id: int) -> dict:
    return {"id": report_id}

def create(report_id: int):
    return build_report(report_id)
''',
        '''\
from fastapi import BackgroundTasks
from .tasks import build_report

def create(report_id: int, tasks: BackgroundTasks):
    tasks.add_task(build_report, report_id)
''',
        '''\
def build_report(report_id):
    return None

def create(report_id, queue):
    queue.add_task(build_report, report_id)
''',
    )
    limitations = (
        "Only tasks defined in the same module and handed over by name (`add_task(f)`, "
        "`add_task(partial(f, ...))`, `BackgroundTask(f)`); imported functions, methods "
        "and lambdas are not followed. `add_task` counts on a parameter annotated "
        "`BackgroundTasks` (also through `Annotated`/`Optional`) or a local "
        "`BackgroundTasks()`."
    )
    visits = (ast.Return,)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._returns: dict[_Def, list[ast.Return]] = {}

    def visit(self, node: ast.AST, walker: Walker) -> None:
        assert isinstance(node, ast.Return)
        value = node.value
        function = walker.function
        if function is None or value is None:
            return
        if isinstance(value, ast.Constant) and value.value is None:
            return
        self._returns.setdefault(function, []).append(node)

    def finish(self, facts: ModuleFacts) -> None:
        for function in facts.task_functions():
            if function in facts.first_yield:
                continue
            for node in self._returns.get(function, ()):
                self.report(node, name=function.name)


class TaskWithoutErrorHandling(Rule):
    code = "FPR402"
    requires = last_names(knowledge.BACKGROUND_TASK)
    message = (
        "background task `{name}` has no `try`/`except`: catch failures and record the "
        "task's status (Starlette only logs the traceback)"
    )
    summary = (
        "Flags a background-task function (as in FPR401) with no `try` statement that has "
        "an `except` clause anywhere in its own body."
    )
    rationale = (
        "An exception in a background task happens after the response was sent: "
        "Starlette logs it and the job silently stays `pending` forever; nobody retries "
        "it and the client polling its status never learns it failed. When several tasks "
        "are queued on one response, the first failure also cancels the ones after it."
    )
    use_instead = '''\
def build_report(report_id: int) -> None:
    try:
        data = compute(report_id)
    except Exception:
        logger.exception("report %s failed", report_id)
        mark_report(report_id, status="failed")
        raise
    mark_report(report_id, status="done", data=data)
'''
    flags = (
        TaskReturnsValue.flags[0],
        '''\
from fastapi import BackgroundTasks

async def charge(order_id: int):
    order = await orders.get(order_id)
    await payments.charge(order.total)
    await orders.mark_paid(order_id)

async def checkout(order_id: int, later: BackgroundTasks):
    later.add_task(charge, order_id)
''',
        '''\
from starlette.background import BackgroundTask as Task
from starlette.responses import Response

def cleanup(path):
    os.remove(path)

def download(path):
    return Response(open(path, "rb").read(), background=Task(cleanup, path))
''',
    )
    passes = (
        '''\
from fastapi import BackgroundTasks

def charge(order_id: int):
    try:
        payments.charge(order_id)
    except PaymentError:
        orders.mark(order_id, "failed")
        raise

def checkout(order_id: int, tasks: BackgroundTasks):
    tasks.add_task(charge, order_id)
''',
        '''\
def charge(order_id: int):
    payments.charge(order_id)

def checkout(order_id: int):
    charge(order_id)
''',
        '''\
from fastapi import BackgroundTasks

def noop():
    """Placeholder."""

def checkout(tasks: BackgroundTasks):
    tasks.add_task(noop)
''',
    )
    limitations = (
        "Tasks are found as in FPR401. Any `try` with an `except` clause counts, whatever "
        "the handler does and however much of the work it covers; error handling in a "
        "helper the task calls, or in a decorator, is not seen. Bodies with only a "
        "docstring or `pass` are not flagged."
    )
    visits = _TRIES

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._guarded: set[_Def] = set()

    def visit(self, node: ast.AST, walker: Walker) -> None:
        assert isinstance(node, _TRIES)
        function = walker.function
        if function is not None and node.handlers:
            self._guarded.add(function)

    def finish(self, facts: ModuleFacts) -> None:
        for function in facts.task_functions():
            if function not in self._guarded and not _is_trivial(function):
                self.report(function, name=function.name)


_CONTAINER_CALLS = frozenset(
    {
        "builtins.dict", "builtins.list", "builtins.set", "collections.defaultdict",
        "collections.OrderedDict", "collections.Counter", "collections.deque",
    }
)
_MUTATORS = frozenset(
    {
        "append", "appendleft", "extend", "insert", "add", "update", "setdefault", "pop",
        "popitem", "popleft", "remove", "discard", "clear", "__setitem__",
    }
)


def _write_root(target: ast.expr) -> tuple[str | None, bool]:
    """The name a ``a[k]...`` / ``a[k].x`` chain starts from, and whether it subscripts."""
    subscripted = False
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        subscripted = subscripted or isinstance(target, ast.Subscript)
        target = target.value
    return (target.id if isinstance(target, ast.Name) else None), subscripted


class TaskStateInModuleGlobal(Rule):
    code = "FPR403"
    requires = last_names(knowledge.BACKGROUND_TASK)
    message = (
        "task state written to module-level `{name}`: it is lost on restart and invisible "
        "to other workers; keep it in the database, Redis or a result backend"
    )
    summary = (
        "In a background-task function or in a handler that schedules one, flags writes "
        "into a module-level `dict`/`list`/`set` (`jobs[id] = ...`, "
        "`jobs[id][\"status\"] = ...`, `results.append(...)`, `del jobs[id]`, …)."
    )
    rationale = (
        "A module-level dict is per process: with several Uvicorn/Gunicorn workers, the "
        "request that polls a job's status usually lands on a worker that never saw it "
        "(404 or `pending` forever), every deploy or crash forgets all jobs, and the "
        "dict grows without bound."
    )
    use_instead = '''\
async def run_job(job_id: str) -> None:
    await redis.hset(f"job:{job_id}", mapping={"status": "running"})
    ...
    await redis.hset(f"job:{job_id}", mapping={"status": "done"})
'''
    flags = (
        '''\
from fastapi import BackgroundTasks
jobs: dict[str, dict] = {}

def run_job(job_id: str):
    jobs[job_id]["status"] = "done"

@app.post("/jobs")
def start(bg: BackgroundTasks):
    jobs["1"] = {"status": "pending"}
    bg.add_task(run_job, "1")
''',
        '''\
from collections import defaultdict
from fastapi import BackgroundTasks
PROGRESS = defaultdict(int)

async def crawl(site):
    PROGRESS[site] += 1

async def start(site, tasks: BackgroundTasks):
    tasks.add_task(crawl, site)
''',
        '''\
from starlette.background import BackgroundTask
finished = []

def index(doc_id):
    finished.append(doc_id)

def upload(doc_id):
    return Response(background=BackgroundTask(index, doc_id))
''',
    )
    passes = (
        '''\
from fastapi import BackgroundTasks

def run_job(job_id: str):
    results = {}
    results[job_id] = compute()
    redis_client.hset(f"job:{job_id}", mapping=results)

def start(bg: BackgroundTasks):
    bg.add_task(run_job, "1")
''',
        '''\
CACHE = {}

def warm(key):
    CACHE[key] = load(key)
''',
        '''\
from fastapi import BackgroundTasks
jobs = {}

def run_job(job_id, jobs):
    jobs[job_id] = "done"

def start(bg: BackgroundTasks):
    status = jobs.get("1")
    bg.add_task(run_job, "1", {})
''',
    )
    limitations = (
        "Module-level containers are names bound at module level to a literal "
        "`{}`/`[]`/`set()`, a comprehension, or `dict()`/`list()`/`defaultdict()`/"
        "`OrderedDict()`/`Counter()`/`deque()`. Writes through helpers, attributes "
        "(`app.state.jobs`) or class attributes are not seen; nor are tasks FPR401 cannot "
        "find. Adding an `asyncio` task (`create_task`/`ensure_future`, directly or "
        "through a local) to a module-level collection is asyncio's documented way to keep "
        "it referenced until it finishes, not task state, and is not flagged."
    )
    visits = (
        ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Delete, ast.Call, ast.For,
        ast.AsyncFor, ast.With, ast.AsyncWith, ast.Global,
    )

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._containers: set[str] = set()
        self._writes: dict[_Def, list[tuple[ast.AST, str]]] = {}
        self._locals: dict[_Def, set[str]] = {}
        self._globals: dict[_Def, set[str]] = {}
        #: names bound to an ``asyncio.Task`` in each function
        self._task_handles: dict[_Def, set[str]] = {}

    def visit(self, node: ast.AST, walker: Walker) -> None:
        function = walker.function
        if walker.scope is None:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                self._module_binding(node, walker)
            return
        if function is None:
            return
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
                if self._keeps_task_referenced(node, function):
                    return
                root, _ = _write_root(func.value)
                if root is not None and not walker.is_parameter(root):
                    self._writes.setdefault(function, []).append((node, root))
        elif isinstance(node, ast.Global):
            self._globals.setdefault(function, set()).update(node.names)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self._store(function, node, target, walker)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._store(function, node, node.target, walker)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._store(function, node, item.optional_vars, walker)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if isinstance(node.value, ast.Call) and _creates_task(node.value):
                handles = self._task_handles.setdefault(function, set())
                handles.update(t.id for t in targets if isinstance(t, ast.Name))
            for target in targets:
                self._store(function, node, target, walker, augmented=isinstance(
                    node, ast.AugAssign
                ))

    def _keeps_task_referenced(self, call: ast.Call, function: _Def) -> bool:
        """``_tasks.add(task)`` for a task from ``create_task``: asyncio's documented way
        to keep a task alive until it is done, not task state."""
        if len(call.args) != 1:
            return False
        item = call.args[0]
        if isinstance(item, ast.Name):
            return item.id in self._task_handles.get(function, ())
        return isinstance(item, ast.Call) and _creates_task(item)

    def _store(
        self, function: _Def, node: ast.AST, target: ast.expr, walker: Walker,
        augmented: bool = False,
    ) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store(function, node, element, walker)
            return
        if isinstance(target, ast.Starred):
            self._store(function, node, target.value, walker)
            return
        if isinstance(target, ast.Name):
            if augmented:
                # ``jobs += [...]`` writes the module's list only under ``global jobs``
                self._writes.setdefault(function, []).append((node, "global:" + target.id))
            elif not isinstance(node, ast.Delete):
                self._locals.setdefault(function, set()).add(target.id)
            return
        root, subscripted = _write_root(target)
        if root is not None and subscripted and not walker.is_parameter(root):
            self._writes.setdefault(function, []).append((node, root))

    def _module_binding(self, node: ast.Assign | ast.AnnAssign, walker: Walker) -> None:
        value = node.value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        is_container = isinstance(
            value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
        ) or (isinstance(value, ast.Call) and walker.qualify(value.func) in _CONTAINER_CALLS)
        for target in targets:
            if isinstance(target, ast.Name):
                if is_container:
                    self._containers.add(target.id)
                else:
                    self._containers.discard(target.id)

    def finish(self, facts: ModuleFacts) -> None:
        tasks = facts.task_functions()
        functions: list[_Def] = list(tasks)
        for schedules in tasks.values():
            for schedule in schedules:
                if schedule.scheduler is not None and schedule.scheduler not in functions:
                    functions.append(schedule.scheduler)
        for schedule in facts.task_schedules:
            if schedule.scheduler is not None and schedule.scheduler not in functions:
                functions.append(schedule.scheduler)
        for function in functions:
            local = self._locals.get(function, set())
            declared = self._globals.get(function, set())
            for node, name in self._writes.get(function, ()):
                if name.startswith("global:"):
                    name = name[len("global:"):]
                    if name not in declared:
                        continue
                elif name in local and name not in declared:
                    continue
                if name in self._containers:
                    self.report(node, name=name)


def _creates_task(call: ast.Call) -> bool:
    """``asyncio.create_task(...)``, ``loop.create_task(...)``, ``ensure_future(...)``."""
    return base_name(call.func) in ("create_task", "ensure_future")


_TIMEOUT_FIX = "asyncio.timeout(...)"


class TaskWithoutTimeout(Rule):
    code = "FPR404"
    requires = last_names(knowledge.BACKGROUND_TASK)
    message = (
        "async background task `{name}` awaits without any timeout: wrap its work in "
        f"`async with {_TIMEOUT_FIX}` or pass `timeout=` to the calls"
    )
    summary = (
        "Flags an `async def` background-task function (as in FPR401) that awaits "
        "something other than `asyncio.sleep` and contains no timeout: no "
        "`asyncio.timeout`/`asyncio.wait_for`/`anyio.fail_after`/`move_on_after`, no "
        "`*timeout*=` argument, and no call on a module-level client built with one."
    )
    rationale = (
        "A background task runs on the event loop of the worker that served the "
        "request. If the remote API, SMTP server or database it awaits never answers, the "
        "task hangs forever: it holds its connection, is never retried, and on shutdown "
        "it delays the worker until it is killed. Nothing reports it, because it never "
        "fails."
    )
    use_instead = '''\
async def notify(url: str, payload: dict) -> None:
    async with asyncio.timeout(30):
        async with httpx.AsyncClient() as client:
            await client.post(url, json=payload)
'''
    flags = (
        TaskReturnsValue.flags[1],
        '''\
import httpx
from fastapi import BackgroundTasks

async def call_webhook(url: str, payload: dict):
    try:
        async with httpx.AsyncClient() as client:
            await client.post(url, json=payload)
    except httpx.HTTPError:
        log.warning("webhook failed")

def create(url: str, tasks: BackgroundTasks):
    tasks.add_task(call_webhook, url, {})
''',
        '''\
from starlette.background import BackgroundTask

async def refresh(key):
    value = await fetch(key)
    await cache.set(key, value, timeout=None)

def handler(key):
    return Response(background=BackgroundTask(refresh, key))
''',
    )
    passes = (
        '''\
import asyncio
from fastapi import BackgroundTasks

async def call_webhook(url: str):
    async with asyncio.timeout(10):
        await client.post(url)

def create(url: str, tasks: BackgroundTasks):
    tasks.add_task(call_webhook, url)
''',
        '''\
import httpx
from fastapi import BackgroundTasks
client = httpx.AsyncClient(timeout=10)

async def call_webhook(url: str):
    await client.post(url)

def create(url: str, tasks: BackgroundTasks):
    tasks.add_task(call_webhook, url)
''',
        '''\
import asyncio
from fastapi import BackgroundTasks

async def later(seconds: int):
    await asyncio.sleep(seconds)

def create(tasks: BackgroundTasks):
    tasks.add_task(later, 5)
''',
        '''\
import anyio

async def refresh(key):
    with anyio.fail_after(5):
        await fetch(key)

async def handler(key):
    await refresh(key)
''',
        '''\
from fastapi import BackgroundTasks
from redis.asyncio import Redis

async def cleanup_tokens(redis_client: Redis, user_id: str) -> None:
    await redis_client.delete(f"user:{user_id}")

def logout(user_id: str, redis_client: Redis, tasks: BackgroundTasks):
    tasks.add_task(cleanup_tokens, redis_client, user_id)
''',
    )
    limitations = (
        "Tasks are found as in FPR401. A timeout set inside a helper the task awaits, or "
        "on a client kept on `app.state`, is not seen; `timeout=None` does not count. A "
        "task whose every awaited call is a method of one of its parameters (`await "
        "redis_client.delete(key)`, `await ctx.db.commit()`) is not flagged: the client "
        "was built elsewhere, and whether it has a socket timeout cannot be seen (a guess, "
        "so the rule stays silent). Library default timeouts (httpx's 5 s) are not "
        "taken into account: the rule asks for an explicit one."
    )
    visits = (ast.Await, ast.Call, ast.Assign, ast.AnnAssign)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._awaiting: set[_Def] = set()
        #: tasks awaiting something other than a method of a parameter
        self._awaiting_own: set[_Def] = set()
        self._bounded: set[_Def] = set()
        self._receivers: dict[_Def, set[str]] = {}
        self._module_bounded: set[str] = set()

    def visit(self, node: ast.AST, walker: Walker) -> None:
        function = walker.function
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            if walker.scope is None and isinstance(node.value, ast.Call):
                if _has_timeout_argument(node.value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    self._module_bounded.update(t.id for t in targets if isinstance(t, ast.Name))
            return
        if not isinstance(function, ast.AsyncFunctionDef):
            return
        if isinstance(node, ast.Await):
            value = node.value
            if not (
                isinstance(value, ast.Call) and walker.qualify(value.func) in knowledge.SLEEP_CALLS
            ):
                self._awaiting.add(function)
                if not _on_parameter(value, function, walker):
                    self._awaiting_own.add(function)
        elif isinstance(node, ast.Call):
            if walker.qualify(node.func) in knowledge.TIMEOUT_CALLS or _has_timeout_argument(node):
                self._bounded.add(function)
            func = node.func
            while isinstance(func, (ast.Attribute, ast.Call)):
                func = func.value if isinstance(func, ast.Attribute) else func.func
            if isinstance(func, ast.Name) and not walker.is_parameter(func.id):
                self._receivers.setdefault(function, set()).add(func.id)

    def finish(self, facts: ModuleFacts) -> None:
        for function in facts.task_functions():
            if not isinstance(function, ast.AsyncFunctionDef):
                continue
            if function not in self._awaiting_own or function in self._bounded:
                continue
            if not self._receivers.get(function, set()).isdisjoint(self._module_bounded):
                continue
            self.report(function, name=function.name)


def _on_parameter(value: ast.expr, function: _Def, walker: Walker) -> bool:
    """``param.method(...)``/``param.attr.method(...)``: a client passed in, built elsewhere."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
        return False
    root: ast.expr = value.func.value
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name) or root.id in ("self", "cls"):
        return False
    params = {a.arg for a in (*function.args.posonlyargs, *function.args.args,
                              *function.args.kwonlyargs)}
    rebound = walker.facts.local_bindings.get(function, {})
    return root.id in params and root.id not in rebound


def _has_timeout_argument(call: ast.Call) -> bool:
    for item in call.keywords:
        if item.arg is not None and "timeout" in item.arg.lower():
            if not (isinstance(item.value, ast.Constant) and item.value.value is None):
                return True
    return False


RULES: tuple[type[Rule], ...] = (
    TaskReturnsValue,
    TaskWithoutErrorHandling,
    TaskStateInModuleGlobal,
    TaskWithoutTimeout,
)
