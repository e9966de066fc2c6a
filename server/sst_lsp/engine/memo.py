"""Results that outlive one analysis, each invalidated by exactly the edits it depends on.

An editor session analyses an app again after every change. Between two analyses that share a
disk model (no file event, the same documents open) the only inputs that can change are the
texts of open documents. A ``Memo`` remembers, for every value it computed:

- the open documents whose text the computation read (``FileSystem.read_text`` reports them),
- the other memoised values it asked for.

``advance`` starts an analysis: it learns which texts changed and marks every value that could
depend on them, following the recorded dependencies backwards. A value nobody marked is reused
without looking. A marked one checks its dependencies, recomputing those that can be recomputed,
and is reused when none of them changed value (a member's ``pyproject.toml`` edit recomputes the
workspace's member list, finds it equal, and every function that asked only for that list keeps
its results).

Values computed by a closure that may hold an analysis's own objects cannot be recomputed on
their own (``reexec=False``): a dependant of such a value that changed is recomputed instead.

Without ``tracking`` (a one-off ``check``) it is a plain cache: nothing is recorded.
"""

from __future__ import annotations

from itertools import compress, count, islice
from operator import is_ as _is
from operator import ne

__all__ = ["KeptTuple", "Memo", "new_serial", "serial_of"]


SWEEP_SHARES = 32  # analyses over which one walk of every value is spread when no pause comes
SWEEP_DROPS = 32  # the fewest values a share may drop (``_sweep_some``)
HUB_DEPENDANTS = 64  # a value with this many dependants is settled before they are marked (``_mark``)
HUB_KINDS = ("derive", "prop", "pyproject")  # values of the disk model alone: rerunning them early reads nothing stale


new_serial = count(1).__next__  # numbers that stand for objects in memo keys, never given twice


def serial_of(obj) -> int:
    """A number that stands for ``obj`` in memo keys: given once, never to another object, and
    kept on the object itself (an int is hashed and compared in C, a wrapper calls Python on every
    look-up). ``obj`` needs a ``__dict__`` (a ``KeptTuple`` for a tuple); a copy of its ``__dict__``
    gets a number of its own."""
    found = obj.__dict__.get("_memo_serial")
    if found is None or found[0] != id(obj):
        found = obj.__dict__["_memo_serial"] = (id(obj), new_serial())
    return found[1]


class KeptTuple(tuple):
    """A tuple that can carry its ``serial_of``."""


class _Node:
    __slots__ = ("value", "deps", "reads", "verified", "changed", "dirty", "suspects", "compute", "used", "transient")

    def __init__(self, value, deps, reads, rev, changed, compute, transient):
        self.value = value
        self.deps = deps  # keys of the memoised values it asked for
        self.reads = reads  # paths of the open documents whose text it read
        self.verified = rev  # the analysis it was last known to be current in
        self.changed = changed  # the analysis its value last changed in
        self.dirty = 0  # the last analysis that marked it (an input it depends on changed)
        self.suspects: list = []  # what marked it since it was last current: the only inputs to check
        self.compute = compute  # None: cannot be recomputed by itself
        self.used = rev
        self.transient = transient  # dropped when two analyses pass without asking for it and nothing kept depends on it


class Memo:
    def __init__(self, tracking: bool = True):
        self.tracking = tracking
        self.rev = 1
        self.nodes: dict = {}
        self.texts: dict = {}  # open document path -> its text at the last ``advance``
        self.text_changed: dict = {}  # path -> analysis its text last changed in
        self.rdeps: dict = {}  # key, or ("text", path) -> keys of the values that depend on it
        self._frames: list = []  # (keys, paths) being recorded, innermost last
        self.recomputed = 0  # values computed (a counter for tests and profiles)
        self._unswept = None  # the keys the sweep has still to look at (``_sweep_some``)
        self._swept_at = 0  # ``recomputed`` at the last share

    # -- one analysis after another ---------------------------------------------------------
    def advance(self, texts: dict, analysis: bool = True) -> set:
        """Start an analysis in which the open documents say ``texts``; returns the changed paths.

        ``analysis=False``: a look (a hover, a completion) rather than an analysis: when no text
        changed it starts nothing, so that looks do not age what the analyses keep."""
        changed = {p for p, t in texts.items() if self.texts.get(p) != t} | (set(self.texts) - set(texts))
        if not changed and not analysis:
            return changed
        self.rev += 1
        rev = self.rev
        self.texts = dict(texts)
        for p in changed:
            self.text_changed[p] = rev
        # with one document changed, a hub can be settled here (see ``_mark``)
        self._mark([(key, ("text", p)) for p in changed for key in self.rdeps.get(("text", p), ())], settle=len(changed) == 1)
        if analysis:
            self._sweep_some()  # a share of the sweep (the server sweeps all when the user pauses)
        return changed

    def _mark(self, queue: list, settle: bool = False) -> None:
        """Mark every value that depends on what changed, each with what it depends on that changed.

        ``settle``: a value many others depend on (a hub: the workspace's member list, read by a
        part of every member) that can rerun on its own is not marked through at once. When all
        else is marked, it is checked there and then (rerun if need be), and its dependants are
        marked only when its value changed. (Typing in one member's pyproject.toml reruns the
        member list, finds it the same, and leaves the parts of the 500 members alone.) A value
        checked while a hub settled (the hub, what it read) that a mark reaches afterwards is
        checked again, so the order never matters."""
        nodes, rdeps, rev = self.nodes, self.rdeps, self.rev
        stack = [((key,), source) for key, source in queue]  # (keys, what they depend on that changed)
        waiting: list = []  # hubs marked, their dependants not yet

        def through(key, node) -> None:
            dependants = rdeps.get(key)
            if not dependants:
                return
            if settle and len(dependants) >= HUB_DEPENDANTS and node.compute is not None and key[0] in HUB_KINDS:
                waiting.append(key)
            else:
                stack.append((dependants, key))  # (not changed while it waits: values rerun only when the stack is empty)

        while stack or waiting:
            if not stack:
                key = waiting.pop()
                if not self._settled(key):
                    stack.append((rdeps.get(key, ()), key))
                continue
            keys, source = stack.pop()
            for key in keys:
                node = nodes.get(key)
                if node is None:
                    continue
                if node.verified == rev:
                    # checked while a hub settled, before this mark came (a settled hub, a value it
                    # read): current as of the edit before, to be checked again against ``source``
                    node.verified, node.suspects, node.dirty = rev - 1, [source], rev
                    through(key, node)
                    continue
                if node.dirty <= node.verified:
                    node.suspects = [source]  # current until now: a new list
                else:
                    node.suspects.append(source)
                if node.dirty != rev:
                    node.dirty = rev
                    through(key, node)

    def _settled(self, key) -> bool:
        """Rerun a hub whose inputs are all marked: True when its value stands (nothing it depends
        on changed, or it was recomputed to the same value), so that its dependants stay current."""
        node = self.nodes.get(key)
        if node is None:
            return False
        try:
            if not self._current(node):
                node = self._run(key, node, node.compute, True, node.transient)
        except Exception:  # let the analysis meet it (and its rule report it), as without settling
            return False
        # (current, it may still have changed: rerun this very analysis, when another hub read it)
        return node.changed != self.rev

    def _sweep_some(self) -> None:
        """Sweep a share of the values: a walk over all of them is spread over ``SWEEP_SHARES``
        analyses, so that no keystroke pays for it whole. What one share drops is bounded too (by
        what was computed since the last share, at least ``SWEEP_DROPS``): the values each
        keystroke leaves behind come due together, when the walk reaches them; the rest of them
        wait for the next shares."""
        if self._unswept is None:  # (its keys only: a value replaced or dropped since is not kept alive)
            self._unswept = iter(list(self.nodes))
        look = max(256, len(self.nodes) // SWEEP_SHARES)
        drops = max(SWEEP_DROPS, self.recomputed - self._swept_at)
        self._swept_at = self.recomputed
        nodes, old = self.nodes, self.rev - 2
        for key in islice(self._unswept, look):
            look -= 1
            node = nodes.get(key)
            if node is not None and self._droppable(key, node, old):
                self._unlink(key, nodes.pop(key))
                drops -= 1
                if not drops:
                    return
        if look:  # the walk is over: the next share starts another
            self._unswept = None

    def sweep(self) -> None:
        """Drop the transient values two analyses did not ask for. The walk is over every value:
        the server runs it when the user pauses (``advance`` sweeps a share of them each time)."""
        self._unswept = None
        old = self.rev - 2
        gone = [k for k, n in self.nodes.items() if self._droppable(k, n, old)]
        for key in gone:
            self._unlink(key, self.nodes.pop(key))

    def _droppable(self, key, node: _Node, old: int) -> bool:
        """A transient value no analysis since ``old`` asked for; a value something kept still
        depends on stays (the values it depends on may go at the next sweep)."""
        return node.transient and node.used < old and not self.rdeps.get(key)

    def _unlink(self, key, node: _Node) -> None:
        rdeps = self.rdeps
        for d in node.deps:
            s = rdeps.get(d)
            if s is not None:
                s.discard(key)
                if not s:
                    del rdeps[d]
        for p in node.reads:
            s = rdeps.get(("text", p))
            if s is not None:
                s.discard(key)
                if not s:
                    del rdeps[("text", p)]

    def forget(self, key) -> None:
        """Drop one value (what depends on it recomputes it when next checked)."""
        node = self.nodes.pop(key, None)
        if node is not None:
            self._unlink(key, node)
            self._mark([(k, key) for k in self.rdeps.get(key, ())])

    # -- recording ------------------------------------------------------------------------------
    def read(self, path) -> None:
        """An open document's text was read (``FileSystem`` calls this)."""
        if self._frames:
            self._frames[-1][1].add(path)

    def capture(self, compute):
        """(value, keys, paths): ``compute()`` and what it depended on, for a cache of one's own
        that replays them (``replay``) whenever it hands the value out."""
        frame = (set(), set(), {})  # keys, paths, and what was replayed into it (by id, held)
        self._frames.append(frame)
        try:
            value = compute()
        finally:
            self._frames.pop()
        return value, frame[0], frame[1]

    def replay(self, keys, paths) -> None:
        if self._frames and (keys or paths):
            top = self._frames[-1]
            if top[2].get(id(keys)) is keys:
                return  # replayed into this frame already (a value asked for again and again)
            top[2][id(keys)] = keys
            top[0].update(keys)
            top[1].update(paths)

    # -- values -------------------------------------------------------------------------------------
    def fetch(self, key, compute, *, reexec: bool = False, transient: bool = False, record: bool = True):
        """The value for ``key``: kept when still current, else ``compute()``. ``record=False``: the
        caller does not depend on it (it replays a part of what it read instead)."""
        node = self.nodes.get(key)
        if not self.tracking:
            if node is None:
                node = self.nodes[key] = _Node(compute(), (), (), 0, 0, None, False)
            return node.value
        if node is None or not (node.verified == self.rev or self._current(node)):
            node = self._run(key, node, compute, reexec, transient)
        node.used = self.rev
        if record and self._frames:
            self._frames[-1][0].add(key)
        return node.value

    def peek(self, key, default=None):
        """The value kept for ``key`` when nothing it depends on changed since it was last current
        (no check to run, nothing to recompute), recorded as ``fetch`` records it; else ``default``.
        The cheap way to ask for many values of which an edit changed few."""
        node = self.nodes.get(key)
        if node is None:
            return default
        if not self.tracking:
            return node.value
        rev = self.rev
        if node.verified != rev:
            if node.dirty > node.verified:
                return default
            node.verified = rev
        node.used = rev
        if self._frames:
            self._frames[-1][0].add(key)
        return node.value

    def fetch_all(self, gkey, keys: list, compute_for, gone=None, reexec: bool = True, prefix=None) -> list:
        """The values for ``keys`` (``compute_for(i)`` makes the computation of ``keys[i]``, kept as
        ``fetch(..., reexec=reexec, transient=True)`` keeps it), asked for as one value under ``gkey``.
        With a ``prefix``, the value of ``keys[i]`` is kept under ``(prefix, keys[i])``: callers that
        share one list of keys (every rule's parts are keyed by the same functions' facts) build it once.

        An edit changes few of many: the values are kept together with their keys, and the next call
        fetches only the keys that are new at their place and those marked since (the group depends
        on every key: a marked one marks it, and is among its suspects). Everything else is reused
        without looking: the keys are compared with the last call's in C, not one by one in Python,
        place by place, or, when keys came or went, from both ends (those before and after keep theirs).
        The caller depends on the group, not on each key. A value ``gone`` was made by a rerun that
        found nothing to compute: it is made again. The same list of keys as the last call's (a
        derived value, never changed in place) with none marked is answered at once."""
        full = (lambda key: key) if prefix is None else (lambda key: (prefix, key))
        if not self.tracking:
            return [self.fetch(full(key), compute_for(i)) for i, key in enumerate(keys)]
        rev = self.rev
        old = self.nodes.get(gkey)
        if old is not None and old.value[2] is keys and old.dirty <= old.verified:
            # the very list of keys of the last call (one a derived value keeps), none marked since
            old.verified = old.used = rev
            if self._frames:
                self._frames[-1][0].add(gkey)
            return old.value[1]
        given, keys = keys, tuple(keys)
        n = len(keys)
        rdeps = self.rdeps
        if old is not None:
            old_keys, old_values, _ = old.value
            m = len(old_keys)
            if m == n:  # places whose key is new there
                new_at = list(compress(range(n), map(ne, keys, old_keys)))
                values = list(old_values)
                deps = list(old.deps)
                dropped = [old.deps[i] for i in new_at]
            else:  # keys inserted or taken away: the others are kept, before and after them
                short = min(n, m)
                head = next(compress(count(), map(ne, keys, old_keys)), short)
                tail = min(next(compress(count(), map(ne, reversed(keys), reversed(old_keys))), short), short - head)
                new_at = list(range(head, n - tail))
                values = [*old_values[:head], *([None] * len(new_at)), *old_values[m - tail :]]
                deps = [*old.deps[:head], *([None] * len(new_at)), *old.deps[m - tail :]]
                dropped = old.deps[head : m - tail]
            moved = new_at
            if old.dirty > old.verified and old.suspects:  # and those marked since
                marked = {s if prefix is None else s[1] for s in old.suspects}
                moved = sorted({*new_at, *compress(range(n), map(marked.__contains__, keys))})
            for i in new_at:
                deps[i] = full(keys[i])
            # a key may stand at two places: the group depends on it while one holds it (a few
            # are looked for in C among the keys, not the prefixed ones: cheaper than hashing all)
            still = keys if len(dropped) <= 8 else set(keys)
            # What kept an answer of the group under other keys (a rule's result for other facts, asked
            # for again after an undo) must learn when a key it read, no longer held here, changes:
            # one current with the group as it was depends on the keys dropped now; one older than
            # that read keys the group held before, and is marked (checked again when asked).
            readers, older = [], []
            for d in rdeps.get(gkey, ()) if dropped else ():
                if (node := self.nodes.get(d)) is not None:
                    (readers if node.verified >= old.changed else older).append((d, node))
            for before in dropped:
                if (before if prefix is None else before[1]) in still:
                    continue
                if (s := rdeps.get(before)) is not None:
                    s.discard(gkey)
                for d, node in readers:
                    if before not in node.deps:
                        node.deps += (before,)
                        rdeps.setdefault(before, set()).add(d)
                if not rdeps.get(before, True):
                    del rdeps[before]  # (an empty set would stay after the value is swept)
            for i in new_at:
                rdeps.setdefault(deps[i], set()).add(gkey)
            deps = tuple(deps)
            if older:
                self._mark([(d, gkey) for d, _ in older])
        else:
            old_keys = old_values = None
            moved = new_at = range(n)
            values = [None] * n
            deps = tuple(map(full, keys))
            for key in deps:
                rdeps.setdefault(key, set()).add(gkey)
        for i in moved:
            key = deps[i]
            value = self.fetch(key, compute_for(i), reexec=reexec, transient=True, record=False)
            if value is gone and gone is not None:
                self.forget(key)
                value = self.fetch(key, compute_for(i), reexec=reexec, transient=True, record=False)
            values[i] = value
        unchanged = old_keys is not None and not new_at and len(values) == len(old_values) and all(map(_is, values, old_values))
        node = _Node((keys, values, given), deps, (), rev, old.changed if unchanged else rev, None, True)
        self.nodes[gkey] = node
        if self._frames:
            self._frames[-1][0].add(gkey)
        return values

    def _current(self, node: _Node) -> bool:
        rev = self.rev
        node.used = rev
        if node.dirty <= node.verified:  # nothing it depends on changed since it was last current
            node.verified = rev
            return True
        # only what marked it can have changed
        changed_at, nodes = self.text_changed, self.nodes
        for key in node.suspects:
            if key[0] == "text":  # a document it read (every memo key is a tuple)
                if changed_at.get(key[1], 0) > node.verified:
                    return False
                continue
            dep = nodes.get(key)
            if dep is None:
                return False
            if dep.verified != rev and not self._current(dep):
                if dep.compute is None:
                    return False
                dep = self._run(key, dep, dep.compute, True, dep.transient)
            if dep.changed > node.verified:
                return False
        node.suspects = []
        node.verified = rev
        return True

    def _run(self, key, old: _Node | None, compute, reexec: bool, transient: bool) -> _Node:
        value, keys, paths = self.capture(compute)
        self.recomputed += 1
        rev = self.rev
        changed = rev
        if old is not None:
            self._unlink(key, old)
            if _same(old.value, value):
                value, changed = old.value, old.changed
        node = _Node(value, tuple(keys), tuple(paths), rev, changed, compute if reexec else None, transient)
        self.nodes[key] = node
        rdeps = self.rdeps
        for d in node.deps:
            rdeps.setdefault(d, set()).add(key)
        for p in node.reads:
            rdeps.setdefault(("text", p), set()).add(key)
        return node


def _same(a, b) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:  # a value that cannot be compared is taken as changed
        return False
