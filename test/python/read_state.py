#!/usr/bin/python3
"""Prints what python-fido2 (an independent CTAP client) reads from a key over TCP, as JSON.

Usage: read_state.py PORT. Opens the key with tcp_device.py beside this file so that the
state the CLI leaves on the virtual key is read back by code the project did not write.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcp_device import open_device  # noqa: E402
from fido2.ctap2 import Ctap2  # noqa: E402
from fido2.ctap2.pin import ClientPin, PinProtocolV2  # noqa: E402

dev = open_device("127.0.0.1", int(sys.argv[1]))
try:
    ctap = Ctap2(dev)
    info = ctap.get_info()
    retries = ClientPin(ctap, PinProtocolV2()).get_pin_retries()[0]
    print(json.dumps({
        "clientPin": info.options.get("clientPin"),
        "alwaysUv": info.options.get("alwaysUv"),
        "minPINLength": info.min_pin_length,
        "forcePINChange": info.force_pin_change,
        "pinRetries": retries,
    }))
finally:
    dev.close()
