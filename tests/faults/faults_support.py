"""A raw loopback HTTP server for the misbehaviours a well-behaved server library cannot produce:
bodies cut short, stalls, wrong Content-Length, broken chunking, non-HTTP bytes, resets.

Each connection reads the request head, then hands the socket to `behave(path, conn)`. The server
counts requests, so tests can assert that retries are bounded. Only 127.0.0.1 is ever used.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Behaviour = Callable[[str, socket.socket], None]


class RawServer:
    def __init__(self, behave: Behaviour, read_head: bool = True) -> None:
        self.behave = behave
        self.read_head = read_head  # False: answer at once (a TLS client's hello has no HTTP head)
        self.paths: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if not self.read_head:
                self.paths.append("")
                self.behave("", conn)
                return
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            parts = head.split(b" ", 2)
            path = parts[1].decode("latin-1") if len(parts) > 1 else ""
            self.paths.append(path)
            self.behave(path, conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(timeout=2)


@contextmanager
def raw_server(behave: Behaviour, read_head: bool = True) -> Iterator[RawServer]:
    server = RawServer(behave, read_head)
    try:
        yield server
    finally:
        server.close()


def head(status: str = "200 OK", **headers: str | int) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def cut_mid_body(body: bytes, announced: int) -> Behaviour:
    def behave(_path: str, conn: socket.socket) -> None:
        conn.sendall(head(Content_Length=announced) + body)

    return behave


def stall_after(data: bytes, seconds: float = 1.5) -> Behaviour:
    def behave(_path: str, conn: socket.socket) -> None:
        conn.sendall(data)
        time.sleep(seconds)

    return behave


def send(data: bytes) -> Behaviour:
    def behave(_path: str, conn: socket.socket) -> None:
        conn.sendall(data)

    return behave


def reset(_path: str, conn: socket.socket) -> None:
    """Close with an RST instead of a FIN (SO_LINGER 0): 'Connection reset by peer'."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
