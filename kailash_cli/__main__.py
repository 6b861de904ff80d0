from __future__ import annotations

from kailash_cli.entry import main

raise SystemExit(main())
