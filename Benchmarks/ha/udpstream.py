#!/usr/bin/env python3
"""One end of a 100 pps UDP sequence stream, both ways: sends to PEER:PORT from LOCAL:PORT and logs
every receive gap longer than 50 ms as "GAP-START GAP-END LOST" (wall-clock seconds, lost sequence
numbers) to LOG; the longest gap across a fault is its traffic outage.

usage: udpstream.py LOCAL PEER PORT LOG
"""
import socket
import struct
import sys
import threading
import time


def main():
    local, peer, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((local, port))
    out = open(log, "a", buffering=1)

    def send():
        seq, t0 = 0, time.time()
        while True:
            seq += 1
            try:
                s.sendto(struct.pack("!Q", seq), (peer, port))
            except OSError:
                pass  # no route for a moment: that is the outage being measured
            time.sleep(max(0.0, t0 + seq * 0.01 - time.time()))

    threading.Thread(target=send, daemon=True).start()
    last_t, last_seq = None, 0
    while True:
        data, _ = s.recvfrom(64)
        now = time.time()
        (seq,) = struct.unpack("!Q", data[:8])
        if last_t is None:
            out.write(f"first {now:.3f}\n")
        elif now - last_t > 0.05:
            out.write(f"{last_t:.3f} {now:.3f} {max(0, seq - last_seq - 1)}\n")
        last_t, last_seq = now, max(seq, last_seq)


if __name__ == "__main__":
    main()
