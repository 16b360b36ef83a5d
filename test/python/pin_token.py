#!/usr/bin/python3
"""Asks a key over TCP for a PIN token with the given PIN, using python-fido2 (an independent CTAP client).

Usage: pin_token.py PORT (the PIN on stdin, never on the command line). Prints {"token": true}
when the key hands out a token for the PIN, else {"token": false, "error": "..."}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcp_device import open_device  # noqa: E402
from fido2.ctap2 import Ctap2  # noqa: E402
from fido2.ctap2.pin import ClientPin, PinProtocolV2  # noqa: E402

pin = sys.stdin.readline().rstrip("\n")
dev = open_device("127.0.0.1", int(sys.argv[1]))
try:
    client_pin = ClientPin(Ctap2(dev), PinProtocolV2())
    try:
        client_pin.get_pin_token(pin, ClientPin.PERMISSION.CREDENTIAL_MGMT)
        print(json.dumps({"token": True}))
    except Exception as e:  # noqa: BLE001 - the error is the answer
        print(json.dumps({"token": False, "error": str(e)}))
finally:
    dev.close()
