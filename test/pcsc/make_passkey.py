"""Makes one discoverable credential on the card in a PC/SC reader with python-fido2 (an independent client).

Usage: make_passkey.py READER_PART RP_ID USER_NAME; prints the credential id (hex).
"""
import os
import sys

from fido2.ctap2 import Ctap2
from fido2.pcsc import CtapPcscDevice

reader, rp_id, user = sys.argv[1:4]
dev = next(CtapPcscDevice.list_devices(reader), None)
if dev is None:
    sys.exit("no FIDO card on a reader matching %r" % reader)
att = Ctap2(dev).make_credential(
    os.urandom(32),
    {"id": rp_id, "name": rp_id},
    {"id": user.encode(), "name": user},
    [{"type": "public-key", "alg": -7}],
    options={"rk": True},
)
print(att.auth_data.credential_data.credential_id.hex())
dev.close()
