#!/usr/bin/env python3
"""Garbage UDP datagrams at a fixed rate with a chosen (spoofed) source address and port.

Used by Benchmarks/flood/run.sh inside a network namespace it created: the datagrams are built
with IP_HDRINCL on a raw socket, so they can carry the tunnel peer's own address and port (each
one then passes the source check and costs the receiver an HMAC) or a foreign port (dropped
before any crypto). Sends for --seconds, paced in bursts so the average rate is --rate per
second, and prints what it really sent (a loaded machine may fall short of the rate).
"""
import argparse
import os
import socket
import struct
import sys
import time


def ipv4_checksum(header: bytes) -> int:
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def datagram(src: str, sport: int, dst: str, dport: int, payload: bytes, ident: int) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # UDP checksum 0: none (IPv4)
    fields = [0x45, 0, 20 + len(udp), ident & 0xFFFF, 0, 64, socket.IPPROTO_UDP, 0,
              socket.inet_aton(src), socket.inet_aton(dst)]
    header = struct.pack("!BBHHHBBH4s4s", *fields)
    fields[7] = ipv4_checksum(header)
    return struct.pack("!BBHHHBBH4s4s", *fields) + udp


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--src", required=True, help="source IPv4 address:port written into each datagram")
    p.add_argument("--dst", required=True, help="destination IPv4 address:port")
    p.add_argument("--rate", type=int, default=50_000, help="datagrams per second [50000]")
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--size", type=int, default=120, help="payload bytes: a short data packet's size [120]")
    a = p.parse_args()
    src, sport = a.src.rsplit(":", 1)
    dst, dport = a.dst.rsplit(":", 1)
    # A pool of distinct random packets: the receiver cannot cache anything, the sender spends no
    # time on randomness while it sends.
    pool = [datagram(src, int(sport), dst, int(dport), os.urandom(a.size), i) for i in range(4096)]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    target = (dst, 0)
    burst = max(1, a.rate // 1000)  # one burst per millisecond
    sent = errors = 0
    start = time.monotonic()
    end = start + a.seconds
    i = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * a.rate)
        while sent < due:
            try:
                s.sendto(pool[i & 4095], target)
                sent += 1
            except OSError:
                errors += 1
                break
            i += 1
        time.sleep(burst / a.rate / 2)
    elapsed = time.monotonic() - start
    print(f"flood sent={sent} seconds={elapsed:.2f} rate={sent / elapsed:.0f}/s errors={errors}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
