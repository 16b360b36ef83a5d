#!/usr/bin/python3
"""python-fido2 (an independent CTAP client) makes and reads passkeys on a key over TCP.

Usage:
  passkeys.py create PORT PIN   sets PIN, makes three discoverable credentials on two RPs
                                (a.example: u1, u2; b.example: u3), prints them as JSON
  passkeys.py read PORT PIN     prints the stored count and every RP's credentials as JSON

Credential ids are base64url without padding, as the fido2-manage CLI prints them.
"""
import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcp_device import open_device  # noqa: E402
from fido2.ctap import CtapError  # noqa: E402
from fido2.ctap2 import Ctap2, CredentialManagement  # noqa: E402
from fido2.ctap2.pin import ClientPin, PinProtocolV2  # noqa: E402

MC = ClientPin.PERMISSION.MAKE_CREDENTIAL
CM = ClientPin.PERMISSION.CREDENTIAL_MGMT
R = CredentialManagement.RESULT
PASSKEYS = [("a.example", b"u1", "ann"), ("a.example", b"u2", "bob"), ("b.example", b"u3", "cid")]


def b64u(data):
    return base64.urlsafe_b64encode(bytes(data)).decode().rstrip("=")


def create(ctap, pin):
    protocol = PinProtocolV2()
    client_pin = ClientPin(ctap, protocol)
    client_pin.set_pin(pin)
    made = []
    for rp_id, user_id, name in PASSKEYS:
        # A makeCredential uses up the token's mc permission (CTAP 2.1 §6.1.2), so one token each.
        token = client_pin.get_pin_token(pin, MC, rp_id)
        cdh = hashlib.sha256(b"python-fido2 " + user_id).digest()
        att = ctap.make_credential(
            cdh,
            {"id": rp_id, "name": rp_id.upper()},
            {"id": user_id, "name": name, "displayName": name.title()},
            [{"type": "public-key", "alg": -7}],
            options={"rk": True},
            pin_uv_param=protocol.authenticate(token, cdh),
            pin_uv_protocol=protocol.VERSION,
        )
        made.append({"rp": rp_id, "user": name, "credentialId": b64u(att.auth_data.credential_data.credential_id)})
    return made


def read(ctap, pin):
    protocol = PinProtocolV2()
    token = ClientPin(ctap, protocol).get_pin_token(pin, CM)
    cm = CredentialManagement(ctap, protocol, token)
    meta = cm.get_metadata()
    rps = {}
    if meta[R.EXISTING_CRED_COUNT] > 0:
        for rp in cm.enumerate_rps():
            creds = cm.enumerate_creds(rp[R.RP_ID_HASH])
            rps[rp[R.RP]["id"]] = sorted(
                ({"credentialId": b64u(c[R.CREDENTIAL_ID]["id"]), "user": c[R.USER].get("name")} for c in creds),
                key=lambda c: c["credentialId"],
            )
    return {"stored": meta[R.EXISTING_CRED_COUNT], "rps": rps}


def main():
    mode, port, pin = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    dev = open_device("127.0.0.1", port)
    try:
        ctap = Ctap2(dev)
        print(json.dumps(create(ctap, pin) if mode == "create" else read(ctap, pin)))
    except CtapError as e:
        print(json.dumps({"error": str(e)}))
        sys.exit(1)
    finally:
        dev.close()


if __name__ == "__main__":
    main()
