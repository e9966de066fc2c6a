"""LineIndex: code points <-> UTF-16 positions <-> tree-sitter byte points, and text edits."""

from __future__ import annotations

import pytest

from sst_lsp.engine.positions import LineIndex, Position, Range, apply_text_edits, utf16_len


def P(line: int, ch: int) -> Position:
    return Position(line, ch)


# -- utf16_len --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "s, n",
    [
        ("", 0),
        ("abc", 3),
        ("🐍", 2),  # astral: a surrogate pair
        ("中文", 2),  # BMP CJK: one unit each
        ("e\u0301", 2),  # combining mark is its own code point
        ("👩‍💻", 5),  # ZWJ sequence: 2 + 1 + 2
        ("\r", 1),
    ],
)
def test_utf16_len(s, n):
    assert utf16_len(s) == n
    assert utf16_len(s) == len(s.encode("utf-16-le")) // 2


# -- code-point offsets ------------------------------------------------------------------


def test_line_starts_and_line_text():
    idx = LineIndex("ab\ncd\n\nef")
    assert idx.line_starts == [0, 3, 6, 7]
    assert [idx.line_text(i) for i in range(4)] == ["ab", "cd", "", "ef"]
    assert idx.line_text(-1) == "" and idx.line_text(99) == ""


def test_emoji_offsets_round_trip():
    text = "x = '🐍🐍'\ny"
    idx = LineIndex(text)
    # offset of the second snake: 6 code points in, 7 UTF-16 units in
    off = text.index("🐍") + 1
    assert idx.position_of_offset(off) == P(0, 7)
    assert idx.offset_of_position(P(0, 7)) == off
    # closing quote: after two snakes
    q = text.rindex("'")
    assert idx.position_of_offset(q) == P(0, 9)
    assert idx.offset_of_position(P(0, 9)) == q
    assert idx.position_of_offset(len(text)) == P(1, 1)
    for o in range(len(text) + 1):
        assert idx.offset_of_position(idx.position_of_offset(o)) == o


def test_position_inside_surrogate_pair_never_splits_it():
    idx = LineIndex("a🐍b")
    # character 2 is the low surrogate of the snake: the offset lands on a code point boundary
    off = idx.offset_of_position(P(0, 2))
    assert off in (1, 2)
    assert idx.offset_of_position(P(0, 3)) == 2


def test_cjk_and_combining_marks():
    text = "中文 e\u0301x"
    idx = LineIndex(text)
    x = text.index("x")
    assert idx.position_of_offset(x) == P(0, 5)
    assert idx.offset_of_position(P(0, 5)) == x


def test_crlf_lines():
    text = "ab\r\ncd\r\n"
    idx = LineIndex(text)
    assert idx.line_starts == [0, 4, 8]
    assert idx.position_of_offset(text.index("c")) == P(1, 0)
    assert idx.position_of_offset(text.index("d") + 1) == P(1, 2)
    assert idx.offset_of_position(P(1, 1)) == text.index("d")
    assert idx.end_position() == P(2, 0)


def test_offset_of_position_clamps():
    text = "ab\ncd"
    idx = LineIndex(text)
    assert idx.offset_of_position(P(0, 99)) == 2  # end of line 0, before the newline
    assert idx.offset_of_position(P(1, 99)) == len(text)
    assert idx.offset_of_position(P(99, 0)) == len(text)
    assert idx.offset_of_position(P(-1, 5)) == 0
    assert idx.position_of_offset(-5) == P(0, 0)
    assert idx.position_of_offset(1000) == P(1, 2)


def test_offset_of_position_clamps_before_cr():
    text = "ab\r\ncd"
    idx = LineIndex(text)
    # a character past the end of a CRLF line must not land between \r and \n
    assert idx.offset_of_position(P(0, 99)) == 2
    assert apply_text_edits(text, [(Range(P(0, 99), P(0, 99)), "!")]) == "ab!\r\ncd"


def test_range_of_offsets():
    idx = LineIndex("a🐍\nbc")
    assert idx.range_of_offsets(1, 4) == Range(P(0, 1), P(1, 1))


# -- tree-sitter byte points -------------------------------------------------------------


def _byte_col(line: str, cp: int) -> int:
    return len(line[:cp].encode("utf-8"))


@pytest.mark.parametrize("line", ["plain ascii here", "🐍 = 'x' here", "中文 = 'x' here", "e\u0301 = 'x' here", "👩‍💻🐍中 here"])
def test_position_of_point_matches_utf16(line):
    text = "first\n" + line + "\nlast"
    idx = LineIndex(text)
    cp = line.index("here")
    pos = idx.position_of_point((1, _byte_col(line, cp)))
    assert pos == P(1, utf16_len(line[:cp]))
    assert idx.point_of_position(pos) == (1, _byte_col(line, cp))
    assert idx.byte_offset_of_position(pos) == len(("first\n" + line[:cp]).encode("utf-8"))


def test_position_of_point_with_crlf_and_emoji():
    text = "🐍 a\r\nb"
    idx = LineIndex(text)
    # 'a' is at byte 5 (4 bytes of snake + space)
    assert idx.position_of_point((0, 5)) == P(0, 3)
    assert idx.position_of_point((1, 1)) == P(1, 1)


def test_position_of_point_mid_character_rounds_down():
    idx = LineIndex("🐍x")
    assert idx.position_of_point((0, 2)) == P(0, 0)
    assert idx.position_of_point((0, 4)) == P(0, 2)


def test_range_of_node_from_tree_sitter():
    from sst_lsp.engine.typescript import parse

    text = 'const s = "🐍"; const t = "中";\nconst u = 1;\n'
    tree = parse(text)
    idx = LineIndex(text)
    strings = []

    def walk(n):
        if n.type == "string":
            strings.append(n)
        for c in n.children:
            walk(c)

    walk(tree.root_node)
    assert [idx.range_of_node(n) for n in strings] == [
        Range(P(0, 10), P(0, 14)),
        Range(P(0, 26), P(0, 29)),
    ]


# -- apply_text_edits --------------------------------------------------------------------


def test_apply_multiple_edits_in_any_order():
    text = "alpha beta\ngamma 🐍 delta\n"
    edits = [
        (Range(P(1, 9), P(1, 14)), "DELTA"),  # after the snake: UTF-16 columns
        (Range(P(0, 0), P(0, 5)), "ALPHA"),
        (Range(P(1, 0), P(1, 5)), "G"),
    ]
    assert apply_text_edits(text, edits) == "ALPHA beta\nG 🐍 DELTA\n"


def test_apply_insertions_and_deletions():
    text = "a\nb\n"
    edits = [
        (Range(P(0, 1), P(0, 1)), ", x"),
        (Range(P(1, 0), P(2, 0)), ""),
        (Range(P(2, 0), P(2, 0)), "end\n"),
    ]
    assert apply_text_edits(text, edits) == "a, x\nend\n"


def test_two_insertions_at_same_point_keep_order():
    text = "ab"
    out = apply_text_edits(text, [(Range(P(0, 1), P(0, 1)), "1"), (Range(P(0, 1), P(0, 1)), "2")])
    assert out == "a12b"


def test_adjacent_edits_are_not_overlap():
    text = "abcd"
    out = apply_text_edits(text, [(Range(P(0, 0), P(0, 2)), "X"), (Range(P(0, 2), P(0, 4)), "Y")])
    assert out == "XY"


def test_overlapping_edits_raise():
    with pytest.raises(ValueError):
        apply_text_edits("abcdef", [(Range(P(0, 0), P(0, 3)), "X"), (Range(P(0, 2), P(0, 5)), "Y")])


def test_no_edits_is_identity():
    assert apply_text_edits("x\r\ny", []) == "x\r\ny"


def test_common_ends_never_overlap_and_work_on_bytes():
    from sst_lsp.engine.positions import common_ends

    assert common_ends("abcXdef", "abcdef") == (3, 4, 3)
    assert common_ends("aaa", "aaaa") == (3, 3, 4)  # the end does not reach back into the start
    assert common_ends(b"// hi\n", b"// hix\n") == (5, 5, 6)
    assert common_ends("", "x") == (0, 0, 1)


def test_common_ends_answer_as_a_character_by_character_walk():
    """For random texts and edits (several, anywhere), the halving finds what walking from each end finds."""
    import random

    from sst_lsp.engine.positions import common_ends

    def walked(a, b):
        p = 0
        while p < min(len(a), len(b)) and a[p] == b[p]:
            p += 1
        e = 0
        while e < min(len(a), len(b)) - p and a[-1 - e] == b[-1 - e]:
            e += 1
        return p, len(a) - e, len(b) - e

    rnd = random.Random(5)
    for _ in range(5000):
        a = "".join(rnd.choice("ab\n") for _ in range(rnd.randint(0, 40)))
        b = list(a)
        for _ in range(rnd.randint(0, 3)):
            at = rnd.randint(0, len(b))
            b[at : at + rnd.randint(0, 2)] = rnd.choice(["", "a", "ba", "\n"])
        b = "".join(b)
        assert common_ends(a, b) == walked(a, b), (a, b)
        assert common_ends(a.encode(), b.encode()) == walked(a, b)


def test_spliced_index_equals_a_fresh_one():
    """An edit's index is the old one with only the changed lines found again: for random texts
    and edits (line breaks, lone and paired \\r, astral characters) it equals a fresh index."""
    import random

    rnd = random.Random(7)
    alphabet = ["a", "b", "\n", "\r", "\r\n", "🐍", "é", " "]
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 25)))
        start = rnd.randint(0, len(text))
        end = rnd.randint(start, len(text))
        new = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 4)))
        spliced = LineIndex(text).spliced(start, end, new)
        fresh = LineIndex(text[:start] + new + text[end:])
        assert (spliced.text, spliced.line_starts, spliced.ascii) == (fresh.text, fresh.line_starts, fresh.ascii), (text, start, end, new)


def test_index_of_a_text_is_the_one_made_for_that_string():
    text = "one\ntwo\n" * 3
    first = LineIndex.of(text)
    assert LineIndex.of(text) is first
    assert LineIndex.of("".join(["one\ntwo\n"] * 3)) is not first  # an equal text is another string
    edited = first.spliced(0, 3, "ONE")
    assert LineIndex.of(edited.text) is edited
