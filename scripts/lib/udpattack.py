#!/usr/bin/env python3
"""Attack traffic for the swvpnd fault tests.

capture: sniff UDP payloads on an interface (AF_PACKET, both directions) whose
         ports match, write them as hex lines; exits after --count packets.
flood:   send garbage at a target: random bytes of every length in
         [--min-len, --max-len], then for each captured packet a verbatim
         replay, truncated copies and one-byte flips. --bind picks the source
         (a spoofed peer address works if it is configured locally).
replay:  send each captured packet once, verbatim and in order (from --bind).
blast:   send --count UDP datagrams of --size bytes (plain traffic generator).
Every mode prints one summary line to stderr.
"""
import argparse
import random
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def capture(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    s.settimeout(0.5)
    print("capturing", file=sys.stderr, flush=True)
    seen = []
    deadline = time.monotonic() + a.timeout
    while len(seen) < a.count and time.monotonic() < deadline:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        if len(frame) < 14 + 20 + 8 or struct.unpack("!H", frame[12:14])[0] != 0x0800:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:
            continue
        total = struct.unpack("!H", ip[2:4])[0]
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        if sport != a.sport or dport != a.dport:
            continue
        if a.src and socket.inet_ntoa(ip[12:16]) != a.src:
            continue
        seen.append(ip[ihl + 8:total])
    with open(a.out, "w") as f:
        for p in seen:
            f.write(p.hex() + "\n")
    print(f"captured={len(seen)}", file=sys.stderr, flush=True)
    return 0 if len(seen) >= a.count else 1


def flood(a):
    rng = random.Random(a.seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.bind:
        s.bind(addr(a.bind))
    target = addr(a.target)
    captured = []
    if a.captured:
        with open(a.captured) as f:
            captured = [bytes.fromhex(line.strip()) for line in f if line.strip()]
    sent = 0

    def send(data):
        nonlocal sent
        for _ in range(50):
            try:
                s.sendto(data, target)
                sent += 1
                return
            except BlockingIOError:
                time.sleep(0.001)
            except OSError as e:  # ENOBUFS and friends: back off, never give up silently
                print(f"send error {e}", file=sys.stderr, flush=True)
                time.sleep(0.01)

    for _ in range(a.rounds):
        for n in range(a.min_len, a.max_len + 1):
            send(rng.randbytes(n))
            if n % 200 == 0:
                time.sleep(0.002)  # let the receiver keep up: we test handling, not socket overflow
        for p in captured:
            send(p)
            for cut in sorted({0, 1, 4, 8, 16, 20, 24, 28, 32, 36, 48, len(p) // 2, len(p) - 1}):
                if 0 <= cut < len(p):
                    send(p[:cut])
            i = rng.randrange(len(p))
            send(p[:i] + bytes([p[i] ^ (1 << rng.randrange(8))]) + p[i + 1:])
            send(p + rng.randbytes(16))
    print(f"flood sent={sent}", file=sys.stderr, flush=True)
    return 0


def replay(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.bind:
        s.bind(addr(a.bind))
    with open(a.captured) as f:
        captured = [bytes.fromhex(line.strip()) for line in f if line.strip()]
    for p in captured:
        s.sendto(p, addr(a.target))
        time.sleep(0.01)
    print(f"replay sent={len(captured)}", file=sys.stderr, flush=True)
    return 0


def blast(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = addr(a.target)
    payload = bytes(a.size)
    for i in range(a.count):
        try:
            s.sendto(payload, target)
        except OSError:
            pass
        if i % 100 == 99:
            time.sleep(0.005)
    print(f"blast sent={a.count}", file=sys.stderr, flush=True)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--iface", required=True)
    c.add_argument("--sport", type=int, required=True)
    c.add_argument("--dport", type=int, required=True)
    c.add_argument("--src", help="only packets from this IPv4 source")
    c.add_argument("--count", type=int, default=8)
    c.add_argument("--timeout", type=float, default=20)
    c.add_argument("--out", required=True)
    f = sub.add_parser("flood")
    f.add_argument("--target", required=True)
    f.add_argument("--bind")
    f.add_argument("--captured")
    f.add_argument("--rounds", type=int, default=1)
    f.add_argument("--min-len", type=int, default=0)
    f.add_argument("--max-len", type=int, default=2000)
    f.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("replay")
    r.add_argument("--target", required=True)
    r.add_argument("--bind")
    r.add_argument("--captured", required=True)
    b = sub.add_parser("blast")
    b.add_argument("--target", required=True)
    b.add_argument("--count", type=int, default=1000)
    b.add_argument("--size", type=int, default=1000)
    a = p.parse_args()
    return {"capture": capture, "flood": flood, "replay": replay, "blast": blast}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
