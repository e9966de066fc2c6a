"""TomlDocument: values, exact key/value/element ranges, error ranges, minimal edits."""

from __future__ import annotations

import tomlkit

from sst_lsp.engine.positions import Position, Range, apply_text_edits
from sst_lsp.engine.toml_doc import TomlDocument, close_matches, minimal_edit


def R(sl, sc, el, ec) -> Range:
    return Range.of(sl, sc, el, ec)


def text_at(text: str, r: Range) -> str:
    """The source text a range covers (via the same conversions the engine uses)."""
    doc = TomlDocument(text)
    return text[doc.index.offset_of_position(r.start):doc.index.offset_of_position(r.end)]


SRC = """\
# top comment
[project]
name = "app"  # the name
"quoted.key" = 1
a.b.c = 2
deps = [
  "a", # one
  # only a comment
  "b",
]
it = { x = 1, y = { z = "🐍" } }

[[tool.uv.index]]
name = "one"
[[tool.uv.index]]
name = "two"

[tool.uv.workspace]
members = ["packages/*"]
"""


def test_values_are_parsed():
    doc = TomlDocument.parse(SRC)
    assert doc.error is None
    assert doc.get("project", "name") == "app"
    assert doc.get("project", "quoted.key") == 1
    assert doc.get("project", "a", "b", "c") == 2
    assert doc.get("project", "deps") == ["a", "b"]
    assert doc.get("tool", "uv", "index", 1, "name") == "two"
    assert doc.get("tool", "nope", default="d") == "d"
    assert doc.get("project", "deps", 5) is None
    assert doc.has_table("tool", "uv", "workspace")
    assert not doc.has_table("project", "name")


def test_key_and_value_ranges():
    doc = TomlDocument.parse(SRC)
    assert doc.key_range("project", "name") == R(2, 0, 2, 4)
    assert text_at(SRC, doc.value_range("project", "name")) == '"app"'
    assert text_at(SRC, doc.key_range("project", "quoted.key")) == '"quoted.key"'
    assert text_at(SRC, doc.key_range("project", "a", "b", "c")) == "a.b.c"
    assert text_at(SRC, doc.value_range("project", "a", "b", "c")) == "2"
    assert text_at(SRC, doc.key_range("project")) == "project"
    assert doc.key_range("project", "missing") is None
    assert doc.value_range("nothing") is None


def test_array_elements_skip_comments():
    doc = TomlDocument.parse(SRC)
    assert doc.key_range("project", "deps", 0) == R(6, 2, 6, 5)
    assert doc.key_range("project", "deps", 1) == R(8, 2, 8, 5)
    assert doc.key_range("project", "deps", 2) is None
    assert text_at(SRC, doc.value_range("project", "deps")).startswith("[") and text_at(SRC, doc.value_range("project", "deps")).endswith("]")


def test_inline_tables_nested():
    doc = TomlDocument.parse(SRC)
    assert text_at(SRC, doc.key_range("project", "it", "y")) == "y"
    assert text_at(SRC, doc.value_range("project", "it", "y", "z")) == '"🐍"'
    # UTF-16 columns: the emoji counts two units
    assert doc.value_range("project", "it", "y", "z") == R(10, 24, 10, 28)


def test_array_of_tables_are_numbered():
    doc = TomlDocument.parse(SRC)
    assert text_at(SRC, doc.value_range("tool", "uv", "index", 0, "name")) == '"one"'
    assert text_at(SRC, doc.value_range("tool", "uv", "index", 1, "name")) == '"two"'
    assert doc.key_range("tool", "uv", "index", 1).start.line == 14


def test_table_header_and_best_range():
    doc = TomlDocument.parse(SRC)
    assert doc.table_header_range("tool", "uv", "workspace") == R(17, 0, 17, 19)
    assert doc.table_header_range("tool", "uv") is None
    assert doc.key_range("tool", "uv", "workspace", "members", 0) == R(18, 11, 18, 23)
    # a missing key falls back to its nearest located ancestor
    assert doc.best_range("tool", "uv", "workspace", "exclude") == doc.key_range("tool", "uv", "workspace")
    assert doc.best_range("nope") == R(0, 0, 0, 0)


def test_unicode_before_key_uses_utf16_columns():
    text = 'x = { "🐍" = 1, "中" = "v" }\n[t]\n"é🐍" = { k = 1 }\n'
    doc = TomlDocument.parse(text)
    assert doc.key_range("x", "中") == R(0, 16, 0, 19)
    assert doc.value_range("x", "中") == R(0, 22, 0, 25)
    assert text_at(text, doc.key_range("t", "é🐍", "k")) == "k"
    assert doc.key_range("t", "é🐍", "k") == R(2, 10, 2, 11)  # "é🐍" is 5 units wide


def test_crlf_ranges_exclude_cr():
    text = "[project]\r\nname = \"app\"\r\n"
    doc = TomlDocument.parse(text)
    assert doc.value_range("project", "name") == R(1, 7, 1, 12)
    assert doc.table_header_range("project") == R(0, 0, 0, 9)


def test_quoted_table_header_keys():
    text = '[tool."sst-lsp"]\nsst-version = "3.17.0"\n'
    doc = TomlDocument.parse(text)
    assert doc.get("tool", "sst-lsp", "sst-version") == "3.17.0"
    assert text_at(text, doc.value_range("tool", "sst-lsp", "sst-version")) == '"3.17.0"'


# -- errors ------------------------------------------------------------------------------


def test_unclosed_string_error_range():
    doc = TomlDocument.parse('a = "x\nb = 1\n')
    assert doc.data is None and doc.error
    assert doc.error_range.start.line == 0


def test_unterminated_string_at_eof():
    doc = TomlDocument.parse('k = "abc')
    assert doc.data is None
    assert doc.error_range == R(0, 8, 0, 8)


def test_duplicate_key_points_at_second_line():
    doc = TomlDocument.parse("a = 1\na = 2\n")
    assert doc.data is None
    assert "overwrite" in doc.error.lower() or "duplicate" in doc.error.lower()
    assert doc.error_range.start.line == 1


def test_duplicate_table_points_at_second_header():
    doc = TomlDocument.parse('[project]\nname = "a"\n[project]\n')
    assert doc.data is None
    assert doc.error_range.start.line == 2


def test_eof_error_range_is_document_end():
    text = "[x]\nk = [1,\n"
    doc = TomlDocument.parse(text)
    assert doc.data is None
    assert doc.error_range == R(2, 0, 2, 0)


def test_error_column_after_emoji_is_utf16():
    doc = TomlDocument.parse('k = "🐍" x\n')
    # the stray `x` sits at code point 8, UTF-16 unit 9
    assert doc.error_range == R(0, 9, 0, 10)


def test_broken_document_has_no_ranges():
    doc = TomlDocument.parse("a = \n")
    assert doc.data is None
    assert doc.key_range("a") is None
    assert doc.best_range("a") == R(0, 0, 0, 0)


# -- edits -------------------------------------------------------------------------------

EDIT_SRC = """\
# header comment
[project]
name = "app"   # the name
dependencies = [
    "requests",  # http
]

[tool.uv.workspace]
members = ["a"]  # members
"""


def _apply(doc: TomlDocument, change):
    edit = doc.edit(change)
    assert edit is not None
    return edit, apply_text_edits(doc.text, [edit])


def test_edit_append_to_multiline_array_keeps_comments():
    doc = TomlDocument.parse(EDIT_SRC)
    (rng, new), out = _apply(doc, lambda d: d["project"]["dependencies"].append("boto3"))
    assert out == EDIT_SRC.replace('    "requests",  # http\n', '    "requests",  # http\n    "boto3",\n')
    assert rng.start == rng.end == Position(5, 0)  # a pure insertion
    assert new == '    "boto3",\n'


def test_edit_append_to_inline_array_is_small():
    doc = TomlDocument.parse(EDIT_SRC)
    (rng, new), out = _apply(doc, lambda d: d["tool"]["uv"]["workspace"]["members"].append("functions"))
    assert out == EDIT_SRC.replace('members = ["a"]  # members', 'members = ["a", "functions"]  # members')
    assert rng.start.line == rng.end.line == 8
    assert "members" not in new and "#" not in new


def test_edit_change_value_replaces_only_the_value():
    doc = TomlDocument.parse(EDIT_SRC)
    (rng, new), out = _apply(doc, lambda d: d["project"].__setitem__("name", "api"))
    assert out == EDIT_SRC.replace('name = "app"   # the name', 'name = "api"   # the name')
    assert rng.start.line == 2 and rng.end.line == 2
    assert len(new) <= 3


def test_edit_add_table_appends_at_end():
    doc = TomlDocument.parse(EDIT_SRC)

    def add(d):
        d["build-system"] = {"requires": ["hatchling"], "build-backend": "hatchling.build"}

    (rng, new), out = _apply(doc, add)
    assert out.startswith(EDIT_SRC)
    assert tomlkit.parse(out)["build-system"]["build-backend"] == "hatchling.build"
    assert rng.start == rng.end


def test_edit_keeps_crlf():
    text = '[project]\r\nname = "app"\r\ndependencies = [\r\n    "requests",\r\n]\r\n'
    doc = TomlDocument.parse(text)
    _, out = _apply(doc, lambda d: d["project"]["dependencies"].append("boto3"))
    assert out == text.replace('"requests",\r\n', '"requests",\r\n    "boto3",\r\n')
    assert "\n" not in out.replace("\r\n", "")


def test_edit_with_emoji_before_change():
    text = '[project]\ndescription = "🐍 app" ; name = "x"\n'.replace(" ; ", "\n")
    doc = TomlDocument.parse(text)
    (rng, new), out = _apply(doc, lambda d: d["project"].__setitem__("description", "🐍 api"))
    assert out == text.replace("🐍 app", "🐍 api")
    # the changed text starts after the snake: UTF-16 column counts it as two units
    assert rng.start.character >= 17


def test_noop_edit_returns_none():
    doc = TomlDocument.parse(EDIT_SRC)
    assert doc.edit(lambda d: None) is None


def test_minimal_edit_common_prefix_and_suffix():
    rng, new = minimal_edit("abcXdef", "abcYYdef")
    assert rng == R(0, 3, 0, 4) and new == "YY"
    assert minimal_edit("same", "same") is None
    rng, new = minimal_edit("ab", "abc")
    assert rng == R(0, 2, 0, 2) and new == "c"


def test_close_matches():
    assert close_matches("memebrs", ["members", "exclude"]) == ["members"]
    assert close_matches("zzz", ["members"]) == []


def test_trailing_comments_are_not_values():
    text = "[p]\nname = \"x\"  # c\nk = [1, # a\n  2] # b\n[q] # header comment\nz = 1 # z\n"
    doc = TomlDocument.parse(text)
    assert text_at(text, doc.value_range("p", "name")) == '"x"'
    assert text_at(text, doc.value_range("p", "k")) == "[1, # a\n  2]"
    assert text_at(text, doc.key_range("p", "k", 1)) == "2"
    assert text_at(text, doc.value_range("q", "z")) == "1"
    assert text_at(text, doc.key_range("q")) == "q"
