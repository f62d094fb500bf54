#!/usr/bin/env python3
"""Verified TCP transfer for the swvpnd integration tests and demo.

One side listens, the other connects; either side may be the sender. The
sender writes N bytes of a deterministic pseudo-random stream (seeded), the
receiver hashes what arrives. Both print one line:
    role=send|recv bytes=N sha256=HEX
and the receiver additionally checks the bytes against the regenerated stream
(exit 3 on mismatch), so corruption is caught even if the caller only looks at
the exit status.
"""
import argparse
import hashlib
import random
import socket
import sys
import time

CHUNK = 65536


def stream(seed, total, compressible=False):
    rng = random.Random(seed)
    left = total
    while left > 0:
        n = min(CHUNK, left)
        # compressible: a seeded 64-byte motif repeated, which LZO and LZ4 shrink.
        yield (rng.randbytes(64) * (n // 64 + 1))[:n] if compressible else rng.randbytes(n)
        left -= n


def send(sock, seed, total, compressible):
    h = hashlib.sha256()
    sent = 0
    for block in stream(seed, total, compressible):
        sock.sendall(block)
        h.update(block)
        sent += len(block)
    sock.shutdown(socket.SHUT_WR)
    # Wait for the receiver to close so its hash is final before we report.
    while sock.recv(CHUNK):
        pass
    print(f"role=send bytes={sent} sha256={h.hexdigest()}", flush=True)
    return 0


def recv(sock, seed, total, compressible):
    h = hashlib.sha256()
    expected = hashlib.sha256()
    for block in stream(seed, total, compressible):
        expected.update(block)
    got = 0
    while True:
        data = sock.recv(CHUNK)
        if not data:
            break
        h.update(data)
        got += len(data)
    sock.close()
    print(f"role=recv bytes={got} sha256={h.hexdigest()}", flush=True)
    if got != total or h.digest() != expected.digest():
        print(f"MISMATCH: expected bytes={total} sha256={expected.hexdigest()}", file=sys.stderr, flush=True)
        return 3
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["listen", "connect"])
    p.add_argument("--host", required=True, help="bind address (listen) or peer address (connect)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--role", choices=["send", "recv"], required=True)
    p.add_argument("--bytes", type=int, default=20 * 1024 * 1024)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--compressible", action="store_true", help="a repeated seeded motif instead of random bytes")
    a = p.parse_args()

    if a.mode == "listen":
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((a.host, a.port))
        srv.listen(1)
        srv.settimeout(a.timeout)
        print("listening", file=sys.stderr, flush=True)
        sock, _ = srv.accept()
        srv.close()
    else:
        deadline = time.monotonic() + a.timeout
        while True:
            try:
                sock = socket.create_connection((a.host, a.port), timeout=2.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    sock.settimeout(a.timeout)
    if a.role == "send":
        return send(sock, a.seed, a.bytes, a.compressible)
    return recv(sock, a.seed, a.bytes, a.compressible)


if __name__ == "__main__":
    sys.exit(main())
