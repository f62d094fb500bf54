#!/usr/bin/env python3
"""Userspace UDP relay between two point-to-point peers, with seeded faults.

Peer A talks to --a-listen and believes that is its remote; peer B talks to
--b-listen. Datagrams from A are forwarded to --b-peer out of the B socket and
vice versa, so each peer sees a fixed remote address (openvpn drops packets
from unexpected sources unless --float).

Faults are drawn from random.Random(--seed), so a run is reproducible for a
given packet sequence: --loss, --dup, --corrupt (flip one byte), --reorder
(hold one packet back and send it after the next one in the same direction).
Counters are printed to stderr on SIGTERM/SIGINT and every --stats seconds.
"""
import argparse
import random
import select
import signal
import socket
import sys
import time


def addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--a-listen", type=addr, required=True)
    p.add_argument("--a-peer", type=addr, required=True)
    p.add_argument("--b-listen", type=addr, required=True)
    p.add_argument("--b-peer", type=addr, required=True)
    p.add_argument("--loss", type=float, default=0.0)
    p.add_argument("--dup", type=float, default=0.0)
    p.add_argument("--corrupt", type=float, default=0.0)
    p.add_argument("--reorder", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stats", type=float, default=0.0)
    p.add_argument("--fault-dir", choices=["both", "to-a", "to-b"], default="both",
                   help="apply faults only to datagrams travelling towards that peer")
    a = p.parse_args()

    rng = random.Random(a.seed)
    sa = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sa.bind(a.a_listen)
    sb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sb.bind(a.b_listen)
    # direction key -> (out socket, destination, expected source)
    route = {sa: (sb, a.b_peer, a.a_peer), sb: (sa, a.a_peer, a.b_peer)}
    held = {sa: None, sb: None}
    stats = {k: 0 for k in ("in", "out", "lost", "dup", "corrupt", "reordered", "foreign")}
    running = [True]

    def report(*_):
        print("relay " + " ".join(f"{k}={v}" for k, v in stats.items()), file=sys.stderr, flush=True)

    def stop(*_):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"relay ready a={a.a_listen} b={a.b_listen}", file=sys.stderr, flush=True)
    next_stats = time.monotonic() + a.stats if a.stats > 0 else None

    while running[0]:
        try:
            ready, _, _ = select.select([sa, sb], [], [], 0.5)
        except InterruptedError:
            continue
        for s in ready:
            data, src = s.recvfrom(65535)
            out, dst, expected = route[s]
            if src != expected:
                stats["foreign"] += 1
                continue
            stats["in"] += 1
            if a.fault_dir != "both" and (s is sb) != (a.fault_dir == "to-a"):
                out.sendto(data, dst)
                stats["out"] += 1
                continue
            if rng.random() < a.loss:
                stats["lost"] += 1
                continue
            if rng.random() < a.corrupt and data:
                i = rng.randrange(len(data))
                data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
                stats["corrupt"] += 1
            copies = 2 if rng.random() < a.dup else 1
            if copies == 2:
                stats["dup"] += 1
            if held[s] is None and rng.random() < a.reorder:
                held[s] = (data, copies)
                stats["reordered"] += 1
                continue
            for _ in range(copies):
                out.sendto(data, dst)
                stats["out"] += 1
            if held[s] is not None:
                old, n = held[s]
                held[s] = None
                for _ in range(n):
                    out.sendto(old, dst)
                    stats["out"] += 1
        if next_stats and time.monotonic() >= next_stats:
            report()
            next_stats = time.monotonic() + a.stats
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
