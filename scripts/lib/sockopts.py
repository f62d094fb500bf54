#!/usr/bin/env python3
"""Prints the tunnel socket options of every IP socket a running process holds, one line each:

    tcp-listen 0.0.0.0:1194 - mark=42 dev=inet0 pmtudisc=2 tos=0x00
    tcp 10.77.0.1:1194 10.77.0.2:40312 mark=42 dev=inet0 pmtudisc=2 tos=0xb8

(kind local peer; pmtudisc is IP_MTU_DISCOVER, or IPV6_MTU_DISCOVER on an IPv6 socket: 0 don't,
1 want, 2 do). The sockets are read through pidfd_getfd(2), which duplicates the process's fd into
this one: the same socket, whatever network namespace it lives in. Needs root (ptrace access) and
Linux 5.6+. Usage: sockopts.py PID
"""
import ctypes
import os
import socket
import sys

SYS_PIDFD_GETFD = 438  # the same number on every architecture
IP_MTU_DISCOVER = 10
IPV6_MTU_DISCOVER = 23


def address(sock, peer):
    try:
        a = sock.getpeername() if peer else sock.getsockname()
    except OSError:
        return "-"
    host = f"[{a[0]}]" if sock.family == socket.AF_INET6 else a[0]
    return f"{host}:{a[1]}"


def describe(sock):
    if sock.type == socket.SOCK_DGRAM:
        kind = "udp"
    elif sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        kind = "tcp-listen"
    else:
        kind = "tcp"
    mark = sock.getsockopt(socket.SOL_SOCKET, socket.SO_MARK)
    dev = sock.getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, 16).split(b"\0")[0].decode() or "-"
    if sock.family == socket.AF_INET6:
        pmtu = sock.getsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER)
    else:
        pmtu = sock.getsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER)
    tos = sock.getsockopt(socket.IPPROTO_IP, socket.IP_TOS)
    return f"{kind} {address(sock, False)} {address(sock, True)} mark={mark} dev={dev} pmtudisc={pmtu} tos=0x{tos:02x}"


def main():
    pid = int(sys.argv[1])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    pidfd = os.pidfd_open(pid)
    lines = []
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                continue
        except OSError:
            continue  # closed meanwhile
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
        if fd < 0:
            continue  # closed meanwhile
        sock = socket.socket(fileno=fd)
        try:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type in (
                socket.SOCK_STREAM,
                socket.SOCK_DGRAM,
            ):
                lines.append(describe(sock))
        finally:
            sock.close()  # our duplicate only
    print("\n".join(sorted(lines)))


if __name__ == "__main__":
    main()
