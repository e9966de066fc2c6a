"""Handler strings made live: hover, go to definition, document links and completion.

Pure engine code (no lsprotocol): positions are ``positions.Position`` / ``Range`` in UTF-16
units, paths are absolute ``Path``s. ``features/navigation.py`` converts to the protocol.

A handler is found under a position either where it is used (``handler_range``: the string, or
the identifier of a ``const``/shorthand) or in the literal it comes from (``handler_lit``: the
string inside a same-file ``const``). Completion works on half-typed handlers too: whether the
cursor is inside a handler string is decided from the TypeScript tree, not from the handlers
the project model already knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import ts_syntax, typescript
from .era import Era
from .handler_imports import describe, handler_imports
from .positions import LineIndex, Position, Range, utf16_len
from .project import ERA_C_FALLBACK_DIRS, HandlerTarget, Project, PythonFunction
from .typescript import FunctionDef
from .zip_layout import deployed_file, zip_path

HANDLER_KEYS = frozenset({"handler"}) | typescript.STRING_HANDLER_KEYS


# -- finding the handler under a position ---------------------------------------------------


def _contains(r: Range, pos: Position) -> bool:
    return r.start <= pos <= r.end


def _functions_in(project: Project, path: Path) -> list[FunctionDef]:
    tf = project.ts_file(Path(path))
    return tf.functions if tf is not None else []


def _python_function(project: Project, fd: FunctionDef) -> PythonFunction | None:
    try:
        pfs = project.python_functions
    except Exception:  # pragma: no cover - a broken model must not break hover
        return None
    return next((pf for pf in pfs if pf.fd is fd), None)


def _target_of(project: Project, fd: FunctionDef) -> tuple[PythonFunction | FunctionDef, HandlerTarget]:
    pf = _python_function(project, fd)
    if pf is not None:
        return pf, pf.target
    return fd, project.resolve_handler(fd.handler or "")


def handler_hit(project: Project, path: Path, pos: Position) -> tuple[PythonFunction | FunctionDef, HandlerTarget, Range] | None:
    """Like ``handler_at``, plus the range under the cursor (the usage or the const literal)."""
    fds = [fd for fd in _functions_in(project, path) if fd.handler is not None]
    for fd in fds:
        if _contains(fd.handler_range, pos):
            return (*_target_of(project, fd), fd.handler_range)
    for fd in fds:
        lit = fd.handler_lit
        if lit is not None and _contains(lit.range, pos):
            return (*_target_of(project, fd), lit.range)
    return None


def handler_at(project: Project, path: Path, pos: Position) -> tuple[PythonFunction | FunctionDef, HandlerTarget] | None:
    """The function whose handler string (or the identifier naming it) is under ``pos``."""
    hit = handler_hit(project, path, pos)
    return (hit[0], hit[1]) if hit is not None else None


def _fd(f: PythonFunction | FunctionDef) -> FunctionDef:
    return f.fd if isinstance(f, PythonFunction) else f


# -- hover ----------------------------------------------------------------------------------


def _lambda_handler(project: Project, fd: FunctionDef, target: HandlerTarget) -> tuple[str, str]:
    """(handler Lambda will be given, how we know) in the detected era."""

    written = f"{target.file_part}.{target.function}"
    era = project.era
    if fd.has_bundle:
        return written, "as written, relative to the `bundle` folder (`bundle` is set: SST skips the uv build)"
    if era == Era.B:
        deployed = f"{deployed_file(target.file_part)[:-3]}.{target.function}"
        if deployed != written:
            return deployed, "SST 3.9.3–4.12 collapses a `X/src/X/` run of folders to `X/`"
        return deployed, "as written (SST 3.9.3–4.12 rewrites only `X/src/X/` runs, none here)"
    if era == Era.C:
        if target.via_fallback:
            return f"{target.via_fallback}/{written}", f"as written, found under the `{target.via_fallback}/` fallback folder (SST 4.13+)"
        return written, "as written (SST 4.13+ copies the handler's source subtree with its path)"
    if era == Era.A:
        return written, "as written (SST 3.0.126–3.9.2; the path inside the zip is not predicted)"
    return written, "as written (SST version unknown)"


def hover_markdown(project: Project, fn: PythonFunction | FunctionDef, target: HandlerTarget) -> str:
    """Markdown describing where a handler goes: file, function, Lambda handler, project, era."""

    fd = _fd(fn)
    lines: list[str] = [f"**SST handler** `{target.text}` ({fd.kind})", ""]
    facts: list[str] = []
    binding = None
    if target.outside:
        facts.append("⚠ The file is outside the project root: SST fails the build.")
    elif target.py_path is not None:
        where = f"`{project.rel(target.py_path)}`"
        if target.via_fallback:
            where += f" (found under the `{target.via_fallback}/` fallback folder)"
        facts.append(f"Python file: {where}")
        module = project.python_module(target.py_path)
        if module is not None and module.syntax_error:
            facts.append(f"⚠ The file does not parse: {module.syntax_error}")
        elif module is not None:
            binding = module.bindings.get(target.function)
            if binding is None:
                facts.append(f"⚠ No top-level `{target.function}` in this file: Lambda fails with `Runtime.HandlerNotFound`.")
            elif binding.kind not in ("function", "class"):
                facts.append(f"Function: `{target.function}` is bound by {'an import' if binding.kind == 'import' else 'an assignment'} (line {binding.line + 1})")
    elif target.other_language is not None:
        facts.append(f"Resolves to `{project.rel(target.other_language)}`: not a Python handler.")
    elif target.file_part:
        facts.append(f"⚠ File not found: `{target.file_part}.py` (relative to `{project.rel(project.config)}`'s folder)")
        if target.dotted:
            cands = project.dotted_candidates(target)
            facts.append("A handler is a file path, not a dotted module path" + (f": did you mean `{cands[0]}.{target.function}`?" if cands else "."))
    else:
        facts.append("⚠ A handler is written `{path}/{file}.{function}`.")

    if target.file_part and not target.outside and target.other_language is None:
        handler, why = _lambda_handler(project, fd, target)
        module_name = handler.rpartition(".")[0].replace("/", ".")
        facts.append(f"Lambda handler: `{handler}` — {why}; Lambda imports module `{module_name}`")

    pp = None
    if isinstance(fn, PythonFunction) and fn.project is not None:
        pp = fn.project
    elif target.py_path is not None:
        pp = project.handler_project(target.py_path)
    if pp is not None and target.py_path is not None:
        rel_dir = project.rel(pp.dir)
        name = pp.name or "(no [project].name)"
        member = ""
        if project.workspace_table is not None:
            member = ", a workspace member" if project.is_member(pp.dir) else ", not a member of the root workspace"
        facts.append(f"Project: `{name}` in " + ("the app root" if rel_dir == "." else f"`{rel_dir}/`") + member)
        if project.era == Era.B and pp.name and not fd.has_bundle:
            rel_file = target.py_path.relative_to(pp.dir).as_posix()
            in_zip = zip_path(rel_file, pp.name)

            note = "" if in_zip == deployed_file(target.file_part) else " ⚠ not where Lambda will look (SST106)"
            facts.append(f"In the zip: `{in_zip}`{note}")
    facts.append(project.era_info.describe())
    lines.extend(f"- {f}" for f in facts)
    if isinstance(fn, PythonFunction):
        lines += import_lines(project, fn)

    if binding is not None and binding.kind in ("function", "class"):
        lines += ["", "```python", binding.signature or binding.name, "```"]
        if binding.docstring:
            lines += ["", binding.docstring.strip()]
    return "\n".join(lines)


def import_lines(project: Project, pf: PythonFunction) -> list[str]:
    """The hover's section on what the handler's code imports and where the artifact gets it."""
    try:
        hi = handler_imports(project, pf)
    except Exception:  # pragma: no cover - a broken analysis must not break hover
        return []
    if hi is None or not hi.needs:
        return []
    return ["", "**Imports** (what the artifact must provide):", *(f"- {line}" for line in describe(project, hi))]


def hover(project: Project, path: Path, pos: Position) -> tuple[str, Range] | None:
    hit = handler_hit(project, path, pos)
    if hit is None:
        return None
    fn, target, rng = hit
    return hover_markdown(project, fn, target), rng


# -- definition and links -------------------------------------------------------------------


def _function_location(project: Project, target: HandlerTarget) -> tuple[Path, int, int] | None:
    if target.py_path is None:
        return None
    module = project.python_module(target.py_path)
    binding = module.bindings.get(target.function) if module is not None else None
    if binding is None:
        return target.py_path, 0, 0
    return target.py_path, binding.line, _utf16_column(project, target.py_path, binding.line, binding.column)


def _utf16_column(project: Project, path: Path, line: int, column: int) -> int:
    """``ast`` columns count UTF-8 bytes; the LSP counts UTF-16 code units."""
    return LineIndex.of(project.fs.read_text(path) or "").position_of_point((line, column)).character


def definition(project: Project, path: Path, pos: Position) -> tuple[Path, int, int] | None:
    """(python file, line, UTF-16 column) of the handler's function under ``pos``; the file start when it is missing."""
    hit = handler_at(project, path, pos)
    if hit is None:
        return None
    return _function_location(project, hit[1])


def document_links(project: Project, path: Path) -> list[tuple[Range, Path, int]]:
    """(string range, python file, 0-based line of the function) for every resolvable handler literal."""
    out: list[tuple[Range, Path, int]] = []
    seen: set[Range] = set()
    for fd in _functions_in(project, path):
        if fd.handler is None or fd.handler_lit is None:
            continue
        rng = fd.handler_lit.range
        if rng in seen:
            continue
        _, target = _target_of(project, fd)
        loc = _function_location(project, target)
        if loc is None:
            continue
        seen.add(rng)
        out.append((rng, loc[0], loc[1]))
    return out


# -- completion -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # "folder", "file", "function", "variable"
    detail: str
    insert_text: str
    range: Range  # the text the item replaces (the typed segment)
    retrigger: bool = False  # ask the editor to complete again after inserting (folders, files)
    sort_text: str = ""


@dataclass(frozen=True)
class StringContext:
    prefix: str  # the string's text before the cursor
    start: Position  # where the string's contents start


_UNTERMINATED = re.compile(r"""(?:\b(?:handler|function|job|subscriber)\s*:\s*|\b(?:const|let|var)\s+\w*[Hh]andler\w*\s*=\s*)(["'`])([^"'`]*)$""")


def _string_node_at(tf: typescript.TsFile, pos: Position):
    tree = tf.tree
    if tree is None:
        return None
    point = tf.index.point_of_position(pos)
    node = tree.root_node.descendant_for_point_range(point, point)
    for _ in range(3):
        if node is None:
            return None
        if node.type in ("string", "template_string"):
            return node
        node = node.parent
    return None


def _is_handler_string(node, src: bytes) -> bool:
    child = node
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression", "satisfies_expression"):
        child, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type == "pair":
        key = parent.child_by_field_name("key")
        value = parent.child_by_field_name("value")
        return value is not None and value.id == child.id and key is not None and ts_syntax.prop_name(key, src) in HANDLER_KEYS
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        if name is None or name.type != "identifier":
            return False
        ident = ts_syntax.node_text(name, src)
        return "handler" in ident.lower() or _used_as_handler(parent, ident, src)
    if parent.type == "arguments":
        call = parent.parent
        if call is None or call.type != "call_expression":
            return False
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return False
        prop = fn.child_by_field_name("property")
        if prop is None or ts_syntax.node_text(prop, src) not in typescript.SUBSCRIBE_METHODS:
            return False
        args = [a for a in parent.named_children if a.type != "comment"]
        value = ts_syntax.node_text(node, src)[1:]
        if " " in value or value.startswith(("/", "$")):
            return False  # a route key ("GET /", "$default") or a URL path
        if args and args[0].id == child.id and len(args) >= 2:
            second = args[1]
            if second.type in ("string", "template_string", "identifier"):
                return False  # subscribe(name, handler) / route(key, handler)
            if second.type == "object" and any(
                c.type in ("pair", "shorthand_property_identifier")
                and ts_syntax.prop_name(c.child_by_field_name("key") if c.type == "pair" else c, src) == "handler"
                for c in second.named_children
            ):
                return False  # subscribe(name, { handler })
        return True
    return False


def _used_as_handler(declarator, ident: str, src: bytes) -> bool:
    """Is ``const <ident> = "…"`` used as a handler value (``{ handler: ident }`` / ``{ handler }``) in the file?"""
    root = declarator
    while root.parent is not None:
        root = root.parent
    for n in ts_syntax.walk(root):
        if n.type == "pair":
            key = n.child_by_field_name("key")
            value = n.child_by_field_name("value")
            if key is not None and value is not None and value.type == "identifier" and ts_syntax.node_text(value, src) == ident:
                if ts_syntax.prop_name(key, src) in HANDLER_KEYS:
                    return True
        elif n.type == "shorthand_property_identifier" and ts_syntax.node_text(n, src) == ident and ident in HANDLER_KEYS:
            return True
    return False


def handler_string_context(project: Project, path: Path, pos: Position) -> StringContext | None:
    """Where the cursor is inside a (possibly half-typed) handler string, decided from the TS tree."""
    tf = project.ts_file(Path(path))
    if tf is None:
        return None
    node = _string_node_at(tf, pos)
    if node is not None:
        full = tf.index.range_of_node(node)
        inner_start = Position(full.start.line, full.start.character + 1)
        has_close = node.end_byte - node.start_byte >= 2 and tf.src[node.end_byte - 1:node.end_byte] == tf.src[node.start_byte:node.start_byte + 1]
        inner_end = Position(full.end.line, full.end.character - 1) if has_close else full.end
        if not (inner_start <= pos <= inner_end):
            return None
        if not _is_handler_string(node, tf.src):
            return None
        start_off = tf.index.offset_of_position(inner_start)
        prefix = tf.text[start_off:tf.index.offset_of_position(pos)]
        return StringContext(prefix, inner_start)
    # an unterminated string leaves an ERROR node: read the line before the cursor instead
    before = tf.index.line_text(pos.line)
    offset_in_line = tf.index.offset_of_position(pos) - tf.index.offset_of_position(Position(pos.line, 0))
    m = _UNTERMINATED.search(before[:offset_in_line])
    if m is None:
        return None
    prefix = m.group(2)
    return StringContext(prefix, Position(pos.line, pos.character - utf16_len(prefix)))


def completions(project: Project, path: Path, pos: Position, text_before_cursor_in_string: str | None = None) -> list[Completion]:
    """Completion items inside a handler string: folders and ``.py`` files, then function names."""
    ctx = handler_string_context(project, path, pos)
    if ctx is None:
        return []
    prefix = ctx.prefix if text_before_cursor_in_string is None else text_before_cursor_in_string
    if "\n" in prefix or any(c.isspace() for c in prefix):
        return []
    body = prefix[2:] if prefix.startswith("./") else prefix
    functions = _function_completions(project, body, pos)
    if functions is not None:
        return functions
    return _path_completions(project, body, pos)


def _segment_range(pos: Position, segment: str) -> Range:
    return Range(Position(pos.line, pos.character - utf16_len(segment)), pos)


def _resolve_py(project: Project, file_part: str) -> Path | None:
    if not file_part or file_part.startswith("/") or ".." in PurePosixPath(file_part).parts:
        return None
    folders = [""] + ([d + "/" for d in ERA_C_FALLBACK_DIRS] if project.era == Era.C else [])
    for folder in folders:
        cand = project.root / (folder + file_part + ".py")
        if project.fs.is_file(cand):
            return cand
    return None


def _function_completions(project: Project, body: str, pos: Position) -> list[Completion] | None:
    file_part, dot, partial = body.rpartition(".")
    if not dot or "/" in partial:
        return None
    py = _resolve_py(project, file_part)
    if py is None:
        return None
    module = project.python_module(py)
    if module is None:
        return []
    rng = _segment_range(pos, partial)
    rel = project.rel(py)
    out = []
    for b in sorted(module.bindings.values(), key=lambda b: b.line):
        if b.kind == "function":
            kind, detail = "function", f"{b.signature}  — {rel}:{b.line + 1}"
        elif b.kind == "assignment" or (b.kind == "import" and "handler" in b.name.lower()):
            kind, detail = "variable", f"{b.name} ({b.kind}) — {rel}:{b.line + 1}"
        else:
            continue
        if b.name.startswith("_") and not partial.startswith("_"):
            continue
        if not b.name.lower().startswith(partial.lower()):
            continue
        sort = ("0" if "handler" in b.name.lower() or b.kind == "function" else "1") + b.name
        out.append(Completion(b.name, kind, detail, b.name, rng, False, sort))
    return out


def _path_completions(project: Project, body: str, pos: Position) -> list[Completion]:
    dir_part, slash, partial = body.rpartition("/")
    base = dir_part + "/" if slash else ""
    rng = _segment_range(pos, partial)
    folders: dict[str, int] = {}
    files: list[str] = []
    for rel in project.python_file_index:
        if not rel.startswith(base) or rel.startswith("../"):
            continue
        rest = rel[len(base):]
        head, sep, _ = rest.partition("/")
        if sep:
            folders[head] = folders.get(head, 0) + 1
        elif head.endswith(".py"):
            files.append(head[:-3])
    out: list[Completion] = []
    low = partial.lower()
    for name in sorted(folders):
        if name.lower().startswith(low):
            n = folders[name]
            out.append(Completion(name + "/", "folder", f"folder {base}{name}/ ({n} Python file{'s' if n != 1 else ''})", name + "/", rng, True, "0" + name))
    for name in sorted(set(files)):
        if name.lower().startswith(low):
            out.append(Completion(name, "file", f"{base}{name}.py", name + ".", rng, True, ("2" if name.startswith("_") else "1") + name))
    return out
