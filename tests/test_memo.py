"""The memo that keeps results across an editor session's analyses (``engine/memo.py``): what an
edit recomputes, and what it must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from sst_lsp.engine.documents import OpenDocument
from sst_lsp.engine.memo import SWEEP_DROPS, SWEEP_SHARES, Memo
from sst_lsp.engine.positions import LineIndex, Range
from sst_lsp.session import EditorSession

A, B = Path("/app/a.toml"), Path("/app/b.toml")


class Texts:
    """Open documents as the memo's computations read them (``FileSystem.read_text`` does this)."""

    def __init__(self, memo: Memo, **texts):
        self.memo = memo
        self.texts = {Path(f"/app/{k}.toml"): v for k, v in texts.items()}
        memo.advance(self.texts)

    def read(self, path: Path) -> str:
        self.memo.read(path)
        return self.texts[path]

    def edit(self, **texts) -> set:
        self.texts.update({Path(f"/app/{k}.toml"): v for k, v in texts.items()})
        return self.memo.advance(self.texts)


def counted(memo: Memo, key, compute, runs: list, **kw):
    def run():
        runs.append(key)
        return compute()

    return memo.fetch(key, run, **kw)


def test_a_value_is_recomputed_only_when_a_document_it_read_changed():
    memo = Memo()
    docs = Texts(memo, a="1", b="2")
    runs: list = []
    value = lambda: counted(memo, "a", lambda: docs.read(A) + "!", runs, reexec=True)  # noqa: E731
    assert value() == "1!" and runs == ["a"]
    assert docs.edit(b="3") == {B}
    assert value() == "1!" and runs == ["a"]  # b.toml is none of its business
    docs.edit(a="4")
    assert value() == "4!" and runs == ["a", "a"]


def test_a_dependant_stays_when_what_it_asked_for_is_recomputed_to_the_same_value():
    memo = Memo()
    docs = Texts(memo, a="name = x\nversion = 1")
    runs: list = []
    name = lambda: counted(memo, "name", lambda: docs.read(A).split("\n")[0], runs, reexec=True)  # noqa: E731
    greeting = lambda: counted(memo, "greeting", lambda: "hello " + name(), runs)  # noqa: E731
    assert greeting() == "hello name = x"
    docs.edit(a="name = x\nversion = 2")  # typing in another line of the file
    assert greeting() == "hello name = x"
    assert runs == ["greeting", "name", "name"]  # the name was read again, and found unchanged
    docs.edit(a="name = y\nversion = 2")
    assert greeting() == "hello name = y" and runs[-2:] == ["name", "greeting"]


def test_a_dependency_that_cannot_rerun_alone_makes_its_dependant_rerun():
    memo = Memo()
    docs = Texts(memo, a="1")
    runs: list = []
    inner = lambda: counted(memo, "inner", lambda: docs.read(A), runs)  # noqa: E731  (reexec=False)
    outer = lambda: counted(memo, "outer", lambda: inner() + "+", runs)  # noqa: E731
    assert outer() == "1+"
    docs.edit(a="2")
    assert outer() == "2+" and runs == ["outer", "inner", "outer", "inner"]


def test_only_what_marked_a_value_is_checked():
    memo = Memo()
    docs = Texts(memo, a="1", b="2")
    runs: list = []
    parts = {p: (lambda p=p: counted(memo, ("part", p), lambda p=p: docs.read(p) != "", runs, reexec=True)) for p in (A, B)}
    whole = lambda: counted(memo, "whole", lambda: all(f() for f in parts.values()), runs)  # noqa: E731
    assert whole() is True
    runs.clear()
    docs.edit(a="11")
    assert whole() is True and runs == [("part", A)]  # b's part was not even looked at
    assert memo.nodes[("part", B)].verified < memo.rev


def test_unused_values_are_dropped_but_not_those_a_kept_value_depends_on():
    memo = Memo()
    Texts(memo)
    memo.fetch("leaf", lambda: 1, transient=True)
    memo.fetch("root", lambda: memo.fetch("leaf", lambda: 1, transient=True) + 1, transient=True)
    memo.fetch("alone", lambda: 3, transient=True)
    for _ in range(3):  # analyses that ask for root only
        memo.advance({})
        assert memo.fetch("root", lambda: 0, transient=True) == 2  # current: leaf is not even looked at
    memo.sweep()  # (the server sweeps when the user pauses)
    assert "alone" not in memo.nodes
    assert "leaf" in memo.nodes  # root depends on it
    for _ in range(3):  # analyses that ask for nothing
        memo.advance({})
    memo.sweep()
    memo.sweep()
    assert not memo.nodes  # root, then leaf


def test_without_a_pause_each_analysis_sweeps_a_share():
    memo = Memo()
    Texts(memo)
    for i in range(3000):
        memo.fetch(("unused", i), lambda: 0, transient=True)
    for _ in range(3):  # old enough to go from now on
        memo.advance({})
    remaining = len(memo.nodes)
    memo.advance({})
    assert 0 < remaining - len(memo.nodes) <= max(256, 3000 // SWEEP_SHARES)  # a share, not all
    dropped = []
    for _ in range(SWEEP_SHARES + 3000 // SWEEP_DROPS):
        before = len(memo.nodes)
        memo.advance({})
        dropped.append(before - len(memo.nodes))
    assert not memo.nodes
    assert max(dropped) <= SWEEP_DROPS  # nothing computed since: each share drops its least


def test_a_sweep_under_way_keeps_no_replaced_value_alive():
    import gc
    import weakref

    class Value:
        pass

    memo = Memo()
    docs = Texts(memo, a="1")
    for i in range(1000):  # more than one share looks at
        memo.fetch(("other", i), Value, transient=True)
    made: list = []

    def compute():
        docs.read(A)
        made.append(Value())
        return made[-1]

    memo.fetch(("v",), compute, reexec=True)
    first = weakref.ref(made.pop())
    docs.edit(a="2")  # an analysis: a walk begins, a share of it is swept
    memo.fetch(("v",), compute, reexec=True)  # the value is made again: the first one goes
    gc.collect()
    assert memo._unswept is not None and first() is None


def test_without_tracking_it_is_a_plain_cache():
    memo = Memo(tracking=False)
    runs: list = []
    assert counted(memo, "k", lambda: 1, runs) == 1 and counted(memo, "k", lambda: 2, runs) == 1
    assert runs == ["k"] and memo.nodes["k"].deps == ()


def _member_workspace(root: Path, members: int) -> Path:
    (root / "pyproject.toml").parent.mkdir(parents=True, exist_ok=True)
    names = [f"m{i}" for i in range(members)]
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n\n[tool.uv.workspace]\nmembers = ['
        + ", ".join(f'"{n}"' for n in names)
        + "]\n",
        encoding="utf-8",
    )
    (root / "package.json").write_text('{"devDependencies": {"sst": "3.17.0"}}\n', encoding="utf-8")
    functions = []
    for n in names:
        pkg = root / n / "src" / n
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("", encoding="utf-8")
        (pkg / "api.py").write_text("def handler(event, context):\n    return {}\n", encoding="utf-8")
        (root / n / "pyproject.toml").write_text(
            f'[project]\nname = "{n}"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = []\n\n'
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
            encoding="utf-8",
        )
        functions.append(f'    new sst.aws.Function("{n}", {{ handler: "{n}/src/{n}/api.handler", runtime: "python3.12" }});')
    (root / "sst.config.ts").write_text(
        'export default $config({\n  app() { return { name: "app", home: "aws" }; },\n  async run() {\n' + "\n".join(functions) + "\n  },\n});\n",
        encoding="utf-8",
    )
    return root


def test_a_member_pyproject_edit_recomputes_that_member_only(tmp_path):
    """Typing in one member's pyproject.toml of a 30-member workspace recomputes a bounded number
    of values (that member's), however many members there are; each result equals a fresh one."""
    from test_incremental_differential import _fresh, _key

    app = _member_workspace(tmp_path / "app", 30)
    member = app / "m7" / "pyproject.toml"
    session = EditorSession(workspace_root=app)
    doc = OpenDocument(member, member.read_text(encoding="utf-8"), 1)
    session.docs[member] = doc
    session.analyse(app)
    memo = session._last_projects[app][1].memo
    recomputed = []
    for old, new in (('version = "0.1.0"', 'version = "0.1.01"'), ('version = "0.1.01"', 'version = "0.1.0"'), ('name = "m7"', 'name = "m1"')):
        before = memo.recomputed
        offset = doc.text.index(old)
        index = LineIndex(doc.text)
        doc.apply_changes([(Range(index.position_of_offset(offset), index.position_of_offset(offset + len(old))), new)], doc.version + 1)
        incremental = _key(session.analyse(app).current)
        assert incremental == _fresh(app, {member: doc})
        recomputed.append(memo.recomputed - before)
    assert max(recomputed[:2]) <= 40, recomputed  # about one member's share of each rule, not 30 members'
    assert any(v[1] == "SST205" for v in incremental)  # the rename made two members "m1": reported


def test_looks_between_analyses_keep_what_the_analyses_kept(tmp_path):
    """Hovers and completions build a project to look at: however many, the next analysis
    recomputes nothing (they neither start a revision nor sweep)."""
    app = _member_workspace(tmp_path / "app", 3)
    session = EditorSession(workspace_root=app)
    member = app / "m1" / "pyproject.toml"
    session.docs[member] = OpenDocument(member, member.read_text(encoding="utf-8"), 1)
    session.analyse(app)
    session.analyse(app)
    memo = session._last_projects[app][1].memo
    before, rev = memo.recomputed, memo.rev
    for _ in range(40):
        session.make_project(app, analysis=False)
    assert memo.rev == rev
    session.analyse(app)
    assert memo.recomputed == before


def test_a_function_that_stops_being_python_after_a_member_edit_loses_its_findings(tmp_path):
    """Found by the long differential run: the dotted handler "billing_service.src.…" is read as a
    Python function because the member billing/ is named billing_service. Renaming that member
    in the root pyproject.toml makes it no function of ours (no SST104); undoing brings it back."""
    from helpers import BROKEN_APP, copy_app
    from test_incremental_differential import _fresh, _key

    app = copy_app(BROKEN_APP, tmp_path / "app")
    api = app / "infra" / "api.ts"
    text = api.read_text(encoding="utf-8")
    refunds = text.index('"billing_service.src.billing_service.handlers.refunds.handler"')
    runtime = text.index('  runtime: "python3.11",\n', refunds)
    api.write_text(text[:runtime] + text[runtime + len('  runtime: "python3.11",\n'):], encoding="utf-8")  # Python only by the guess
    root = app / "pyproject.toml"
    session = EditorSession(workspace_root=app)
    doc = OpenDocument(root, root.read_text(encoding="utf-8"), 1)
    session.docs[root] = doc
    first = _key(session.analyse(app).current)
    assert any(v[1] == "SST104" and "billing_service" in v[-1] for v in first)
    for old, new in (('"billing"', '"bixlling"'), ('"bixlling"', '"billing"')):
        offset = doc.text.index(old)
        index = LineIndex(doc.text)
        doc.apply_changes([(Range(index.position_of_offset(offset), index.position_of_offset(offset + len(old))), new)], doc.version + 1)
        incremental = _key(session.analyse(app).current)
        assert incremental == _fresh(app, {root: doc})
        assert any(v[1] == "SST104" and "billing_service" in v[-1] for v in incremental) == (new == '"billing"')


def _member_of(docs: Texts, runs: list):
    """A group member's computation: ``name`` (its first letter names the document it reads)."""

    def member(name):
        def compute():
            runs.append(name)
            return docs.read({"a": A, "b": B}[name[0]]) + name

        return compute

    return member


def _totals(memo: Memo, member, runs: list):
    """A value kept per list of names (as a rule's result is kept per set of facts) that reads one
    group of ``member``'s values, whatever the names."""

    def total(names):
        compute = lambda: "|".join(memo.fetch_all(("group",), [("m", n) for n in names], lambda i: member(names[i])))  # noqa: E731
        return counted(memo, ("total", tuple(names)), compute, runs)

    return total


def test_a_group_fetches_only_the_keys_an_edit_changed_or_marked():
    """``fetch_all``: many values asked for as one. The next call computes only the keys new at
    their place and those whose documents changed; the caller depends on the group, and is
    recomputed when a member's value changes (and only then)."""
    memo = Memo()
    docs = Texts(memo, a="1", b="2")
    runs: list = []
    member = _member_of(docs, runs)  # "a1" reads a.toml, "b1" reads b.toml …

    total = _totals(memo, member, runs)

    assert total(["a1", "b1", "a2"]) == "1a1|2b1|1a2"
    assert runs == [("total", ("a1", "b1", "a2")), "a1", "b1", "a2"]
    runs.clear()
    docs.edit(b="3")  # only b1 read b.toml
    assert total(["a1", "b1", "a2"]) == "1a1|3b1|1a2"
    assert runs == ["b1", ("total", ("a1", "b1", "a2"))]
    runs.clear()
    docs.edit(b="3 ")  # then again, to a value that makes no difference to a2's group mates
    docs.edit(b="3")
    assert total(["a1", "b1", "a2"]) == "1a1|3b1|1a2"
    assert runs == ["b1"]  # recomputed to the value it had: the caller stands
    runs.clear()
    assert total(["a1", "b2", "a2"]) == "1a1|3b2|1a2"  # one key new at its place
    assert runs == [("total", ("a1", "b2", "a2")), "b2"]
    runs.clear()
    assert total(["a1", "b2"]) == "1a1|3b2"  # shorter: nothing new to compute
    assert runs == [("total", ("a1", "b2"))]


def _prefixed_group(memo: Memo, docs: Texts, runs: list):
    """A group of ``_member_of``'s members under the prefix ("rule", "X"), asked for by name."""
    member = _member_of(docs, runs)

    def group(names):
        return memo.fetch_all(("group",), names, lambda i: member(names[i]), prefix=("rule", "X"))

    return group


def test_a_group_whose_keys_came_or_went_in_one_place_keeps_the_others():
    """Keys inserted or taken away in the middle (a project that loses its last handler leaves a
    rule's groups): the keys before and after keep their values without a look; only the new ones
    are computed, and the group still follows every key it holds."""
    memo = Memo()
    docs = Texts(memo, a="1", b="2")
    runs: list = []
    group = _prefixed_group(memo, docs, runs)

    assert group(["a1", "b1", "a2", "b2"]) == ["1a1", "2b1", "1a2", "2b2"]
    runs.clear()
    assert group(["a1", "a2", "b2"]) == ["1a1", "1a2", "2b2"]  # b1 went
    assert runs == []
    assert group(["a1", "b3", "b4", "a2", "b2"]) == ["1a1", "2b3", "2b4", "1a2", "2b2"]  # two came in its place
    assert runs == ["b3", "b4"]
    runs.clear()
    assert group(["a1", "a2", "b2"]) == ["1a1", "1a2", "2b2"]
    docs.edit(b="5")  # b3 and b4 left the group: only b2 is asked again
    assert group(["a1", "a2", "b2"]) == ["1a1", "1a2", "5b2"]
    assert runs == ["b2"]


def test_a_result_kept_for_other_keys_is_checked_again_once_its_group_changed_keys():
    """A rule's result is kept per set of facts and reads one group whose keys follow the facts:
    after A -> B -> A (a handler's path typed, then taken back) with an edit meanwhile of what only
    A's keys read, A's kept result is not current (the group no longer held those keys when the
    edit came, so only the change of keys can mark it)."""
    memo = Memo()
    docs = Texts(memo, a="1", b="2")
    runs: list = []
    member = _member_of(docs, runs)

    total = _totals(memo, member, runs)

    assert total(["a1", "b1"]) == "1a1|2b1"
    docs.edit()  # (each an analysis of its own)
    assert total(["b2", "b1"]) == "2b2|2b1"  # the group holds b.toml's members only now
    docs.edit(a="3")
    assert total(["a1", "b1"]) == "3a1|2b1"


def test_a_result_kept_for_keys_dropped_two_changes_ago_is_checked_again():
    """A -> B -> C, each changing one key, C dropping a key that A and B both held; an edit of what
    only that key read; then A again: its kept result is not current."""
    memo = Memo()
    docs = Texts(memo, a="1", b="2", c="3")
    runs: list = []
    paths = {"a": A, "b": B, "c": Path("/app/c.toml")}

    def member(name):
        return lambda: docs.read(paths[name[0]]) + name

    total = _totals(memo, member, runs)

    assert total(["a1", "b1"]) == "1a1|2b1"
    docs.edit()  # (each an analysis of its own)
    assert total(["a1", "c1"]) == "1a1|3c1"
    docs.edit()
    assert total(["c2", "c1"]) == "3c2|3c1"  # a1 leaves the group
    docs.edit(a="4")
    assert total(["a1", "b1"]) == "4a1|2b1"


def test_a_group_answers_as_its_members_would_whatever_the_keys_and_edits():
    """Random lists of keys (places kept, keys repeated, inserted, taken away, moved) and edits of the
    documents they read: every answer is each member's own value, the group depends on exactly the
    keys it holds, and no empty set of dependants is left behind."""
    import random

    rnd = random.Random(7)
    for _ in range(300):
        memo = Memo()
        docs = Texts(memo, a="1", b="2")
        member = _member_of(docs, [])
        names = [rnd.choice("ab") + str(rnd.randint(0, 5)) for _ in range(rnd.randint(0, 8))]
        for _ in range(12):
            roll = rnd.random()
            if roll < 0.3:
                docs.edit(**{rnd.choice("ab"): str(rnd.randint(0, 3))})
            elif roll < 0.5 and names:
                at = rnd.randrange(len(names))
                del names[at : at + rnd.randint(1, 2)]
            elif roll < 0.7:
                at = rnd.randint(0, len(names))
                names[at:at] = [rnd.choice("ab") + str(rnd.randint(0, 5)) for _ in range(rnd.randint(1, 2))]
            elif roll < 0.85 and names:
                names[rnd.randrange(len(names))] = rnd.choice("ab") + str(rnd.randint(0, 5))
            else:
                rnd.shuffle(names)
            keys = list(names)
            found = memo.fetch_all(("group",), keys, lambda i, keys=keys: member(keys[i]), prefix=("rule", "X"))
            assert found == [docs.texts[{"a": A, "b": B}[k[0]]] + k for k in keys]
            held = {k for k, gs in memo.rdeps.items() if ("group",) in gs}
            assert held == {(("rule", "X"), k) for k in keys}
            assert all(memo.rdeps.values())  # no empty set left behind


def test_a_group_under_a_prefix_keeps_its_values_under_it_and_follows_a_key_held_at_two_places():
    """``fetch_all(..., prefix=p)``: ``keys[i]``'s value is kept under ``(p, keys[i])``, so that rules
    share one list of keys. A key at two places that leaves one of them still marks the group."""
    memo = Memo()
    docs = Texts(memo, a="1", b="2")
    runs: list = []
    group = _prefixed_group(memo, docs, runs)

    assert group(["a", "b", "a"]) == ["1a", "2b", "1a"]
    assert runs == ["a", "b"] and memo.peek(("rule", "X", "a")) is None and memo.peek((("rule", "X"), "a")) == "1a"
    runs.clear()
    assert group(["a", "b", "b"]) == ["1a", "2b", "2b"]  # "a" left its second place, not its first
    assert runs == []
    docs.edit(a="3")
    assert group(["a", "b", "b"]) == ["3a", "2b", "2b"]  # the group still depends on "a"
    assert runs == ["a"]
    runs.clear()
    keys = ["a", "b"]
    assert group(keys) == ["3a", "2b"]
    docs.edit(b="4")
    assert group(keys) == ["3a", "4b"]  # the very same list: answered at once only while nothing is marked
    assert runs == ["b"]


def test_a_group_member_made_by_a_rerun_that_found_nothing_is_made_again():
    memo = Memo()
    docs = Texts(memo, a="1")
    gone = object()
    state = {"there": True}

    def compute():
        return docs.read(A) if state["there"] else gone

    assert memo.fetch_all(("g",), [("k",)], lambda i: compute, gone) == ["1"]
    state["there"] = False
    docs.edit(a="2")
    assert memo.fetch(("k",), compute, reexec=True) is gone  # a rerun, as another dependant's check makes it
    state["there"] = True
    assert memo.fetch_all(("g",), [("k",)], lambda i: compute, gone) == ["2"]


@pytest.mark.parametrize("first, second", [("h1", "h2"), ("h2", "h1")])
def test_a_hub_found_unchanged_leaves_its_many_dependants_unmarked(monkeypatch, first, second):
    """One document changed: a disk-model value with many dependants is rerun while the edit is
    applied. When its value stands, its dependants are not even marked; when it changed, they are
    recomputed, also when another hub reran it first (both orders: the keys swap their names)."""
    from sst_lsp.engine import memo as memo_module

    monkeypatch.setattr(memo_module, "HUB_DEPENDANTS", 3)
    memo = Memo()
    docs = Texts(memo, a="names = x y\nversion = 1")
    runs: list = []
    names = lambda: counted(memo, ("derive", first), lambda: docs.read(A).split("\n")[0], runs, reexec=True)  # noqa: E731
    # a second hub that reads the first (and the document)
    pair = lambda: counted(memo, ("derive", second), lambda: (names(), docs.read(A).split("\n")[-1][:7]), runs, reexec=True)  # noqa: E731
    parts = [lambda i=i: counted(memo, ("part", i), lambda i=i: f"{i}: {names()}", runs, reexec=True) for i in range(4)]
    parts += [lambda i=i: counted(memo, ("part", i), lambda: f"{i}: {pair()[0]}", runs, reexec=True) for i in range(4, 8)]
    assert [p() for p in parts][0] == "0: names = x y"
    runs.clear()
    docs.edit(a="names = x y\nversion = 2")  # the names stand
    assert all(memo.nodes[("part", i)].dirty < memo.rev for i in range(8))  # not even marked
    assert [p() for p in parts][7] == "7: names = x y"
    assert sorted(runs) == sorted([("derive", first), ("derive", second)])
    runs.clear()
    docs.edit(a="names = x y z\nversion = 2")  # they changed: every part reads them
    assert [p() for p in parts] == [f"{i}: names = x y z" for i in range(8)]
    assert sorted(k[1] for k in runs if k[0] == "part") == list(range(8))


@pytest.mark.parametrize("first, second", [("h1", "h2"), ("h2", "h1")])
def test_a_value_read_while_a_hub_settled_is_checked_again_when_a_mark_reaches_it(monkeypatch, first, second):
    """A hub that settles first reads a value whose input, another hub, is not marked through yet:
    that value was checked too early, and is checked again when the mark reaches it."""
    from sst_lsp.engine import memo as memo_module

    monkeypatch.setattr(memo_module, "HUB_DEPENDANTS", 3)
    memo = Memo()
    docs = Texts(memo, a="1\n1")
    runs: list = []
    top = lambda: counted(memo, ("derive", first), lambda: docs.read(A).split("\n")[0], runs, reexec=True)  # noqa: E731
    middle = lambda: counted(memo, ("derive", "middle"), lambda: "m" + top(), runs, reexec=True)  # noqa: E731
    other = lambda: counted(memo, ("derive", second), lambda: middle() + "+" + docs.read(A).split("\n")[1], runs, reexec=True)  # noqa: E731
    reads_top = [lambda i=i: counted(memo, ("top-reader", i), lambda i=i: f"{i}{top()}", runs, reexec=True) for i in range(3)]
    reads_other = [lambda i=i: counted(memo, ("other-reader", i), lambda i=i: f"{i}{other()}", runs, reexec=True) for i in range(3)]
    assert [f() for f in reads_top + reads_other] == ["01", "11", "21", "0m1+1", "1m1+1", "2m1+1"]
    docs.edit(a="2\n1")
    assert [f() for f in reads_top + reads_other] == ["02", "12", "22", "0m2+1", "1m2+1", "2m2+1"]
