"""``kailash_cli.db``: database URLs, connections to the real servers, passwords kept out."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from kailash_cli.db import DatabaseError, connect, parse_url, ping, redact_url
from kailash_cli.db.urls import url_password

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
MARIADB = "mysql://root@127.0.0.1:3306/test"


def test_sqlite_urls(tmp_path: Path) -> None:
    assert parse_url("sqlite:///data/app.db", tmp_path).path == tmp_path / "data" / "app.db"
    assert parse_url("sqlite:////var/lib/app.db", tmp_path).path == Path("/var/lib/app.db")
    assert parse_url("sqlite:///my%20file.db", tmp_path).path == tmp_path / "my file.db"
    assert parse_url("sqlite:///:memory:").path is None
    assert parse_url("sqlite://").path is None
    assert parse_url("sqlite:///x.db").path == Path.cwd() / "x.db"
    with pytest.raises(DatabaseError, match=r"^a SQLite URL names no host: sqlite://host/x.db; use "):
        parse_url("sqlite://host/x.db")
    with pytest.raises(DatabaseError, match=r"^a SQLite URL takes no parameters \(\?mode=\.\.\.\)"):
        parse_url("sqlite:///out/ro.db?mode=ro", tmp_path)  # accepted and ignored before


def test_server_urls() -> None:
    url = parse_url("postgres://app:p%40ss@db.local:6543/main?sslmode=require")
    assert (url.kind, url.host, url.port, url.user, url.password, url.database) == (
        "postgresql",
        "db.local",
        6543,
        "app",
        "p@ss",
        "main",
    )
    assert url.query == {"sslmode": "require"}
    assert "p%40ss" not in repr(url) and "p@ss" not in repr(url)
    maria = parse_url("mariadb+pymysql://root@127.0.0.1/test")
    assert (maria.kind, maria.port, maria.password, maria.database) == ("mysql", None, None, "test")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mongodb://x/y", "unsupported database URL scheme 'mongodb' in mongodb://x/y; use sqlite:///"),
        ("data/app.db", "'data/app.db' is not a database URL; use sqlite:///relative/path"),
        ("postgresql://u:pw@h:99999/db", "the port of postgresql://u:***@h:99999/db is not a number"),
    ],
)
def test_bad_urls(text: str, message: str) -> None:
    with pytest.raises(DatabaseError) as raised:
        parse_url(text)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("postgresql://app:s3cret@db/app", "postgresql://app:***@db/app"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("mysql://root@db/test", "mysql://root@db/test"),
        ("mysql://u:p@ss@db/x", "mysql://u:***@db/x"),
        ("see postgresql://a:b@h/x and http://c:d@e/", "see postgresql://a:***@h/x and http://c:***@e/"),
        ("postgresql://h/db?user=a&password=s3cret&x=1", "postgresql://h/db?user=a&password=***&x=1"),
        ("no url at all", "no url at all"),
    ],
)
def test_redact_url(text: str, redacted: str) -> None:
    assert redact_url(text) == redacted


def test_url_password() -> None:
    assert url_password("postgresql://a:p%40ss@h/x") == "p%40ss"
    assert url_password("postgresql://a@h/x") is None


def test_sqlite_read_only_never_creates_the_file(tmp_path: Path) -> None:
    url = parse_url("sqlite:///new.db", tmp_path)
    with pytest.raises(DatabaseError, match=r"^SQLite database .*new.db does not exist$"):
        ping(url)
    assert not (tmp_path / "new.db").exists()
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(DatabaseError, match=r"folder.db is not a file$"):
        ping(parse_url("sqlite:///folder.db", tmp_path))
    conn = connect(url)  # not read-only: created, as a node writing to it would want
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    ping(url)
    ro = connect(url, read_only=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.execute("INSERT INTO t VALUES (1)")
    ro.close()


def test_sqlite_open_errors(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match=r"^cannot open SQLite database .*/missing/dir/x.db: "):
        connect(parse_url("sqlite:///missing/dir/x.db", tmp_path))


def test_postgres_and_mariadb_answer() -> None:
    for text in (POSTGRES, MARIADB):
        url = parse_url(text)
        ping(url, timeout=5)
        conn = connect(url, timeout=5)
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT 41 + 1")
            assert cursor.fetchone()[0] == 42
        finally:
            conn.close()


@pytest.mark.parametrize(
    "text",
    [POSTGRES.replace("/test", "/no_such_db_kailash"), MARIADB.replace("/test", "/no_such_db_kailash")],
)
def test_unknown_database_is_one_line(text: str) -> None:
    with pytest.raises(DatabaseError) as raised:
        ping(parse_url(text), timeout=5)
    message = str(raised.value)
    assert message.startswith(f"cannot connect to {text}: ") and "\n" not in message
    assert "no_such_db_kailash" in message


def test_wrong_password_is_never_shown() -> None:
    # MariaDB's root has no password here: any password is refused, and named only as ***
    text = "mysql://root:Wr0ng%21pw@127.0.0.1:3306/test"
    with pytest.raises(DatabaseError) as raised:
        ping(parse_url(text), timeout=5)
    message = str(raised.value)
    assert message.startswith("cannot connect to mysql://root:***@127.0.0.1:3306/test: Access denied")
    assert "Wr0ng" not in message


def test_mysql_url_parameters() -> None:
    with pytest.raises(
        DatabaseError, match=r"unknown parameter 'sslmode'; a MySQL URL takes charset and unix_socket"
    ):
        connect(parse_url(MARIADB + "?sslmode=require"))
    ping(parse_url(MARIADB + "?charset=utf8mb4"), timeout=5)


@pytest.mark.parametrize(
    ("text", "module", "extra"), [(POSTGRES, "psycopg", "postgres"), (MARIADB, "pymysql", "mysql")]
)
def test_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, text: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(DatabaseError) as raised:
        connect(parse_url(text))
    assert str(raised.value).endswith(f"driver: pip install 'kailash-cli[{extra}]'")


def test_hide_removes_the_password_in_every_form() -> None:
    url = parse_url("postgresql://u:p%40ss@h/x")
    assert url.hide("auth failed for p@ss (p%40ss)\n  retry") == "auth failed for *** (***) retry"


def test_a_driver_suffix_in_the_scheme_is_accepted() -> None:
    ping(parse_url(POSTGRES.replace("postgresql:", "postgresql+psycopg:")), timeout=5)
    ping(parse_url(MARIADB.replace("mysql:", "mysql+pymysql:")), timeout=5)
