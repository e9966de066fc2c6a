from sst_lsp.cli import main

raise SystemExit(main())
