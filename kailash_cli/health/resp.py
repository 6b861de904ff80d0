"""The ``redis`` check: a few commands of the Redis protocol (RESP) over a socket: AUTH when
a password is given, SELECT for a database other than 0, then PING must answer PONG."""

from __future__ import annotations

import socket
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from kailash_cli.health.network import open_socket, port_of
from kailash_cli.health.spec import CheckFailed, Target

DEFAULT_PORT = 6379


class RedisReplyError(Exception):
    """The server answered with an error (``-ERR ...``)."""


def redis(target: Target) -> str:
    options = target.options
    if "url" in options:
        host, port, user, password, db = parse_redis_url(str(options["url"]))
    else:
        host, port = str(options["host"]), port_of(options.get("port", DEFAULT_PORT))
        user, password, db = None, options.get("password"), 0
    with open_socket(host, port, target.timeout) as sock:
        reader = sock.makefile("rb")
        if password:  # an empty one (redis://:${UNSET_IN_DEV}@...) means no AUTH
            _expect(sock, reader, ["AUTH", *([user] if user else []), str(password)], "OK", "AUTH")
        if db:
            _expect(sock, reader, ["SELECT", str(db)], "OK", f"SELECT {db}")
        _expect(sock, reader, ["PING"], "PONG", "PING")
    return f"PONG from {host}:{port}" + (f" (db {db})" if db else "")


def parse_redis_url(url: str) -> tuple[str, int, str | None, str | None, int]:
    """``redis://[[user]:password@]host[:port][/db]`` -> host, port, user, password, db."""
    parts = urlsplit(url)
    if parts.scheme == "rediss":
        raise CheckFailed("TLS (rediss://) is not supported by the redis check; use a tcp check")
    if parts.scheme != "redis" or not parts.hostname:
        raise CheckFailed(
            "url must be redis://host[:port][/db], with [user]:password@ before the host for AUTH"
        )
    try:
        port = parts.port or DEFAULT_PORT
        db = int(parts.path.strip("/") or 0)
    except ValueError:
        raise CheckFailed("url: the port and the /db of a redis URL are numbers") from None
    password = unquote(parts.password) if parts.password is not None else None
    user = unquote(parts.username) if parts.username else None
    return parts.hostname, port, user, password, db


def command(sock: socket.socket, reader: BinaryIO, args: list[str]) -> str | int | None | list[object]:
    """Send one command, return its reply; RedisReplyError for an error reply."""
    encoded = [a.encode() for a in args]
    payload = b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in encoded)
    sock.sendall(payload)
    return _reply(reader)


def _reply(reader: BinaryIO) -> str | int | None | list[object]:
    line = reader.readline()
    if not line.endswith(b"\r\n"):
        raise CheckFailed("the server closed the connection" if not line else "not a Redis server")
    kind, text = line[:1], line[1:-2].decode(errors="replace")
    if kind == b"+":
        return text
    if kind == b"-":
        raise RedisReplyError(text)
    if kind == b":":
        return int(text)
    if kind == b"$":
        return None if int(text) < 0 else reader.read(int(text) + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        return None if int(text) < 0 else [_reply(reader) for _ in range(int(text))]
    raise CheckFailed(f"not a Redis server (it answered {line[:40]!r})")


def _expect(sock: socket.socket, reader: BinaryIO, args: list[str], wanted: str, what: str) -> None:
    try:
        reply = command(sock, reader, args)
    except RedisReplyError as e:
        raise CheckFailed(f"{what} refused: {e}") from None
    except TimeoutError:
        raise CheckFailed(f"no answer to {what} within {sock.gettimeout():g} s") from None
    except OSError as e:
        raise CheckFailed(f"{what} failed: {e.strerror or e}") from None
    if reply != wanted:
        raise CheckFailed(f"{what} answered {reply!r}, expected {wanted}")
