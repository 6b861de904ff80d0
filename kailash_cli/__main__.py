from __future__ import annotations

from kailash_cli.main import main

raise SystemExit(main())
