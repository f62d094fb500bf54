#!/usr/bin/env python3
"""A stand-in for /dev/log in tests: binds a unix datagram socket at PATH and prints every message
it receives, one per line, until killed. Prints "listening" once bound."""
import os
import socket
import sys

path = sys.argv[1]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
print("listening", flush=True)
while True:
    data = s.recv(65536)
    print(data.decode("utf-8", "replace").rstrip("\n"), flush=True)
