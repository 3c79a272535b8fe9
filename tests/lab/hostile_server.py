"""A hostile real server for health-check lab tests: one TCP port, one misbehaviour.

    hostile_server.py MODE PORT STATS_FILE [CERT KEY]

MODE is one of
    drip              HTTP headers at once, then one body byte every 0.5 s, forever
    endless-body      HTTP headers, then body bytes as fast as the client reads them
    endless-headers   an HTTP status line, then one header line every 0.1 s, forever
    endless-greeting  an SMTP greeting of continuation lines ("220-..."), as fast as read
    tls-reset         over TLS (CERT, KEY): headers with Content-Length 100, the 7 bytes
                      "partial", then a TCP reset

Every connection is served on its own thread. STATS_FILE is rewritten (JSON) after every
change: {"accepted": N, "open": N, "sent": BYTES}.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

MODE, PORT, STATS = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
stats = {"accepted": 0, "open": 0, "sent": 0}


def update(**delta: int) -> None:
    with lock:
        for k, v in delta.items():
            stats[k] += v
        tmp = STATS + ".tmp"
        with open(tmp, "w") as f:
            json.dump(stats, f)
        os.replace(tmp, STATS)


def send(conn, data: bytes) -> None:
    conn.sendall(data)
    update(sent=len(data))


def read_request(conn) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk


def serve(conn) -> None:
    if MODE == "drip":
        read_request(conn)
        send(conn, b"HTTP/1.0 200 OK\r\n\r\n")
        while True:
            time.sleep(0.5)
            send(conn, b"x")
    elif MODE == "endless-body":
        read_request(conn)
        send(conn, b"HTTP/1.0 200 OK\r\n\r\n")
        block = b"x" * 65536
        while True:
            send(conn, block)
    elif MODE == "endless-headers":
        read_request(conn)
        send(conn, b"HTTP/1.0 200 OK\r\n")
        n = 0
        while True:
            time.sleep(0.1)
            n += 1
            send(conn, b"X-Header-%d: more\r\n" % n)
    elif MODE == "endless-greeting":
        line = b"220-still greeting you\r\n"
        while True:
            send(conn, line * 256)
    elif MODE == "tls-reset":
        read_request(conn)
        send(conn, b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        time.sleep(0.1)
        # Closing with a zero linger time sends a reset (and no close_notify).
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        raise SystemExit(f"unknown mode {MODE}")


def handle(conn) -> None:
    update(accepted=1, open=1)
    try:
        serve(conn)
    except (OSError, ConnectionError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass
        update(open=-1)


def main() -> None:
    context = None
    if MODE == "tls-reset":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[4], sys.argv[5])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", PORT))
    listener.listen(64)
    update()
    while True:
        conn, _ = listener.accept()
        if context is not None:
            try:
                conn = context.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                continue
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
