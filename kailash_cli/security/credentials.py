"""Credentials out of finding messages: a finding quotes values, and a value may be a secret.

``validate`` words a finding with the value it is about (``'https://u:pw@host' is not ...``)
and ``check-deploy`` repeats those findings (KD705) and writes them into its baseline. A
URL's password and anything shaped like a provider key (the KD301 patterns) become ``***``
before a message leaves the process, in every format and in the baseline.
"""

from __future__ import annotations

import re

from kailash_cli.security.redact import hide_url_passwords

_MAYBE_KEY = re.compile(r"[A-Za-z0-9_\-]{16,}")  # no provider key is shorter: the patterns need not run


def hide_credentials(text: str) -> str:
    """``text`` with URL passwords and provider keys replaced by ``***``."""
    text = hide_url_passwords(text)  # the redactor's own rule
    if _MAYBE_KEY.search(text):
        from kailash_cli.security.secret_patterns import (
            PROVIDER_PATTERNS,  # only for a message that may hold one
        )

        for _kind, pattern in PROVIDER_PATTERNS:
            text = pattern.sub("***", text)
    return text
