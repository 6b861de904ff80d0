"""What real libraries write under secret-like names without holding a secret (found by running
check-deploy over the packages kailash installs): none of it is a finding, the real thing is."""

from __future__ import annotations

from pathlib import Path

from deploy_helpers import check, located, make_project


def test_library_constants_under_secret_like_names_are_not_secrets(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            # a regular expression (lexers call their patterns tokens)
            "lib/lexer.py": "jsonnet_token = r'[^\\W\\d]\\w*'\n"
            "_token_end = r'(?=\\s|#|[)\\]]|$)'\n"
            'token = r"[-!#$%&\'*+.^_`|~0-9a-zA-Z]+"\n'
            "_FASTAPI_SCOPE_KEY = 'fastapi'\n"  # FASTAPI is not the word API
            "apiKey = 'apiKey'\n"  # an enum member naming itself
            "_KEY_FORMAT = '^(?:[a-z][_0-9a-z-]{0,255}|[a-z0-9][_0-9a-z-]{0,240}@[a-z][_0-9a-z-]{0,13})$'\n"
            "password = 'Pr0duction!Pass'\n",  # and the real thing, in the same file
            "lib/entry_points.txt": "[keyring.backends]\nSecretService = keyring.backends.SecretService\n",
        },
    )

    assert located(check(tmp_path, select=["KD3"])) == [("KD302", "lib/lexer.py", 7)]
