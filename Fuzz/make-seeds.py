#!/usr/bin/env python3
"""Regenerates the seed corpora under Fuzz/Corpus from the golden vectors and the config corpus.

Run from the repository root after the vectors change: python3 Fuzz/make-seeds.py
"""
import ctypes
import glob
import hashlib
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "Tests/SwvpnProtocolTests/Vectors")
OUT = os.path.join(ROOT, "Fuzz/Corpus")

# Vector set -> {sender: inbound suite index (Fuzz/Targets/inbound.swift) that receives it}.
INBOUND = {
    "default-bf-cbc-sha1-udp": {"A": 0, "B": 0},
    "aes-256-cbc-sha256-keydir-udp": {"B": 1, "A": 2},
    "aes-128-cbc-sha512-complzo-no-inline-udp": {"B": 3},
    "aes-256-cbc-sha256-compress-stub-occ-mismatch-udp": {"B": 4},
    "aes-256-cbc-sha256-noreplay-fragment-udp": {"B": 5},
    "cipher-none-auth-none-udp": {"A": 6, "B": 6},
    "aes-256-cbc-sha256-keydir-tcp": {"B": 7},
}
DIGEST = {"SHA1": 20, "SHA256": 32, "SHA512": 64, "none": 0}


# roundtrip suites: (CipherSpec.all index, DigestSpec.all index, flags, fragment byte); see
# Fuzz/Targets/roundtrip.swift for the flag bits.
ROUNDTRIP = [
    (4, 4, 0x01, 0),     # AES-256-CBC / SHA256, key direction
    (1, 2, 0x00, 0),     # BF-CBC / SHA1, openvpn's defaults
    (2, 6, 0x16, 0),     # AES-128-CBC / SHA512, comp-lzo with LZO compression, key direction 1
    (4, 4, 0x1d, 0),     # compress lz4 (swap) with LZ4 compression
    (7, 5, 0x5f, 1),     # Camellia-256 / SHA384, lz4-v2, MSS clamp, TCP record headroom
    (4, 4, 0xa1, 124),   # no-replay, fragment 500
    (8, 1, 0xd4, 31),    # 3DES / MD5, comp-lzo, MSS clamp, fragment 128
    (0, 0, 0x00, 0),     # cipher none, auth none
]


def write(target, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def packets(vector_set):
    with open(os.path.join(VECTORS, vector_set, "packets.json")) as f:
        return json.load(f)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    inner = []
    occ_bodies = []
    for vector_set, receivers in sorted(INBOUND.items()):
        doc = packets(vector_set)
        mac = DIGEST[doc["auth"]]
        for p in doc["packets"]:
            wire = bytes.fromhex(p["wire_hex"])
            plain = bytes.fromhex(p["decrypted_payload_hex"])
            if p.get("inner_packet_hex"):
                inner.append(bytes.fromhex(p["inner_packet_hex"]))
            if p.get("occ_options_string"):
                occ_bodies.append(b"\x01" + p["occ_options_string"].encode() + b"\x00")
            suite = receivers.get(p["sender"])
            if suite is None:
                continue
            write("inbound", bytes([suite, 0]) + wire)
            if mac:
                write("inbound", bytes([suite, 1]) + wire[mac:])
            write("inbound", bytes([suite, 2]) + struct.pack(">H", len(plain)) + plain)
    # Suites without captured traffic: sealed inner packets (their framings differ, which is the point).
    for suite in range(8, 12):
        for packet in inner[:6]:
            write("inbound", bytes([suite, 2]) + struct.pack(">H", len(packet)) + packet)

    with open(os.path.join(VECTORS, "aes-256-cbc-sha256-keydir-tcp/tcp_stream_records.hex")) as f:
        stream = bytes.fromhex("".join(f.read().split()))
    for chunk_seed in (0, 7, 255):
        write("tcp-record", bytes([0x06, 0x40, 0x06, 0x40, chunk_seed]) + stream[:3000])
    write("tcp-record", bytes([0x00, 0x10, 0xff, 0xff, 3]) + b"\x00\x08" + bytes(8) + b"\x00\x11" + bytes(17))

    confs = sorted(glob.glob(os.path.join(ROOT, "Tests/SwvpnConfigTests/Corpus/*/*.conf"))
                   + glob.glob(os.path.join(VECTORS, "*/peer-*.conf"))
                   + glob.glob(os.path.join(ROOT, "Tests/IntegrationTests/CheckConfigCorpus/*.conf")))
    for path in confs:
        with open(path, "rb") as f:
            data = f.read()
        if data[:1] >= b"\xf0":
            data = b"#" + data
        write("config", data)
    write("config", b"\xf0" + b"\x00".join([b"--dev", b"tun", b"--secret", b"static.key", b"1",
                                              b"--proto", b"tcp-server", b"--tun-mtu", b"9000"]))
    write("config", b"dev tun\nsecret static.key\nconfig inc.conf\nconfig loop.conf\n")

    with open(os.path.join(VECTORS, "static.key"), "rb") as f:
        key = f.read()
    write("keyfile", key)
    write("keyfile", key[: len(key) // 2])
    write("keyfile", b"# comment\r\n" + key.replace(b"\n", b"\r\n"))

    for body in occ_bodies[:8] + [b"\x00", b"\x06", b"\x02\x05\xdc", b"\x03" + bytes(40), b"\x04",
                                  b"\x05\x05\xdc\x05\xdc", b"\x01V4,dev-type tun\x1b[31m,\nfake\x00", b"\x09"]:
        write("occ", body)

    for suite, packet in zip(ROUNDTRIP * 2, inner[:2 * len(ROUNDTRIP)]):
        body = struct.pack(">H", len(packet)) + packet
        write("roundtrip", bytes(suite) + body + body)  # the same packet twice: the window moves on
    write("roundtrip", bytes(ROUNDTRIP[5]) + struct.pack(">H", 1500) + bytes(range(256)) * 6)

    # decompress: what liblz4 and liblzo2 make of the inner packets (raw mode, capacity 1500), and
    # plaintext for the round-trip mode.
    lz4 = ctypes.CDLL("liblz4.so.1")
    lzo = ctypes.CDLL("liblzo2.so.2")
    for packet in inner[:4] + [bytes(1000), b"abc" * 300]:
        out = ctypes.create_string_buffer(len(packet) * 2 + 64)
        n = lz4.LZ4_compress_default(packet, out, len(packet), len(out))
        write("decompress", bytes([1, 0x05, 0xdc]) + out.raw[:n])
        size = ctypes.c_ulong(len(out))
        work = ctypes.create_string_buffer(1 << 17)  # LZO1X_1_MEM_COMPRESS on 64-bit
        if lzo.lzo1x_1_compress(packet, ctypes.c_ulong(len(packet)), out, ctypes.byref(size), work) == 0:
            write("decompress", bytes([0, 0x05, 0xdc]) + out.raw[:size.value])
        write("decompress", bytes([2, 0, 0]) + packet)
        write("decompress", bytes([3, 0, 0]) + packet)

    tcp = [p for p in inner if p[0] >> 4 == 4 and p[9] == 6] + [p for p in inner if p[0] >> 4 == 6 and p[6] == 6]
    for packet in tcp[:6] + inner[:2]:
        v6 = packet[0] >> 4 == 6
        ip = 40 if v6 else 20
        plain = bytes(10)
        partial = struct.pack("<BBHHHH", 1, 0, 0, 0, ip, 16)
        gso = struct.pack("<BBHHHH", 1, 4 if v6 else 1, ip + 32, 8, ip, 16)
        for header in (plain, partial, gso):
            write("offload", header + packet)


if __name__ == "__main__":
    main()
