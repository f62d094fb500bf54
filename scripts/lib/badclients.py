#!/usr/bin/env python3
"""Misbehaving clients for swvpnd's health and management listeners (integration tests).

Each mode prints one JSON object: what the server answered and how long it kept the connection.
  garbage   HOST PORT [S]    random bytes then a blank line (watch S seconds, default 15)
  slow      HOST PORT        a request, one byte per second
  oversized HOST PORT        16 KiB of request head
  flood     HOST PORT N [S]  N connections at once that send nothing (watch S seconds, default 20)
  load      HOST HTTP MGMT S for S seconds, from one process: GET /metrics 20 times a second, and 20
                             slow clients on each port, re-opened as the server closes them
"""
import json, os, socket, sys, time


def read_until_closed(s, limit):
    """Reads until EOF or `limit` seconds; returns (bytes, seconds, closed)."""
    start = time.time()
    data = b""
    s.settimeout(0.2)
    while time.time() - start < limit:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return data, time.time() - start, True
        if not chunk:
            return data, time.time() - start, True
        data += chunk
    return data, time.time() - start, False


def first_line(data):
    return data.split(b"\n", 1)[0].decode(errors="replace").strip()


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "garbage":
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(os.urandom(200).replace(b"\n", b"x") + b"\r\n\r\n")
        data, secs, closed = read_until_closed(s, float(sys.argv[4]) if len(sys.argv) > 4 else 15)
        print(json.dumps({"closed": closed, "seconds": secs, "reply": first_line(data)}))
    elif mode == "slow":
        s = socket.create_connection((host, port), timeout=5)
        s.settimeout(0.05)
        start = time.time()
        request = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 100
        closed, data = False, b""
        for b in request:
            try:
                s.send(bytes([b]))
            except OSError:
                closed = True
                break
            t = time.time()
            while time.time() - t < 1.0:
                try:
                    chunk = s.recv(65536)
                    if not chunk:
                        closed = True
                        break
                    data += chunk
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
                    break
            if closed or time.time() - start > 30:
                break
        print(json.dumps({"closed": closed, "seconds": time.time() - start, "reply": first_line(data)}))
    elif mode == "oversized":
        s = socket.create_connection((host, port), timeout=5)
        try:
            s.sendall(b"GET /health HTTP/1.1\r\n" + b"X-Big: " + b"b" * 16384 + b"\r\n\r\n")
        except OSError:
            pass
        data, secs, closed = read_until_closed(s, 15)
        print(json.dumps({"closed": closed, "seconds": secs, "reply": first_line(data)}))
    elif mode == "flood":
        n = int(sys.argv[4])
        watch = float(sys.argv[5]) if len(sys.argv) > 5 else 20
        conns = []
        for _ in range(n):
            try:
                conns.append(socket.create_connection((host, port), timeout=5))
            except OSError:
                pass
        start = time.time()
        open_after = {}
        pending = list(conns)
        closed_at = []
        while pending and time.time() - start < watch:
            for s in list(pending):
                s.setblocking(False)
                try:
                    chunk = s.recv(65536)
                    if not chunk:
                        closed_at.append(time.time() - start)
                        pending.remove(s)
                except BlockingIOError:
                    pass
                except OSError:
                    closed_at.append(time.time() - start)
                    pending.remove(s)
            if 1.0 <= time.time() - start and "1s" not in open_after:
                open_after["1s"] = len(pending)
            time.sleep(0.05)
        print(json.dumps({"connected": len(conns), "held_after_1s": open_after.get("1s", len(pending)),
                          "still_open": len(pending), "last_close_seconds": max(closed_at) if closed_at else None}))
    elif mode == "load":
        mgmt, seconds = int(sys.argv[4]), float(sys.argv[5])
        slow = {}
        start = next_scrape = time.time()
        scrapes = refused = 0
        while time.time() - start < seconds:
            for key in [("h", i) for i in range(20)] + [("m", i) for i in range(20)]:
                s = slow.get(key)
                try:
                    if s is None:
                        s = socket.create_connection((host, port if key[0] == "h" else mgmt), timeout=1)
                        s.setblocking(False)
                        slow[key] = s
                    s.send(b"G")
                    if s.recv(65536) == b"":
                        raise OSError
                except BlockingIOError:
                    pass
                except OSError:
                    if s is not None:
                        s.close()
                    slow.pop(key, None)
            while time.time() < min(start + seconds, next_scrape + 1.0):
                try:
                    c = socket.create_connection((host, port), timeout=2)
                    c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                    reply = b""
                    while True:
                        d = c.recv(65536)
                        if not d:
                            break
                        reply += d
                    c.close()
                    if reply.startswith(b"HTTP/1.1 200"):
                        scrapes += 1
                    else:
                        refused += 1
                except OSError:
                    refused += 1
                next_scrape += 0.05
                time.sleep(max(0, next_scrape - time.time()))
        print(json.dumps({"scrapes": scrapes, "scrapes_refused": refused, "seconds": time.time() - start}))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
