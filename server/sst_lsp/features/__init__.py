"""LSP features: each module turns engine results into protocol types (the only lsprotocol users)."""
