"""Counts the APDUs python-fido2 (CtapPcscDevice) sends for one operation on the card in a PC/SC reader.

Usage: pcsc_apdus.py READER_PART OPERATION, OPERATION one of info, set-pin, uvs, credentials-list;
the PIN (set-pin: the new one) comes in FIDO2_PIN. Prints {"operation": ..., "apdus": N} as JSON.
Counting wraps the pyscard connection's transmit, so CtapPcscDevice's open-time SELECT and getInfo
probe are counted too, as they are what python-fido2 sends for the operation.
"""
import json
import os
import sys

from smartcard.System import readers

from fido2.ctap2 import Ctap2
from fido2.ctap2.config import Config
from fido2.ctap2.credman import CredentialManagement
from fido2.ctap2.pin import ClientPin
from fido2.pcsc import CtapPcscDevice

reader_part, operation = sys.argv[1:3]
pin = os.environ.get("FIDO2_PIN", "")
reader = next((r for r in readers() if reader_part in str(r)), None)
if reader is None:
    sys.exit("no PC/SC reader matching %r" % reader_part)

count = 0
conn = reader.createConnection()
transmit = conn.transmit


def counted(*args, **kwargs):
    global count
    count += 1
    return transmit(*args, **kwargs)


conn.transmit = counted
dev = CtapPcscDevice(conn, str(reader))
ctap = Ctap2(dev)  # reads getInfo, as every python-fido2 client does
if operation == "info":
    ClientPin(ctap).get_pin_retries()
elif operation == "set-pin":
    ClientPin(ctap).set_pin(pin)
elif operation == "uvs":
    client_pin = ClientPin(ctap)
    token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
    Config(ctap, client_pin.protocol, token).toggle_always_uv()
elif operation == "credentials-list":
    client_pin = ClientPin(ctap)
    token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    credman = CredentialManagement(ctap, client_pin.protocol, token)
    meta = credman.get_metadata()
    # An empty key answers enumerateRPsBegin with NO_CREDENTIALS; a client asks only when there is something.
    rps = credman.enumerate_rps() if meta[CredentialManagement.RESULT.EXISTING_CRED_COUNT] else []
    for rp in rps:
        credman.enumerate_creds(rp[CredentialManagement.RESULT.RP_ID_HASH])
else:
    sys.exit("unknown operation %r" % operation)
dev.close()
print(json.dumps({"operation": operation, "apdus": count}))
