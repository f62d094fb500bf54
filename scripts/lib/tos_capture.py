#!/usr/bin/env python3
"""Watches one interface for UDP packets to a port and reports their IPv4 TOS byte (passtos tests).

Prints "capturing" once the raw socket is open, then one "src=A tos=0xNN" line per new (source, TOS)
pair; exits 0 at the first packet from SOURCE with TOS WANTED, 1 after TIMEOUT seconds without one.
Only reads packets (AF_PACKET, root, inside the test's network namespace).
"""
import socket
import struct
import sys
import time


def main():
    interface, port, source, wanted, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4], 0), float(sys.argv[5])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0800))
    s.bind((interface, 0))
    s.settimeout(0.5)
    print("capturing", flush=True)
    seen = set()
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        ip = frame[14:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        if struct.unpack("!H", ip[ihl + 2:ihl + 4])[0] != port:
            continue
        src, tos = socket.inet_ntoa(ip[12:16]), ip[1]
        if (src, tos) not in seen:
            seen.add((src, tos))
            print(f"src={src} tos=0x{tos:02x}", flush=True)
        if src == source and tos == wanted:
            print("found", flush=True)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
