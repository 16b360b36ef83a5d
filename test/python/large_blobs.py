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

Modes against a key served over TCP on 127.0.0.1:PORT:
  large_blobs.py create PORT PIN             sets PIN; makes discoverable credentials with largeBlobKey
                                             (a.example alice, b.example bob) and one without
                                             (c.example carol); prints them with their largeBlobKeys
  large_blobs.py store PORT PIN KEY DATA     LargeBlobs.put_blob with a token of permission lbw
  large_blobs.py fetch PORT KEY              read_blob_array, then the first entry KEY opens
                                             (_lb_unpack), inflated as raw DEFLATE or zlib;
                                             prints {"data", "format", "entries"} (data null if none)

KEY, DATA, ARRAY and ENTRY are hex.
"""
import base64
import hashlib
import os
import json
import sys
import zlib

from fido2 import cbor
from fido2.ctap2.blob import LargeBlobs, _lb_pack, _lb_unpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

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


PASSKEYS = [("a.example", b"alice-id", "alice", True), ("b.example", b"bob-id", "bob", True), ("c.example", b"carol-id", "carol", False)]


def b64u(data):
    return base64.urlsafe_b64encode(bytes(data)).decode().rstrip("=")


def served(port):
    from tcp_device import open_device
    from fido2.ctap2 import Ctap2

    dev = open_device("127.0.0.1", int(port))
    return dev, Ctap2(dev)


def create(ctap, pin):
    from fido2.ctap2.pin import ClientPin, PinProtocolV2

    protocol = PinProtocolV2()
    client_pin = ClientPin(ctap, protocol)
    client_pin.set_pin(pin)
    made = []
    for rp_id, user_id, name, with_key in PASSKEYS:
        # One token per makeCredential: it uses up the mc permission (CTAP 2.1 §6.1.2).
        token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, rp_id)
        cdh = hashlib.sha256(b"large blobs " + user_id).digest()
        att = ctap.make_credential(
            cdh,
            {"id": rp_id, "name": rp_id},
            {"id": user_id, "name": name},
            [{"type": "public-key", "alg": -7}],
            extensions={"largeBlobKey": True} if with_key else None,
            options={"rk": True},
            pin_uv_param=protocol.authenticate(token, cdh),
            pin_uv_protocol=protocol.VERSION,
        )
        key = att.large_blob_key
        made.append({"rp": rp_id, "user": name, "credentialId": b64u(att.auth_data.credential_data.credential_id),
                     "largeBlobKey": key.hex() if key else None})
    return made


def store(ctap, pin, key, data):
    from fido2.ctap2.pin import ClientPin, PinProtocolV2

    protocol = PinProtocolV2()
    token = ClientPin(ctap, protocol).get_pin_token(pin, ClientPin.PERMISSION.LARGE_BLOB_WRITE)
    LargeBlobs(ctap, protocol, token).put_blob(key, data)


def fetch(ctap, key):
    entries = LargeBlobs(ctap).read_blob_array()
    for entry in entries:
        try:
            compressed, orig_size = _lb_unpack(key, entry)
        except ValueError:
            continue
        for fmt, wbits in (("raw", -15), ("zlib", 15)):
            try:
                data = zlib.decompress(compressed, wbits)
            except zlib.error:
                continue
            if len(data) == orig_size:
                return {"data": data.hex(), "format": fmt, "entries": len(entries)}
    return {"data": None, "format": None, "entries": len(entries)}


def main(argv):
    mode = argv[1]
    if mode in ("create", "store", "fetch"):
        dev, ctap = served(argv[2])
        try:
            if mode == "create":
                print(json.dumps(create(ctap, argv[3])))
            elif mode == "store":
                store(ctap, argv[3], bytes.fromhex(argv[4]), bytes.fromhex(argv[5]))
                print(json.dumps({"stored": True}))
            else:
                print(json.dumps(fetch(ctap, bytes.fromhex(argv[3]))))
        finally:
            dev.close()
    elif mode == "pack":
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
