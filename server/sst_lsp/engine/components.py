"""SST components other than functions, as written in a TypeScript file: ``new sst.aws.Cron(...)`` etc.

``typescript.analyse`` extracts what SST builds as functions; rules about a component's own
arguments (``Cron`` ``job``, ``Cluster`` ``vpc.serviceSubnets``, ``Task`` ``publicIp``) need the
arguments object of the component itself. This module walks ``TsFile.tree`` for those
constructor calls and resolves their arguments with the helpers of ``typescript`` (same-file
``const`` names and object spreads are followed), so rules again see plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .positions import Range
from .typescript import Extractor, Pair, TsFile
from .ts_syntax import node_text, string_lit, unwrap

# constructors whose arguments some rule inspects: sst.aws.<name>
COMPONENT_NAMES = frozenset({"Cron", "CronV2", "Cluster", "Task"})


@dataclass
class Component:
    """``new sst.aws.<kind>(name, { ... })``: the component and its resolved arguments."""

    kind: str  # "Cron", "Cluster", "Task", …
    name: str  # the component name as written: a string literal's value, else the expression text
    ctor_range: Range  # `sst.aws.Cron`
    range: Range  # the whole `new …(…)` expression
    pairs: dict[str, Pair] = field(default_factory=dict)  # the arguments object, spreads resolved
    object_range: Range | None = None


def _aliases_of_sst(ex: Extractor) -> set[str]:
    """Names that stand for ``sst.aws`` in this file: ``sst.aws`` itself and ``const aws = sst.aws``."""
    out = {"sst.aws"}
    for name, value in ex.consts.items():
        if value is not None and value.type == "member_expression" and node_text(value, ex.src).replace(" ", "") == "sst.aws":
            out.add(name)
    return out


def components(tf: TsFile) -> list[Component]:
    """Every ``new sst.aws.<X>(…)`` of ``COMPONENT_NAMES`` in the file (computed once per TsFile)."""
    ex = tf.extractor
    prefixes = _aliases_of_sst(ex)
    return tf.nodewise("components", "new_expression", lambda node: _component(ex, prefixes, node))


def _component(ex: Extractor, prefixes: set[str], node) -> list[Component]:
    ctor = node.child_by_field_name("constructor")
    if ctor is None:
        return []
    text = node_text(ctor, ex.src).replace(" ", "").replace("\n", "")
    prefix, _, kind = text.rpartition(".")
    if prefix not in prefixes or kind not in COMPONENT_NAMES:
        return []
    args = node.child_by_field_name("arguments")
    children = args.named_children if args is not None else []
    name = ""
    if children:
        lit = string_lit(unwrap(children[0]), ex.src, ex.index)
        name = lit.value if lit is not None else node_text(children[0], ex.src)
    comp = Component(kind, name, ex.index.range_of_node(ctor), ex.index.range_of_node(node))
    if len(children) >= 2:
        obj = ex.resolve(children[1])
        if obj is not None and obj.type == "object":
            comp.pairs = ex._pairs(obj)
            comp.object_range = ex.index.range_of_node(obj)
    return [comp]


# -- python: { container } in function arguments --------------------------------------------


@dataclass(frozen=True)
class ContainerOption:
    """``python: { container: … }`` of one function: the pair and what its value says."""

    pair: Pair  # the `container` pair
    enabled: bool  # `true` or an object (any object is truthy for SST)
    cache: Pair | None  # `cache` inside `container: { cache }`, when written
    file: Path | None = None  # where `python` is written, when not in the function's own file


def container_option(pairs: dict[str, Pair]) -> ContainerOption | None:
    """The ``python.container`` setting of function arguments, or None when absent or not known to be on."""
    python = pairs.get("python")
    if python is None or not python.object_pairs:
        return None
    container = dict(python.object_pairs).get("container")
    if container is None:
        return None
    inner = dict(container.object_pairs)
    is_object = bool(inner) or container.value_text.lstrip().startswith("{")
    enabled = is_object or container.value_text.strip() == "true"
    return ContainerOption(container, enabled, inner.get("cache"), python.file)
