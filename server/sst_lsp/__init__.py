"""sst-lsp: catches the configuration mistakes that break Python Lambda functions built by SST with uv."""

__version__ = "0.1.0"
