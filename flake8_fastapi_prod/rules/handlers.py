"""FPR601–FPR604: what path operations do with the request, the database and errors."""

from __future__ import annotations

import ast
import re
import string
from dataclasses import dataclass

from .. import knowledge, project
from ..analysis import Function, ModuleFacts, Walker, base_name
from ..imports import dotted
from ..positions import contains, end_of, start_of
from ..rule import Rule, last_names

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _parameters(function: Function) -> list[ast.arg]:
    args = function.args
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


def _defaults(function: Function) -> dict[str, ast.expr]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    first = len(positional) - len(args.defaults)
    found = {arg.arg: default for arg, default in zip(positional[first:], args.defaults)}
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        if default is not None:
            found[arg.arg] = default
    return found


def _unwrap(annotation: ast.expr | None) -> tuple[ast.expr | None, list[ast.expr]]:
    """``Annotated[X, meta...]``/``Optional[X]``/``X | None`` -> (X, meta)."""
    metadata: list[ast.expr] = []
    while annotation is not None:
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
            annotation = sides[0] if len(sides) == 1 else None
            continue
        if not isinstance(annotation, ast.Subscript):
            break
        wrapper = base_name(annotation.value)
        inner = annotation.slice
        if wrapper == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
            annotation = inner.elts[0]
            metadata.extend(inner.elts[1:])
        elif wrapper == "Optional":
            annotation = inner
        elif wrapper == "Union" and isinstance(inner, ast.Tuple):
            sides = [s for s in inner.elts if not _is_none(s)]
            annotation = sides[0] if len(sides) == 1 else None
        else:
            break
    return annotation, metadata


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


#: parameter markers that make a parameter something other than the JSON body
_NON_BODY_MARKERS = frozenset(
    {"Depends", "Security", "Query", "Path", "Header", "Cookie", "Form", "File"}
)
#: capitalised annotations that are not request models
_NON_MODELS = frozenset(
    {
        "Request", "Response", "WebSocket", "HTTPConnection", "BackgroundTasks",
        "UploadFile", "SecurityScopes", "UUID", "Decimal", "Session", "AsyncSession",
        "Any", "Path", "EmailStr", "HttpUrl", "AnyUrl", "Json",
    }
)


def _marker(node: ast.expr) -> str | None:
    return base_name(node.func) if isinstance(node, ast.Call) else None


def body_models(function: Function) -> dict[str, str]:
    """Parameters that FastAPI fills from the request body with a model -> the class name.

    Annotated with a capitalised class that is no known framework or scalar type, and
    not marked ``Depends``/``Query``/``Path``/``Header``/``Cookie``/``Form``/``File``.
    """
    defaults = _defaults(function)
    found = {}
    for arg in _parameters(function):
        annotation, metadata = _unwrap(arg.annotation)
        name = base_name(annotation) if annotation is not None else None
        if name is None or not name[:1].isupper() or name in _NON_MODELS:
            continue
        markers = [*metadata, *([defaults[arg.arg]] if arg.arg in defaults else [])]
        if any(_marker(m) in _NON_BODY_MARKERS for m in markers):
            continue
        found[arg.arg] = name
    return found


PYDANTIC_MODELS = frozenset(
    {"pydantic.BaseModel", "pydantic.main.BaseModel", "sqlmodel.SQLModel", "sqlmodel.main.SQLModel"}
)


def _is_optional(annotation: ast.expr) -> bool:
    """``Optional[X]``, ``Union[X, None]``, ``X | None``: pydantic v1 defaults it to None."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _is_none(annotation.left) or _is_none(annotation.right) or (
            _is_optional(annotation.left) or _is_optional(annotation.right)
        )
    if isinstance(annotation, ast.Subscript):
        wrapper = base_name(annotation.value)
        if wrapper == "Optional":
            return True
        if wrapper == "Union" and isinstance(annotation.slice, ast.Tuple):
            return any(_is_none(e) for e in annotation.slice.elts)
        if wrapper == "Annotated" and isinstance(annotation.slice, ast.Tuple):
            return bool(annotation.slice.elts) and _is_optional(annotation.slice.elts[0])
    return False


def _required_field(statement: ast.AnnAssign) -> bool:
    """``x: int`` or ``x: int = Field(...)``/``Field(gt=0)``: no default, not Optional."""
    if _is_optional(statement.annotation):
        return False
    value = statement.value
    if value is None:
        return True
    if isinstance(value, ast.Call) and base_name(value.func) == "Field":
        if value.args:
            first = value.args[0]
            return isinstance(first, ast.Constant) and first.value is Ellipsis
        return not any(k.arg in ("default", "default_factory") for k in value.keywords)
    return False


# --- FPR601 -------------------------------------------------------------------------


class PatchOverwritesUnsetFields(Rule):
    code = "FPR601"
    requires = ("patch", "PATCH", "Patch")
    message = (
        "PATCH path operation `{name}` {what}: fields the client did not send overwrite "
        "stored values; apply only `{param}.model_dump(exclude_unset=True)`"
    )
    summary = (
        "In a PATCH path operation, flags `.model_dump()`/`.dict()` of the request body "
        "model without `exclude_unset=True` (or `exclude_defaults`/`exclude_none`), and "
        "copying the body model onto an object attribute by attribute "
        "(`item.name = update.name`) outside any `if`."
    )
    rationale = (
        "A PATCH body is partial: every field the client leaves out still exists on the "
        "model, set to its default (usually `None`). Dumping or copying the whole model "
        "writes those defaults over the stored values, so updating one field silently "
        "erases the others. Tests that always send every field never notice."
    )
    use_instead = '''\
@app.patch("/items/{item_id}")
def update_item(item_id: int, update: ItemUpdate, db: Session = Depends(get_db)):
    item = db.get(Item, item_id)
    for field, value in update.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    db.commit()
    return item
'''
    flags = (
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.patch("/items/{item_id}")
async def update_item(item_id: int, item: ItemUpdate):
    stored = items[item_id]
    items[item_id] = stored.model_copy(update=item.model_dump())
''',
        '''\
from fastapi import APIRouter, Depends
router = APIRouter()

@router.patch("/users/{user_id}")
def update_user(user_id: int, payload: UserPatch, db: Session = Depends(get_db)):
    user = db.get(User, user_id)
    user.name = payload.name
    user.email = payload.email
    db.commit()
''',
        '''\
from typing import Annotated
from fastapi import Body, FastAPI
app = FastAPI()

@app.api_route("/items/{item_id}", methods=["PATCH"])
def patch_item(item_id: int, data: Annotated[ItemIn, Body()]):
    for key, value in data.dict(exclude_none=False).items():
        setattr(items[item_id], key, value)
''',
    )
    passes = (
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.patch("/items/{item_id}")
def update_item(item_id: int, item: ItemUpdate):
    changes = item.model_dump(exclude_unset=True)
    items[item_id] = items[item_id].model_copy(update=changes)
''',
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.put("/items/{item_id}")
def replace_item(item_id: int, item: Item):
    items[item_id] = item.model_dump()
''',
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.patch("/users/{user_id}")
def update_user(user_id: int, payload: UserPatch, db: Session = Depends(get_db)):
    user = db.get(User, user_id)
    if payload.name is not None:
        user.name = payload.name
    db.commit()
''',
        '''\
from fastapi import Depends, FastAPI
app = FastAPI()

@app.patch("/me")
def touch(user: User = Depends(current_user)):
    record.owner = user.id
    audit(user.model_dump())
''',
        '''\
from fastapi import FastAPI
from pydantic import BaseModel
app = FastAPI()

class TierUpdate(BaseModel):
    tier_id: int

@app.patch("/users/{user_id}/tier")
def set_tier(user_id: int, values: TierUpdate):
    crud.update(user_id, values.model_dump())
''',
        '''\
from fastapi import APIRouter
from app.schemas import UserTierUpdate
router = APIRouter()

@router.patch("/users/{username}/tier")
async def patch_tier(username: str, values: UserTierUpdate):
    await crud_users.update(object=values.model_dump(), username=username)
''',
    )
    limitations = (
        "Only path operations registered with `@x.patch(...)` or `@x.api_route(..., "
        "methods=[\"PATCH\", ...])` (a literal list) in the same module; the request "
        "model is a parameter annotated with a capitalised class that is not a framework "
        "or scalar type and not marked `Depends`/`Query`/`Path`/`Header`/`Cookie`/"
        "`Form`/`File`. A model class defined in the same module whose fields are all "
        "required (no default, not `Optional`) is not flagged: clients must send every "
        "field, so `exclude_unset` changes nothing. A model imported from another module "
        "(its fields cannot be seen) is flagged only when the handler applies the dump "
        "field by field: iterates its `.items()` in a loop that calls `setattr`, passes it "
        "as `model_copy(update=...)`, to `.update(...)`/`.update(**...)`/"
        "`.sqlmodel_update(...)`, or merges it into a dict literal with `**`; a dump handed "
        "to any other call (`crud.update(obj=update.model_dump())`) is not flagged, since "
        "what that call writes cannot be seen. "
        "`exclude_none=True` is accepted as a deliberate choice (it "
        "cannot set a field to null). Attribute copies inside an `if` count as guarded; "
        "dumps passed through `**kwargs` or a non-literal `exclude_unset` are not flagged; "
        "`jsonable_encoder(model)` is not seen."
    )
    visits = (ast.Call, ast.Assign, ast.If, ast.ClassDef, ast.For, ast.AsyncFor, ast.Dict)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._models: dict[Function, dict[str, str]] = {}
        self._guards: dict[Function, list[ast.If]] = {}
        self._copied: set[Function] = set()
        #: same-module classes -> every field is required (no default)
        self._required_only: dict[str, bool] = {}
        #: (node, handler name, what, param, model, handler or None for attribute copies)
        self._found: list[tuple[ast.AST, str, str, str, str, Function | None]] = []
        #: what shows that a dump is written field by field onto stored data
        self._applied: set[ast.AST] = set()
        self._applied_names: dict[Function, set[str]] = {}
        self._dump_names: dict[Function, dict[str, ast.Call]] = {}
        self._loops: dict[Function, list[tuple[ast.AST, ast.expr]]] = {}
        self._setattrs: dict[Function, list[ast.Call]] = {}

    def _patch_models(self, walker: Walker) -> tuple[Function | None, dict[str, str]]:
        function = walker.function
        if function is None or "PATCH" not in walker.facts.path_methods.get(function, ()):
            return None, {}
        if function not in self._models:
            self._models[function] = body_models(function)
        rebound = walker.facts.local_bindings.get(function, {})
        models = self._models[function]
        return function, {name: cls for name, cls in models.items() if name not in rebound}

    def _model_class(self, node: ast.ClassDef, walker: Walker) -> None:
        """Record whether a pydantic model only has required fields (then PATCH
        clients must send them all, and ``exclude_unset`` changes nothing)."""
        required = True
        for base in node.bases:
            if walker.qualify(base) in PYDANTIC_MODELS:
                continue
            required = required and self._required_only.get(base_name(base) or "", False)
        fields = [
            statement
            for statement in node.body
            if isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and base_name(
                statement.annotation.value
                if isinstance(statement.annotation, ast.Subscript)
                else statement.annotation
            )
            != "ClassVar"
        ]
        required = required and bool(node.bases) and all(_required_field(f) for f in fields)
        self._required_only[node.name] = required

    def finish(self, facts: ModuleFacts) -> None:
        for node, name, what, param, model, dumped_in in self._found:
            if self._required_only.get(model, False):
                continue
            if dumped_in is not None and model not in self._required_only:
                if not self._is_applied(node, dumped_in):
                    continue  # an imported model handed to code that cannot be seen
            self.report(node, name=name, what=what, param=param)

    def _is_applied(self, dump: ast.AST, function: Function) -> bool:
        names = {n for n, call in self._dump_names.get(function, {}).items() if call is dump}
        if dump in self._applied or names & self._applied_names.get(function, set()):
            return True
        for loop, iterated in self._loops.get(function, ()):
            if iterated is dump or isinstance(iterated, ast.Name) and iterated.id in names:
                if any(contains(loop, call) for call in self._setattrs.get(function, ())):
                    return True
        return False

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, ast.ClassDef):
            self._model_class(node, walker)
            return
        function, models = self._patch_models(walker)
        if function is None or not models:
            return
        if isinstance(node, ast.If):
            self._guards.setdefault(function, []).append(node)
        elif isinstance(node, ast.Call):
            self._dump(node, function, models)
            self._application(node, function)
        elif isinstance(node, ast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if _is_dump(node.value, models):
                    names = self._dump_names.setdefault(function, {})
                    names[node.targets[0].id] = node.value  # type: ignore[assignment]
            if function not in self._copied:
                self._copy(node, function, models)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            iterated = node.iter
            if (
                isinstance(iterated, ast.Call)
                and isinstance(iterated.func, ast.Attribute)
                and iterated.func.attr == "items"
            ):
                iterated = iterated.func.value
            self._loops.setdefault(function, []).append((node, iterated))
        elif isinstance(node, ast.Dict) and len(node.keys) > 1:
            for key, value in zip(node.keys, node.values):
                if key is None:  # ``{**stored, **update.model_dump()}``
                    self._mark_applied(value, function)

    def _application(self, node: ast.Call, function: Function) -> None:
        """Calls that write a mapping field by field onto stored data."""
        func = node.func
        if isinstance(func, ast.Name) and func.id == "setattr":
            self._setattrs.setdefault(function, []).append(node)
            return
        if not isinstance(func, ast.Attribute):
            return
        if func.attr in ("model_copy", "copy"):
            for keyword in node.keywords:
                if keyword.arg == "update":
                    self._mark_applied(keyword.value, function)
        elif func.attr in ("update", "sqlmodel_update"):
            if len(node.args) == 1:
                self._mark_applied(node.args[0], function)
            for keyword in node.keywords:
                if keyword.arg is None:
                    self._mark_applied(keyword.value, function)

    def _mark_applied(self, value: ast.expr, function: Function) -> None:
        if isinstance(value, ast.Name):
            self._applied_names.setdefault(function, set()).add(value.id)
        else:
            self._applied.add(value)

    def _dump(self, node: ast.Call, function: Function, models: dict[str, str]) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("model_dump", "dict")):
            return
        if not (isinstance(func.value, ast.Name) and func.value.id in models):
            return
        for keyword in node.keywords:
            if keyword.arg is None:
                return
            if keyword.arg in ("exclude_unset", "exclude_defaults", "exclude_none"):
                value = keyword.value
                if not (isinstance(value, ast.Constant) and not value.value):
                    return
        param = func.value.id
        what = f"dumps `{param}` without `exclude_unset=True`"
        self._found.append((node, function.name, what, param, models[param], function))

    def _copy(self, node: ast.Assign, function: Function, models: dict[str, str]) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Attribute):
            return
        value = node.value
        if not (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)):
            return
        param = value.value.id
        target_root = (dotted(node.targets[0]) or "").split(".", 1)[0]
        if param not in models or target_root == param:
            return
        if any(contains(guard, node) for guard in self._guards.get(function, ())):
            return
        self._copied.add(function)
        what = f"copies `{param}.{value.attr}` attribute by attribute"
        self._found.append((node, function.name, what, param, models[param], None))


def _is_dump(node: ast.expr, models: dict[str, str]) -> bool:
    """``param.model_dump(...)``/``param.dict(...)`` of a body model (options not read)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("model_dump", "dict")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in models
    )


# --- FPR602 -------------------------------------------------------------------------

UPLOAD_FILES = frozenset(
    {
        "fastapi.UploadFile",
        "fastapi.datastructures.UploadFile",
        "starlette.datastructures.UploadFile",
    }
)
_SEQUENCES = frozenset({"list", "List", "Sequence", "tuple", "Tuple", "Iterable"})


class UnboundedUploadRead(Rule):
    code = "FPR602"
    requires = ("UploadFile",)
    message = (
        "`{call}` loads the whole upload into memory: read it in chunks "
        "(`await {name}.read(1024 * 1024)` in a loop, with a size limit) or stream "
        "`{name}.file` with `shutil.copyfileobj`"
    )
    summary = (
        "Flags `await f.read()` (no size, or -1) and `f.file.read()` on a parameter "
        "annotated `UploadFile` (also inside `Annotated[...]`, `Optional` or any union, and "
        "each element of a `list[UploadFile]` parameter in a `for` loop)."
    )
    rationale = (
        "`UploadFile` spools large uploads to disk precisely so they need not fit in "
        "memory; `read()` without a size undoes that and returns the whole body as one "
        "`bytes` object. A few concurrent large (or malicious) uploads exhaust the "
        "worker's memory and the process is OOM-killed, taking every in-flight request "
        "with it."
    )
    use_instead = '''\
CHUNK = 1024 * 1024

@app.post("/upload")
async def upload(file: UploadFile):
    size = 0
    async with aiofiles.open(dest, "wb") as out:
        while chunk := await file.read(CHUNK):
            size += len(chunk)
            if size > MAX_BYTES:
                raise HTTPException(413, "file too large")
            await out.write(chunk)
'''
    flags = (
        '''\
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    contents = await file.read()
''',
        '''\
from typing import Annotated
import fastapi

@router.post("/avatars")
async def avatar(image: Annotated[fastapi.UploadFile, fastapi.File()] = None):
    data = await image.read(-1)
''',
        '''\
from starlette.datastructures import UploadFile as Upload

async def save_all(files: list[Upload]):
    for f in files:
        blob = await f.read()
''',
        '''\
from fastapi import UploadFile

def import_csv(upload: UploadFile | None):
    text = upload.file.read().decode()
''',
        '''\
from fastapi import UploadFile

async def install_plugin(file: UploadFile | str):
    if isinstance(file, str):
        return await download(file)
    contents = await file.read()
''',
    )
    passes = (
        '''\
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    while chunk := await file.read(1024 * 1024):
        out.write(chunk)
''',
        '''\
import shutil
from fastapi import UploadFile

@app.post("/upload")
def upload(file: UploadFile):
    with open(dest, "wb") as out:
        shutil.copyfileobj(file.file, out)
''',
        '''\
from fastapi import File, FastAPI
app = FastAPI()

@app.post("/small")
async def small(file: bytes = File()):
    return len(file)
''',
        '''\
from fastapi import Request

@app.post("/raw")
async def raw(request: Request, upload):
    body = await request.body()
    data = await upload.read()
''',
    )
    limitations = (
        "Only parameters annotated with `UploadFile` (resolved through the imports) in the "
        "same function; an `UploadFile` passed on to a helper is seen only if the helper's "
        "parameter is annotated too. A size held in a variable is trusted. A file handed "
        "over by a dependency (`file: UploadFile = Depends(check_size)`, also inside "
        "`Annotated`) is not flagged: the dependency may already have checked its size."
    )
    visits = (*_FUNCTIONS, ast.For, ast.AsyncFor, ast.Await, ast.Call)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._files: dict[Function, set[str]] = {}
        self._lists: dict[Function, set[str]] = {}

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, _FUNCTIONS):
            self._parameters(node, walker)
            return
        function = walker.function
        files = self._files.get(function) if function is not None else None
        if isinstance(node, (ast.For, ast.AsyncFor)):
            lists = self._lists.get(function, ()) if function is not None else ()
            iterated = node.iter
            if isinstance(iterated, ast.Name) and iterated.id in lists:
                if isinstance(node.target, ast.Name) and function is not None:
                    self._files.setdefault(function, set()).add(node.target.id)
            return
        if not files:
            return
        rebound = walker.facts.local_bindings.get(function, {})  # type: ignore[arg-type]
        if isinstance(node, ast.Await):
            call = node.value
            if isinstance(call, ast.Call) and _reads_all(call):
                receiver = call.func.value  # type: ignore[attr-defined]
                if isinstance(receiver, ast.Name) and receiver.id in files:
                    if receiver.id not in rebound:
                        self.report(node, call=f"await {receiver.id}.read()", name=receiver.id)
        elif isinstance(node, ast.Call) and _reads_all(node):
            receiver = node.func.value  # type: ignore[attr-defined]
            if isinstance(receiver, ast.Attribute) and receiver.attr == "file":
                owner = receiver.value
                if isinstance(owner, ast.Name) and owner.id in files and owner.id not in rebound:
                    self.report(node, call=f"{owner.id}.file.read()", name=owner.id)

    def _parameters(self, node: Function, walker: Walker) -> None:
        defaults = _defaults(node)
        for arg in _parameters(node):
            if _from_dependency(arg, defaults.get(arg.arg), walker):
                continue  # the dependency that hands the file over may check its size
            for member in _union_members(arg.annotation):
                if walker.qualify(member) in UPLOAD_FILES:
                    self._files.setdefault(node, set()).add(arg.arg)
                elif isinstance(member, ast.Subscript) and base_name(member.value) in _SEQUENCES:
                    elements = _union_members(member.slice)
                    if any(walker.qualify(e) in UPLOAD_FILES for e in elements):
                        self._lists.setdefault(node, set()).add(arg.arg)


def _from_dependency(arg: ast.arg, default: ast.expr | None, walker: Walker) -> bool:
    """``file: UploadFile = Depends(f)`` or ``Annotated[UploadFile, Depends(f)]``."""
    markers = [default]
    annotation = arg.annotation
    if isinstance(annotation, ast.Subscript) and base_name(annotation.value) == "Annotated":
        if isinstance(annotation.slice, ast.Tuple):
            markers += annotation.slice.elts[1:]
    return any(
        isinstance(marker, ast.Call)
        and knowledge.is_dependency_marker(walker.qualify(marker.func))
        for marker in markers
    )


def _union_members(annotation: ast.expr | None) -> list[ast.expr]:
    """The types an annotation allows: ``Annotated``/``Optional``/``Union``/``|`` opened."""
    if annotation is None:
        return []
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return [*_union_members(annotation.left), *_union_members(annotation.right)]
    if isinstance(annotation, ast.Subscript):
        wrapper, inner = base_name(annotation.value), annotation.slice
        if wrapper == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
            return _union_members(inner.elts[0])
        if wrapper == "Optional":
            return _union_members(inner)
        if wrapper == "Union":
            elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return [m for element in elements for m in _union_members(element)]
    return [annotation]


def _reads_all(call: ast.Call) -> bool:
    """``x.read()``, ``x.read(-1)``, ``x.read(None)``, ``x.read(size=-1)``."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "read"):
        return False
    sizes = [*call.args, *(k.value for k in call.keywords if k.arg == "size")]
    if len(call.args) + len(call.keywords) != len(sizes) or len(sizes) > 1:
        return False
    if not sizes:
        return True
    size = sizes[0]
    if isinstance(size, ast.UnaryOp) and isinstance(size.op, ast.USub):
        size = size.operand
        return isinstance(size, ast.Constant) and size.value == 1
    return _is_none(size)


# --- FPR603 -------------------------------------------------------------------------

TEXT_FACTORIES = frozenset(
    {
        "sqlalchemy.text",
        "sqlalchemy.sql.text",
        "sqlalchemy.sql.expression.text",
        "sqlalchemy.sql._elements_constructors.text",
        "sqlmodel.text",
    }
)
#: method name -> keyword names of its SQL argument
EXECUTE_METHODS = {
    "execute": ("statement", "operation", "sql", "query"),
    "executemany": ("operation", "sql", "query"),
    "executescript": ("sql_script",),
    "exec_driver_sql": ("statement",),
}
#: methods named so generically that the string must also look like SQL
_GENERIC_METHODS = frozenset({"execute", "executemany"})
_SQL_WORDS = re.compile(
    r"\b(select|insert|update|delete|create|drop|alter|truncate|replace|merge|with|"
    r"pragma|grant|revoke|call|values|from|where|order\s+by|group\s+by|limit|join|set)\b",
    re.IGNORECASE,
)
#: statements whose variable parts are identifiers or settings: they cannot be bound
_UNBINDABLE_STATEMENTS = frozenset(
    {
        "set", "reset", "show", "desc", "describe", "create", "drop", "alter", "grant",
        "revoke", "truncate", "comment", "vacuum", "analyze", "analyse", "pragma", "reindex",
        "cluster", "use", "listen", "notify", "unlisten", "lock", "attach", "detach",
        "refresh", "savepoint", "release",
    }
)
_FIRST_WORD = re.compile(r"^[\s(]*([A-Za-z]+)")
#: the text before a value position: a comparison, ``LIKE``/``IN (``/``VALUES (``/``LIMIT``…
_VALUE_BEFORE = re.compile(
    r"(?:[=<>]|\b(?:like|ilike|similar\s+to|between|limit|offset|is|is\s+not|in|not\s+in|"
    r"values)\b)\s*\(?\s*$",
    re.IGNORECASE,
)
#: ``BETWEEN a AND {value}``; a plain ``AND {condition}`` joins clauses
_BETWEEN_AND = re.compile(r"\bbetween\s+(?:'[^']*'|\S+)\s+and\s*$", re.IGNORECASE)
_LIST_OWNER = re.compile(r"\b(in|values)\s*$", re.IGNORECASE)
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
#: how a non-constant part, and a constant part of unknown text, appear in the
#: reconstructed text
_HOLE = "\x00"
#: a ``text()`` that is one quoted literal with a cast (``'{x}'::uuid``): a column's
#: ``server_default``, where DDL cannot take a bound parameter
_LONE_LITERAL = re.compile(rf"\s*'{_HOLE}'\s*::\s*\w+(\s*\[\])?\s*\Z")
_CONST = "\x01"
_MAX_DEPTH = 8
#: annotations whose values cannot carry SQL (FastAPI validates them)
_SAFE_TYPES = frozenset(
    {
        "builtins.int", "builtins.float", "builtins.bool", "uuid.UUID", "decimal.Decimal",
        "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta",
    }
)
_SAFE_CALLS = frozenset({"builtins.int", "builtins.float", "builtins.len", "builtins.bool"})
#: wrappers that keep a value a value: ``str(x)``, ``repr(x)``, ``x.strip()``…
_TRIVIAL_WRAPPERS = frozenset({"str", "repr"})
_TRIVIAL_METHODS = frozenset(
    {
        "strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold", "capitalize",
        "replace", "decode", "encode",
    }
)
#: base classes that make a class an enum (its members are a closed set of constants)
_ENUM_BASES = frozenset(
    {"enum.Enum", "enum.StrEnum", "enum.IntEnum", "enum.Flag", "enum.IntFlag"}
)
_ENUM_ATTRIBUTES = frozenset({"value", "name"})
#: ``re.match(pattern, x)``/``PATTERN.fullmatch(x)``: ``x`` has the pattern's shape
_REGEX_CHECKS = frozenset({"match", "fullmatch"})


def is_value_position(before: str) -> bool:
    """Whether a part placed after ``before`` is an SQL value (bindable), not an identifier.

    Inside a quoted literal, after a comparison, ``LIKE``, ``BETWEEN … AND``, ``LIMIT``,
    ``OFFSET``, ``IN (`` or ``VALUES (``, and after a comma in such a list.
    """
    if before.count("'") % 2:
        return True
    if re.search(r"[:@$]\w*$", before):
        return False  # part of a bind parameter's name (``:pattern_{i}``)
    stripped = before.rstrip()
    if stripped.endswith(","):
        depth = 0
        for index in range(len(stripped) - 1, -1, -1):
            char = stripped[index]
            if char == ")":
                depth += 1
            elif char == "(":
                if depth == 0:
                    return bool(_LIST_OWNER.search(stripped[:index]))
                depth -= 1
        return False
    if stripped.endswith("(") and not _LIST_OWNER.search(stripped[:-1]):
        return False
    return bool(_VALUE_BEFORE.search(before) or _BETWEEN_AND.search(before))


def is_unbindable_statement(text: str) -> bool:
    """``SET``/``SHOW``/DDL…: identifiers and settings, where bound parameters are impossible."""
    match = _FIRST_WORD.match(text)
    return match is not None and match.group(1).lower() in _UNBINDABLE_STATEMENTS


@dataclass(frozen=True)
class Built:
    """A string expression: its literal text (non-constant parts as ``x``) and whether a
    non-constant part sits in a value position (``dynamic`` says how it got there)."""

    dynamic: str | None
    text: str


class _Strings:
    """Classifies string expressions at one point of the walk (one function, one position)."""

    def __init__(
        self,
        walker: Walker,
        literal_loops: set[str] | frozenset[str] = frozenset(),
        helper_roots: set[str] | frozenset[str] = frozenset(),
        validated: set[str] | frozenset[str] = frozenset(),
        enum_method: bool = False,
    ):
        self.facts = walker.facts
        self.function = walker.function
        self.walker = walker
        #: loop variables of ``for x in ("a", "b")`` / ``for x in CONSTANTS`` here
        self.literal_loops = literal_loops
        #: names of the object the SQL is executed on (``db`` in ``db.execute``): its
        #: attributes are dialect helpers (``{db.timestamp_now}``), not values
        self.helper_roots = helper_roots
        #: names checked against a regular expression around this point
        self.validated = validated
        #: the function is a method of an ``Enum``: ``self.value`` is one of its members
        self.enum_method = enum_method
        self.bindings = (
            self.facts.local_bindings.get(self.function, {}) if self.function is not None else {}
        )
        self.safe_parameters: set[str] = set()
        if self.function is not None:
            for arg in _parameters(self.function):
                annotation, _ = _unwrap(arg.annotation)
                if annotation is not None and walker.qualify(annotation) in _SAFE_TYPES:
                    self.safe_parameters.add(arg.arg)

    def build(
        self, node: ast.expr, before: tuple[int, int], prefix: str = "", depth: int = 0
    ) -> Built | None:
        """What the expression builds after ``prefix``, or None when it is not a known string."""
        if depth > _MAX_DEPTH:
            return None
        depth += 1
        if isinstance(node, ast.Constant):
            return Built(None, node.value) if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, before, prefix, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self._percent(node, before, prefix, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._concat(_flatten_add(node), before, prefix, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return self._method(node, before, prefix, depth)
        if isinstance(node, ast.Name):
            return self._name(node.id, before, prefix, depth)
        return None

    def _part(
        self, node: ast.expr, before: tuple[int, int], prefix: str, depth: int, how: str
    ) -> Built:
        """One interpolated or concatenated part, placed after ``prefix``."""
        built = self.build(node, before, prefix, depth)
        if built is not None:
            return built
        if self.constant(node, before, depth):
            return Built(None, _CONST)
        dynamic = is_value_position(prefix) and self.value_like(node, before, depth)
        return Built(how if dynamic else None, _HOLE)

    def value_like(self, node: ast.expr, before: tuple[int, int], depth: int) -> bool:
        """A part that may carry a caller's value: a name, attribute or subscript, also
        through ``str(x)``/``repr(x)``/``x.strip()``-style wrappers and a local name's
        last plain assignment. The result of any other call is not (an SQL fragment such
        as ``{db.timestamp_placeholder('now')}``, or a computed value: not followed)."""
        if depth > _MAX_DEPTH:
            return True
        depth += 1
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _TRIVIAL_WRAPPERS and node.args:
                return self.value_like(node.args[0], before, depth)
            if isinstance(func, ast.Attribute) and func.attr in _TRIVIAL_METHODS:
                return self.value_like(func.value, before, depth)
            return False
        if isinstance(node, ast.IfExp):
            return self.value_like(node.body, before, depth) or self.value_like(
                node.orelse, before, depth
            )
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            root = _root_name(node)
            return root is None or root not in self.helper_roots
        if isinstance(node, ast.Name):
            if node.id in self.validated:
                return False
            chain = self._chain(node.id, before)
            if chain is not None and len(chain) == 1 and _assigns_plainly(chain[0], node.id):
                value = chain[0].value  # type: ignore[attr-defined]
                return self.value_like(value, start_of(chain[0]), depth)
            return True
        if isinstance(node, ast.FormattedValue):
            return self.value_like(node.value, before, depth)
        return False

    def _fstring(
        self, node: ast.JoinedStr, before: tuple[int, int], prefix: str, depth: int
    ) -> Built:
        text, dynamic = "", None
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                piece = self._part(part.value, before, prefix + text, depth, "an f-string")
                dynamic = dynamic or piece.dynamic
                text += piece.text
            elif isinstance(part, ast.Constant):
                text += str(part.value)
        return Built(dynamic, text)

    def _percent(
        self, node: ast.BinOp, before: tuple[int, int], prefix: str, depth: int
    ) -> Built | None:
        left = self.build(node.left, before, prefix, depth)
        if left is None:
            return None
        right = node.right
        named: dict[str, ast.expr] = {}
        if isinstance(right, ast.Dict):
            named = {
                k.value: v
                for k, v in zip(right.keys, right.values)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
        dynamic, index = left.dynamic, 0
        for match in _PERCENT_FIELD.finditer(left.text):
            if match.group(0) == "%%":
                continue
            value: ast.expr | None = right  # a tuple-valued expression: every field
            if isinstance(right, ast.Tuple):
                if match.group(1) is None:
                    value = right.elts[index] if index < len(right.elts) else None
                    index += 1
                else:
                    value = None
            elif isinstance(right, ast.Dict) and match.group(1) in named:
                value = named[match.group(1)]
            if value is not None:
                where = prefix + left.text[: match.start()]
                piece = self._part(value, before, where, depth, "`%` formatting")
                dynamic = dynamic or piece.dynamic
        return Built(dynamic, _PERCENT_FIELD.sub(_HOLE, left.text))

    def _concat(
        self, parts: list[ast.expr], before: tuple[int, int], prefix: str, depth: int
    ) -> Built | None:
        text, dynamic, known = "", None, False
        for part in parts:
            built = self.build(part, before, prefix + text, depth)
            known = known or built is not None
            if built is None:
                built = self._part(part, before, prefix + text, depth, "`+` concatenation")
            dynamic = dynamic or built.dynamic
            text += built.text
        return Built(dynamic, text) if known else None

    def _method(
        self, node: ast.Call, before: tuple[int, int], prefix: str, depth: int
    ) -> Built | None:
        func = node.func
        assert isinstance(func, ast.Attribute)
        if func.attr == "join" and isinstance(func.value, ast.Constant):
            # ``" AND ".join(clauses)``: usually fragments with bound parameters
            return Built(None, _CONST)
        if func.attr != "format":
            return None
        template = self.build(func.value, before, prefix, depth)
        if template is None:
            return None
        if any(k.arg is None for k in node.keywords) or any(
            isinstance(a, ast.Starred) for a in node.args
        ):
            return Built(template.dynamic or "`.format()`", template.text)
        keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
        text, dynamic, auto = "", template.dynamic, 0
        try:
            fields = list(string.Formatter().parse(template.text))
        except ValueError:
            return Built(template.dynamic, template.text)
        for literal, field_name, _, _ in fields:
            text += literal
            if field_name is None:
                continue
            key = re.split(r"[.\[]", field_name, maxsplit=1)[0]
            value: ast.expr | None
            if key == "":
                value = node.args[auto] if auto < len(node.args) else None
                auto += 1
            elif key.isdigit():
                value = node.args[int(key)] if int(key) < len(node.args) else None
            else:
                value = keywords.get(key)
            if value is not None:
                piece = self._part(value, before, prefix + text, depth, "`.format()`")
                dynamic = dynamic or piece.dynamic
            text += _HOLE
        return Built(dynamic, text)

    def _chain(self, name: str, before: tuple[int, int]) -> list[ast.stmt] | None:
        """The last plain assignment of a local name before ``before``, and the ``+=`` after."""
        statements = [s for s in self.bindings.get(name, ()) if end_of(s) <= before]
        if not statements:
            return None
        start = 0
        for index, statement in enumerate(statements):
            if not isinstance(statement, ast.AugAssign):
                start = index
        return statements[start:]

    def _name(self, name: str, before: tuple[int, int], prefix: str, depth: int) -> Built | None:
        chain = self._chain(name, before)
        if chain is None:
            if name in self.facts.string_constants and not self.walker.is_parameter(name):
                return Built(None, self.facts.string_constants[name])
            return None
        current: Built | None = None
        for statement in chain:
            at = start_of(statement)
            if isinstance(statement, ast.AugAssign):
                current = self._augment(current, statement, at, prefix, depth)
            elif _assigns_plainly(statement, name):
                value = statement.value  # type: ignore[attr-defined]
                current = self.build(value, at, prefix, depth)
            else:
                return None
        return current

    def _augment(
        self,
        current: Built | None,
        statement: ast.AugAssign,
        at: tuple[int, int],
        prefix: str,
        depth: int,
    ) -> Built | None:
        if current is None:
            return None  # ``x += ...`` on a value of unknown type
        if isinstance(statement.op, ast.Add):
            piece = self._concat([statement.value], at, prefix + current.text, depth)
            if piece is None:
                piece = self._part(
                    statement.value, at, prefix + current.text, depth, "`+` concatenation"
                )
            return Built(current.dynamic or piece.dynamic, current.text + piece.text)
        if isinstance(statement.op, ast.Mod):
            fake = ast.BinOp(left=ast.Constant(current.text), op=ast.Mod(), right=statement.value)
            formatted = self._percent(fake, at, prefix, depth)
            if formatted is not None:
                return Built(current.dynamic or formatted.dynamic, formatted.text)
        return current

    def constant(self, node: ast.expr, before: tuple[int, int], depth: int) -> bool:
        """A part that cannot carry request data: literals, typed values, constants by
        convention."""
        if depth > _MAX_DEPTH:
            return False
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.operand, ast.Constant)
        if isinstance(node, ast.Attribute):
            if node.attr in _ENUM_ATTRIBUTES:
                owner = node.value
                # ``Color.RED.value``; ``self.value`` in a method of an Enum
                if isinstance(owner, ast.Attribute) and _CONSTANT_NAME.match(owner.attr):
                    return True
                if self.enum_method and isinstance(owner, ast.Name) and owner.id == "self":
                    return True
            return bool(_CONSTANT_NAME.match(node.attr)) or node.attr == "__tablename__"
        if isinstance(node, ast.Call):
            return self.walker.qualify(node.func) in _SAFE_CALLS
        if isinstance(node, ast.Name):
            if self.enum_method and node.id == "self":
                return True
            if node.id in self.safe_parameters and node.id not in self.bindings:
                return True
            if self.walker.is_parameter(node.id) and node.id not in self.bindings:
                return False
            chain = self._chain(node.id, before)
            if chain is None:
                return (
                    node.id in self.facts.string_constants
                    or node.id in self.literal_loops
                    or bool(_CONSTANT_NAME.match(node.id))
                )
            if len(chain) == 1 and _assigns_plainly(chain[0], node.id):
                value = chain[0].value  # type: ignore[attr-defined]
                if isinstance(value, (ast.Constant, ast.UnaryOp)):
                    return self.constant(value, start_of(chain[0]), depth + 1)
        built = self.build(node, before, "", depth)
        return built is not None and built.dynamic is None and _HOLE not in built.text


_PERCENT_FIELD = re.compile(r"%%|%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")


def _assigns_plainly(statement: ast.stmt, name: str) -> bool:
    targets = statement.targets if isinstance(statement, ast.Assign) else []
    if isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    return any(isinstance(t, ast.Name) and t.id == name for t in targets)


#: (from, to, names): where names passed a regular-expression check
_Span = tuple[tuple[int, int], tuple[int, int], set[str]]


def _root_name(node: ast.expr) -> str | None:
    """``a`` for ``a.b[c].d``; None when the chain starts with a call or a literal."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _receiver_roots(node: ast.expr) -> set[str]:
    """The names an ``x.execute`` receiver is built from: ``db``, ``self.db``, ``(conn or db)``."""
    if isinstance(node, ast.BoolOp):
        return {root for value in node.values for root in _receiver_roots(value)}
    root = _root_name(node)
    return {root} if root is not None else set()


def _regex_checked(test: ast.expr, walker: Walker) -> tuple[set[str], bool]:
    """Names a test checks against a regular expression, and whether the test is negated
    (``if not re.match(P, x): raise``)."""
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    call = test.operand if negated else test  # type: ignore[attr-defined]
    if isinstance(call, ast.Compare) and len(call.ops) == 1:
        if isinstance(call.ops[0], (ast.Is, ast.IsNot)) and _is_none(call.comparators[0]):
            negated = negated != isinstance(call.ops[0], ast.Is)
            call = call.left
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return set(), negated
    if call.func.attr not in _REGEX_CHECKS:
        return set(), negated
    qualname = walker.qualify(call.func) or ""
    index = 1 if qualname in ("re.match", "re.fullmatch") else 0
    subject = call.args[index] if len(call.args) > index else None
    return ({subject.id} if isinstance(subject, ast.Name) else set()), negated


def _flatten_add(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_flatten_add(node.left), *_flatten_add(node.right)]
    return [node]


def _sql_argument(call: ast.Call, keywords: tuple[str, ...]) -> ast.expr | None:
    if call.args:
        return call.args[0] if not isinstance(call.args[0], ast.Starred) else None
    return next((k.value for k in call.keywords if k.arg in keywords), None)


class SqlFromStrings(Rule):
    code = "FPR603"
    requires = (*EXECUTE_METHODS, *last_names(TEXT_FACTORIES))
    serving_code_only = True
    message = (
        "SQL built with {how}{where} passed to `{sink}`: put the values in bound "
        "parameters (`text(\"... WHERE id = :id\")` executed with a params dict) instead"
    )
    summary = (
        "Flags an f-string, `%` formatting, `.format()` or `+` concatenation that puts a "
        "non-constant value where SQL expects a value (in quotes, after a comparison, "
        "`LIKE`, `IN (`, `VALUES (`, `LIMIT`…) and is passed to `sqlalchemy.text()`, "
        "`.execute()`, `.executemany()`, `.exec_driver_sql()` or a DB-API "
        "`cursor.execute()`, directly or through a local variable built earlier in the same "
        "function (also with `+=`)."
    )
    rationale = (
        "Values formatted into SQL text are SQL injection: a path or query parameter "
        "such as `1 OR 1=1` or `'; DROP TABLE users; --` becomes part of the statement. "
        "Validation by the type annotation does not help for strings, and quoting by "
        "hand misses edge cases. Bound parameters are sent separately from the "
        "statement and are never parsed as SQL."
    )
    use_instead = '''\
from sqlalchemy import text

@app.get("/users")
def find_users(name: str, db: Session = Depends(get_db)):
    stmt = text("SELECT id, name FROM users WHERE name = :name")
    return db.execute(stmt, {"name": name}).all()
'''
    flags = (
        '''\
from sqlalchemy import text

@app.get("/users/{user_id}")
def read_user(user_id: str, db: Session = Depends(get_db)):
    return db.execute(text(f"SELECT * FROM users WHERE id = {user_id}")).first()
''',
        '''\
import sqlalchemy as sa

async def search(session, name: str):
    query = "SELECT * FROM items WHERE 1 = 1"
    if name:
        query += " AND name = '" + name + "'"
    return await session.execute(sa.text(query))
''',
        '''\
def delete_order(cursor, order_id):
    cursor.execute("DELETE FROM orders WHERE id = %s" % order_id)
''',
        '''\
def export(conn, owner):
    sql = "SELECT * FROM items WHERE owner IN ({}) LIMIT 10".format(owner)
    return conn.exec_driver_sql(sql).all()
''',
    )
    passes = (
        '''\
from sqlalchemy import text

def read_user(db, user_id: int):
    return db.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user_id}).first()
''',
        '''\
def delete_order(cursor, order_id):
    cursor.execute("DELETE FROM orders WHERE id = %s", (order_id,))
''',
        '''\
from sqlalchemy import text

def count(db, table):
    return db.execute(text(f"SELECT count(*) FROM {table}")).scalar()
''',
        '''\
from sqlalchemy import text

async def set_timeout(session, timeout_ms: int, zone):
    await session.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
    await session.execute(text(f"SET LOCAL TIME ZONE '{zone.key}'"))
''',
        '''\
from sqlalchemy import select

async def items(session, name):
    return await session.execute(select(Item).where(Item.name == name))
''',
        '''\
def run(job_runner, name):
    job_runner.execute(f"job = '{name}'")
''',
        '''\
async def purge(db, now):
    await db.execute(
        f"DELETE FROM audit WHERE delete_at < {db.timestamp_placeholder('now')}", {"now": now}
    )
    await db.execute(f"DELETE FROM audit WHERE delete_at < {db.timestamp_now}")
''',
        '''\
import re
from enum import Enum
from sqlalchemy import text

class Interval(str, Enum):
    DAY = "day"

    def sql(self):
        return text(f"'1 {self.value}'::interval")

def timestamp(expr: str):
    if re.match(DATETIME_LITERAL, expr):
        return text(f"'{expr}'")
''',
    )
    limitations = (
        "Only non-constant parts in value positions are flagged: inside a quoted literal, "
        "after `=`/`<`/`>`, `LIKE`, `BETWEEN … AND`, `IN (`, `VALUES (`, `LIMIT`, `OFFSET`, "
        "`IS`, and after a comma inside `IN (…)`/`VALUES (…)`. "
        "Identifiers (`FROM {table}`, `ORDER BY {column}`), clause fragments "
        "(`WHERE {conditions}`) and bind-parameter names (`:p_{i}`) are not flagged, even "
        "when they come from the request; nor are statements starting with `SET`, `SHOW`, "
        "`DESC`, DDL (`CREATE`/`DROP`/`ALTER`/`TRUNCATE`/`GRANT`…) or `PRAGMA`, where "
        "bound parameters are impossible. Constant parts are literals, module-level names "
        "bound once to a string literal, `UPPER_CASE` names and attributes, `__tablename__`, "
        "parameters annotated `int`/`float`/`bool`/`UUID`/`Decimal`/`datetime`, `int(...)`/"
        "`float(...)`/`len(...)`, and the variable of a `for` loop over a literal or an "
        "`UPPER_CASE` constant; `\"sep\".join(...)` is trusted (it usually joins fragments "
        "with bound parameters). Local variables are followed through their last plain "
        "assignment before the call and the `+=` after it, in the same function only. "
        "`.execute()`/`.executemany()` are only checked when the literal parts contain an "
        "SQL keyword. Only names, attributes and subscripts are values (also through "
        "`str(x)`/`repr(x)`/`x.strip()`-style wrappers and a local's last assignment): "
        "the result of any other call is taken for an SQL fragment or a computed value "
        "and not flagged (`{db.timestamp_placeholder('now')}`), nor are attributes of the "
        "object the SQL is executed on (`db.execute(f\"... < {db.timestamp_now}\")`), "
        "`self`/`self.value`/`self.name` in a method of an `Enum` subclass, `X.MEMBER.value`/"
        "`.name`, and a name inside `if re.match(P, name):`/`fullmatch` (or after `if not "
        "re.match(P, name): raise`). An imported enum passed as a parameter is not "
        "recognised. A `text()` that is one quoted value with a cast "
        "(`text(f\"'{ws_id}'::uuid\")`, a column's `server_default`) is not flagged. "
        "Not checked: test modules and `conftest.py` (`--fpr-test-files`), "
        "modules under a `tests/` or `test/` folder, and Alembic migrations (modules that "
        "import `alembic`). Other drivers' methods (asyncpg `fetch`, `databases.fetch_all`) "
        "are not sinks."
    )
    visits = (ast.Call, ast.For, ast.AsyncFor, ast.If, ast.ClassDef)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._literal_loops: dict[Function | None, set[str]] = {}
        self._found: list[tuple[ast.expr, str, str, str]] = []
        #: methods defined directly in an ``Enum`` subclass
        self._enum_methods: set[Function] = set()
        #: function -> (from, to, names): spans where names passed a regex check
        self._validated: dict[Function | None, list[_Span]] = {}

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self._loop(node, walker)
            return
        if isinstance(node, ast.ClassDef):
            self._enum_class(node, walker)
            return
        if isinstance(node, ast.If):
            self._regex_guard(node, walker)
            return
        assert isinstance(node, ast.Call)
        func = node.func
        roots: set[str] = set()
        if isinstance(func, ast.Attribute) and func.attr in EXECUTE_METHODS:
            sink = f".{func.attr}()"
            argument = _sql_argument(node, EXECUTE_METHODS[func.attr])
            needs_sql_words = func.attr in _GENERIC_METHODS
            roots = _receiver_roots(func.value)
        elif walker.qualify(func) in TEXT_FACTORIES:
            sink = "text()"
            argument = _sql_argument(node, ("text",))
            needs_sql_words = False
        else:
            return
        if argument is None:
            return
        function = walker.function
        loops = self._literal_loops.get(function, set())
        at = start_of(node)
        validated = {
            name
            for start, end, names in self._validated.get(function, ())
            if start <= at and end_of(node) <= end
            for name in names
        }
        strings = _Strings(walker, loops, roots, validated, function in self._enum_methods)
        built = strings.build(argument, at)
        if built is None or built.dynamic is None or is_unbindable_statement(built.text):
            return
        if needs_sql_words and not _SQL_WORDS.search(built.text):
            return
        if sink == "text()" and _LONE_LITERAL.match(built.text):
            return  # ``text(f"'{value}'::uuid")``: a DDL default, not a statement
        where = f" (in `{argument.id}`)" if isinstance(argument, ast.Name) else ""
        self._found.append((argument, built.dynamic, where, sink))

    def _enum_class(self, node: ast.ClassDef, walker: Walker) -> None:
        if any(
            walker.qualify(base) in _ENUM_BASES or (base_name(base) or "").endswith("Enum")
            for base in node.bases
        ):
            self._enum_methods.update(s for s in node.body if isinstance(s, _FUNCTIONS))

    def _regex_guard(self, node: ast.If, walker: Walker) -> None:
        """``if re.match(P, x): <here>`` and ``if not re.match(P, x): raise`` ``<after>``."""
        names, negated = _regex_checked(node.test, walker)
        if not names:
            return
        spans = self._validated.setdefault(walker.function, [])
        if not negated and node.body:
            spans.append((start_of(node.body[0]), end_of(node.body[-1]), names))
        elif negated and node.body and isinstance(node.body[-1], (ast.Raise, ast.Return)):
            spans.append((end_of(node), (10**9, 0), names))

    def _loop(self, node: ast.For | ast.AsyncFor, walker: Walker) -> None:
        """``for x in ("a", "b")`` or ``for x in TABLES``: ``x`` is a constant."""
        iterated = node.iter
        literal = isinstance(iterated, (ast.Tuple, ast.List, ast.Set)) and all(
            isinstance(e, ast.Constant) for e in iterated.elts
        )
        named = isinstance(iterated, ast.Name) and bool(_CONSTANT_NAME.match(iterated.id))
        if isinstance(node.target, ast.Name) and (literal or named):
            self._literal_loops.setdefault(walker.function, set()).add(node.target.id)

    def finish(self, facts: ModuleFacts) -> None:
        if "alembic" in facts.imports.modules:
            return
        for argument, how, where, sink in self._found:
            self.report(argument, how=how, where=where, sink=sink)


# --- FPR604 -------------------------------------------------------------------------

#: flagged exception -> the names an ``except`` or exception handler catches it by
RAISED_BUILTINS: dict[str, frozenset[str]] = {
    "builtins.ValueError": frozenset({"ValueError", "Exception", "BaseException"}),
    "builtins.KeyError": frozenset({"KeyError", "LookupError", "Exception", "BaseException"}),
    "builtins.TypeError": frozenset({"TypeError", "Exception", "BaseException"}),
    "builtins.Exception": frozenset({"Exception", "BaseException"}),
}
_CATCH_ALL = "*"
#: ``try: ... except* E:`` (Python 3.11+)
_TRY_STAR: type[ast.AST] = getattr(ast, "TryStar", ast.Try)


class BuiltinErrorInPathOperation(Rule):
    code = "FPR604"
    requires = last_names(RAISED_BUILTINS)
    message = (
        "`raise {exception}` in a path operation becomes a 500 Internal Server Error: "
        "raise `HTTPException(status_code=4xx, detail=...)` or register an exception "
        "handler for it"
    )
    summary = (
        "Flags `raise ValueError/KeyError/TypeError/Exception` written directly in the "
        "body of a path operation, unless a `try` around it in the same function catches "
        "it, the project registers an exception handler for it (in this module or "
        "another), or lists it in `--fpr-handled-exceptions`."
    )
    rationale = (
        "FastAPI turns only `HTTPException` (and exceptions with a registered handler) "
        "into error responses. Any other exception escapes to the server: the client "
        "gets `500 Internal Server Error` with no detail instead of the 400/404/422 that "
        "describes its mistake, monitoring counts a server fault, and retries hammer an "
        "endpoint that will never succeed."
    )
    use_instead = '''\
@app.get("/items/{item_id}")
def read_item(item_id: str):
    if item_id not in items:
        raise HTTPException(status_code=404, detail="Item not found")
    return items[item_id]
'''
    flags = (
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.get("/items/{item_id}")
def read_item(item_id: str):
    if item_id not in items:
        raise KeyError(item_id)
    return items[item_id]
''',
        '''\
from fastapi import APIRouter
router = APIRouter()

@router.post("/orders")
async def create_order(order: Order):
    if order.quantity <= 0:
        raise ValueError("quantity must be positive")
''',
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.delete("/users/{user_id}")
def delete_user(user_id: int):
    try:
        users.remove(user_id)
    except LookupError as exc:
        raise Exception("no such user") from exc
''',
    )
    passes = (
        '''\
from fastapi import FastAPI, HTTPException
app = FastAPI()

@app.get("/items/{item_id}")
def read_item(item_id: str):
    if item_id not in items:
        raise HTTPException(status_code=404, detail="Item not found")
''',
        '''\
from fastapi import FastAPI
app = FastAPI()

def parse(value):
    raise ValueError(value)

@app.get("/parse")
def parse_endpoint(value: str):
    try:
        return parse(value)
    except ValueError:
        raise
''',
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.post("/orders")
def create_order(order: Order):
    def check():
        raise ValueError("bad")
    check()
''',
        '''\
from fastapi import FastAPI, HTTPException
app = FastAPI()

@app.post("/orders")
def create_order(order: Order):
    try:
        if order.quantity <= 0:
            raise ValueError("quantity must be positive")
    except ValueError as exc:
        raise HTTPException(400, str(exc))
''',
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.exception_handler(ValueError)
async def value_error(request, exc):
    return JSONResponse({"detail": str(exc)}, status_code=400)

@app.get("/items")
def read_items(limit: int):
    if limit > 100:
        raise ValueError("limit too large")
''',
        '''\
from fastapi import APIRouter
router = APIRouter()

@router.get("/error")
def error_check():
    """Fails on purpose so that error reporting can be checked."""
    raise Exception("expected error")
''',
    )
    limitations = (
        "Not flagged: a path operation whose whole body is the `raise` (an endpoint that "
        "exists to test error reporting). "
        "Only the four built-in exceptions, raised in the path operation's own body "
        "(helpers it calls are not followed, and custom exception classes are assumed to "
        "have a handler). A handler for the exception or a base class silences the rule "
        "when it is registered (`@app.exception_handler(E)`, `add_exception_handler(E, "
        "…)`, `exception_handlers={E: …}`) in the same module or in any other module of "
        "the project: when a module has a finding to report, the plugin parses, once per "
        "run, the project's files that mention `exception_handler` (the project is the "
        "nearest folder above the file with `pyproject.toml`, `setup.cfg`, `setup.py`, "
        "`tox.ini`, `.flake8` or `.git`; test files, `tests/` folders and hidden or "
        "virtual-environment folders are left out). It cannot tell which app a handler "
        "belongs to, and registrations it cannot read (a loop over a list of exception "
        "classes) are not seen: list those exceptions in the flake8 option "
        "`--fpr-handled-exceptions` (`fpr-handled-exceptions = ValueError` in the "
        "config; listing `Exception` covers all four)."
    )
    visits = (ast.Raise, ast.Try, _TRY_STAR, ast.Call)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._tries: dict[Function, list[tuple[ast.AST, frozenset[str]]]] = {}
        self._raises: list[tuple[ast.Raise, str, Function]] = []
        self._handled: set[str] = set(_handled_exceptions)

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, ast.Call):
            self._registration(node, walker)
            return
        function = walker.function
        if function is None or function not in walker.facts.path_operations:
            return
        if isinstance(node, (ast.Try, _TRY_STAR)):
            if node.body:
                body = ast.Pass()
                ast.copy_location(body, node.body[0])
                body.end_lineno, body.end_col_offset = end_of(node.body[-1])
                caught = frozenset(self._caught(node, walker))
                self._tries.setdefault(function, []).append((body, caught))
            return
        assert isinstance(node, ast.Raise)
        if node.exc is None:
            return
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        qualname = walker.qualify(target)
        if qualname not in RAISED_BUILTINS:
            return
        names = RAISED_BUILTINS[qualname]
        for body, caught in self._tries.get(function, ()):
            if contains(body, node) and (_CATCH_ALL in caught or caught & names):
                return
        self._raises.append((node, qualname, function))

    def _caught(self, node: ast.Try, walker: Walker) -> set[str]:
        caught: set[str] = set()
        for handler in node.handlers:
            if handler.type is None:
                caught.add(_CATCH_ALL)
                continue
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            for exception in types:
                caught.add(_builtin_name(walker.qualify(exception)))
        return caught

    def _registration(self, node: ast.Call, walker: Walker) -> None:
        for exception in project.registered_exceptions(node):
            self._handled.add(_builtin_name(walker.qualify(exception)))

    def finish(self, facts: ModuleFacts) -> None:
        candidates = [
            (node, qualname)
            for node, qualname, function in self._raises
            if not RAISED_BUILTINS[qualname] & self._handled and not _only_raises(function)
        ]
        if candidates:
            self._handled |= project.handled_exceptions(self.filename)
        for node, qualname in candidates:
            if not RAISED_BUILTINS[qualname] & self._handled:
                self.report(node, exception=qualname.rsplit(".", 1)[1])


#: exception names the project maps to responses elsewhere (``--fpr-handled-exceptions``)
_handled_exceptions: frozenset[str] = frozenset()


def configure_handled_exceptions(names: list[str] | tuple[str, ...] | None) -> frozenset[str]:
    """Set the exceptions FPR604 treats as handled (``builtins.ValueError`` -> ``ValueError``)."""
    global _handled_exceptions
    _handled_exceptions = frozenset(
        name.strip().rsplit(".", 1)[-1] for name in names or () if name.strip()
    )
    return _handled_exceptions


def _only_raises(function: Function) -> bool:
    """``GET /error``: an endpoint whose whole body (after a docstring) is one ``raise``,
    there to test error reporting."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return len(body) == 1 and isinstance(body[0], ast.Raise)


def _builtin_name(qualname: str | None) -> str:
    """``builtins.ValueError`` -> ``ValueError``; anything else is no built-in we track."""
    if qualname and qualname.startswith("builtins."):
        return qualname.split(".", 1)[1]
    return ""


RULES: tuple[type[Rule], ...] = (
    PatchOverwritesUnsetFields,
    UnboundedUploadRead,
    SqlFromStrings,
    BuiltinErrorInPathOperation,
)
