"""Rule-specific findings in a TypeScript file, read from its tree on demand (and kept per file).

``raw_lambdas``: ``new aws.lambda.Function(...)`` from ``@pulumi/aws`` (any import alias), for
SST101. ``vpc_subnets``: ``vpc: { subnets }`` in an SST function's arguments or set by
``$transform(sst.aws.Function, …)``, for SST401.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .positions import Range
from .ts_syntax import line_indent, node_text, prop_name, string_lit, walk
from .typescript import TsFile


@dataclass
class RawLambda:
    """``new aws.lambda.Function(...)`` from @pulumi/aws (SST101)."""

    file: Path
    range: Range
    ctor_range: Range
    name_text: str
    runtime: str | None
    handler: str | None
    archive_dir: str | None
    python_evidence: str | None
    indent: str


@dataclass
class VpcSubnets:
    """``vpc: { subnets }`` in Function arguments (SST401)."""

    file: Path
    key_range: Range
    where: str
    shorthand: bool = False  # `{ subnets }`: the fix must keep the value


def raw_lambdas(tf: TsFile) -> list[RawLambda]:
    ex = tf.extractor
    return tf.nodewise("raw_lambdas", "new_expression", lambda node: _raw_lambdas_at(ex, node))


def _raw_lambdas_at(ex, node) -> list[RawLambda]:
    ctor = node.child_by_field_name("constructor")
    if ctor is None:
        return []
    parts = node_text(ctor, ex.src).replace(" ", "").split(".")
    if len(parts) == 3 and parts[0] in ex.aws_aliases and parts[1] == "lambda" and parts[2] == "Function":
        found = _raw_lambda(ex, node, ctor)
        return [found] if found is not None else []
    return []


def _raw_lambda(ex, node, ctor) -> RawLambda | None:
    args = node.child_by_field_name("arguments")
    if args is None or len(args.named_children) < 2:
        return None
    name_node, obj = args.named_children[0], ex.resolve(args.named_children[1])
    if obj is None or obj.type != "object":
        return None
    runtime = handler = archive = evidence = None
    for child in obj.named_children:
        if child.type != "pair":
            continue
        key = prop_name(child.child_by_field_name("key"), ex.src)
        value = ex.resolve(child.child_by_field_name("value"))
        if value is None:
            continue
        vtext = node_text(value, ex.src)
        if key == "runtime":
            lit = string_lit(value, ex.src, ex.index)
            if lit is not None and lit.value.startswith("python"):
                runtime, evidence = lit.value, f'runtime "{lit.value}"'
            m = re.search(r"Runtime\.Python(\d)d(\d+)$", vtext.replace(" ", ""))
            if m:
                runtime, evidence = f"python{m.group(1)}.{m.group(2)}", vtext
        elif key == "handler":
            lit = string_lit(value, ex.src, ex.index)
            handler = lit.value if lit else None
        elif key == "code" and value.type == "new_expression":
            cargs = value.child_by_field_name("arguments")
            if cargs is not None and cargs.named_children:
                lit = string_lit(ex.resolve(cargs.named_children[0]), ex.src, ex.index)
                if lit is not None:
                    archive = lit.value
    return RawLambda(
        ex.path,
        ex.index.range_of_node(node),
        ex.index.range_of_node(ctor),
        node_text(name_node, ex.src),
        runtime,
        handler,
        archive,
        evidence,
        line_indent(ex.index, ex.index.range_of_node(node).start.line),
    )


def vpc_subnets(tf: TsFile) -> list[VpcSubnets]:
    return tf.derive("vpc_subnets", lambda: _vpc_subnets(tf))


def _vpc_subnets(tf: TsFile) -> list[VpcSubnets]:
    out: list[VpcSubnets] = []
    for fd in tf.functions:
        vpc = fd.pairs.get("vpc")
        for key, p in vpc.object_pairs if vpc is not None and vpc.file is None else ():
            if key == "subnets" and p.file is None:
                out.append(VpcSubnets(tf.path, p.key_range, fd.kind, p.key_range == p.value_range))
    ex = tf.extractor
    out.extend(tf.nodewise("vpc_subnets", "call_expression", lambda node: _transform_subnets(tf.path, ex, node)))
    return out


def _transform_subnets(path: Path, ex, node) -> list[VpcSubnets]:
    """``$transform(sst.aws.Function, …)`` setting ``args.vpc = { subnets }``."""
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if fn is None or args is None or node_text(fn, ex.src) != "$transform" or len(args.named_children) < 2:
        return []
    if node_text(args.named_children[0], ex.src).replace(" ", "") != "sst.aws.Function":
        return []
    out = []
    for n in walk(args.named_children[1]):
        if n.type not in ("assignment_expression", "augmented_assignment_expression"):
            continue
        left, right = n.child_by_field_name("left"), ex.resolve(n.child_by_field_name("right"))
        if left is None or right is None or node_text(left, ex.src).replace(" ", "") != "args.vpc" or right.type != "object":
            continue
        for child in right.named_children:
            key_node = child.child_by_field_name("key") if child.type == "pair" else (child if child.type == "shorthand_property_identifier" else None)
            if key_node is not None and prop_name(key_node, ex.src) == "subnets":
                out.append(VpcSubnets(path, ex.index.range_of_node(key_node), "$transform(sst.aws.Function)", child.type == "shorthand_property_identifier"))
    return out
