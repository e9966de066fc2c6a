"""The analysis engine: pure Python, no LSP types."""
