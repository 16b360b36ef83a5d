#!/usr/bin/python3
"""python-fido2 (an independent CTAP client) packs, unpacks, reads and writes large blobs.

Offline modes (no key; python-fido2's own code against an in-memory authenticatorLargeBlobs):
  large_blobs.py pack KEY DATA               an entry as python-fido2 writes it (zlib-wrapped), as CBOR hex
  large_blobs.py unpack KEY ENTRY            python-fido2's _lb_unpack of a CBOR-hex entry, then raw
                                             DEFLATE (RFC 1951) inflation; prints {"data", "origSize"}
  large_blobs.py put KEY DATA MAXMSG [ARRAY] LargeBlobs.put_blob against a fake key holding ARRAY
                                             (serialized, hex; default the initial array); prints the
                                             serialized array written and each request as JSON
  large_blobs.py read ARRAY MAXMSG           LargeBlobs.read_blob_array over the fake key; prints the
                                             requests and each element as CBOR hex

KEY, DATA, ARRAY and ENTRY are hex.
"""
import json
import sys
import zlib

from fido2 import cbor
from fido2.ctap2.blob import LargeBlobs, _lb_pack, _lb_unpack

INITIAL = bytes.fromhex("8076be8b528d0075f7aae98d6fa57a6d3c")


class FakeInfo:
    def __init__(self, max_msg_size):
        self.options = {"largeBlobs": True}
        self.max_msg_size = max_msg_size


class FakeCtap:
    """Just enough of Ctap2.large_blobs: a byte store, and a log of what was asked."""

    def __init__(self, stored, max_msg_size):
        self.info = FakeInfo(max_msg_size)
        self.stored = stored
        self.pending = b""
        self.requests = []

    def large_blobs(self, offset, get=None, set=None, length=None, pin_uv_param=None, pin_uv_protocol=None):
        if get is not None:
            self.requests.append({"get": get, "offset": offset})
            return {1: self.stored[offset : offset + get]}
        self.requests.append({"set": len(set), "offset": offset, "length": length})
        if offset == 0:
            self.pending = b""
        self.pending += set
        self.stored = self.pending
        return {}


def main(argv):
    mode = argv[1]
    if mode == "pack":
        print(cbor.encode(_lb_pack(bytes.fromhex(argv[2]), bytes.fromhex(argv[3]))).hex())
    elif mode == "unpack":
        entry = cbor.decode(bytes.fromhex(argv[3]))
        compressed, orig_size = _lb_unpack(bytes.fromhex(argv[2]), entry)
        data = zlib.decompress(compressed, -15)
        print(json.dumps({"data": data.hex(), "origSize": orig_size}))
    elif mode == "put":
        stored = bytes.fromhex(argv[5]) if len(argv) > 5 else INITIAL
        fake = FakeCtap(stored, int(argv[4]))
        LargeBlobs(fake).put_blob(bytes.fromhex(argv[2]), bytes.fromhex(argv[3]))
        print(json.dumps({"serialized": fake.stored.hex(), "requests": fake.requests}))
    elif mode == "read":
        fake = FakeCtap(bytes.fromhex(argv[2]), int(argv[3]))
        items = LargeBlobs(fake).read_blob_array()
        print(json.dumps({"items": [cbor.encode(i).hex() for i in items], "requests": fake.requests}))
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)
