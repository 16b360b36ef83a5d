#!/usr/bin/python3
"""Writes test/vectors/pin-protocols.json: PIN/UV auth protocol known answers from python-fido2.

Usage: /usr/bin/python3 scripts/gen-vectors.py [OUT]   (Debian's python3-fido2 0.9.1)

python-fido2's ClientPin and Config (not this project's code) compute every request here. They
talk to a recording stand-in for the key that holds a fixed key-agreement key and a fixed
pinUvAuthToken. What python-fido2 would draw at random is pinned so that the output is the same
on every run: the platform's ECDH key (ec.generate_private_key) and, for protocol 2, the AES-CBC
IVs (os.urandom in fido2.ctap2.pin). Running the script again must leave the file unchanged.
"""
import hashlib
import json
import sys
import types
from contextlib import contextmanager

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from fido2.ctap2.config import Config
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2, _pad_pin
import fido2.ctap2.pin as pin_module

# (current PIN, new PIN): short, typical, multi-byte UTF-8, and the longest (63 bytes) a key takes.
PINS = [("1234", "123456"), ("123456", "87654321"), ("пин-1234", "ñandú-ß-4242"), ("0000", "x" * 63)]
# The IVs' meaning by index, as the tests use them; 5 to 7 are spares for tests that need more.
IV_ROLES = ["getPinToken.pinHashEnc", "setPin.newPinEnc", "changePin.pinHashEnc", "changePin.newPinEnc",
            "pinUvAuthToken.tokenEnc", "spare", "spare", "spare"]
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def derived(label, n=32):
    return hashlib.sha256(b"fido2-manage test vectors/" + label.encode()).digest()[:n]


def p256_key(label):
    scalar = int.from_bytes(derived(label), "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1(), default_backend())


def xy(key):
    n = key.public_key().public_numbers()
    return n.x.to_bytes(32, "big"), n.y.to_bytes(32, "big")


@contextmanager
def pinned(platform_key, iv_queue):
    """python-fido2 draws exactly these: the platform key for every encapsulate, IVs in call order."""
    real_generate, real_os = ec.generate_private_key, pin_module.os
    ec.generate_private_key = lambda *_args, **_kw: platform_key
    pin_module.os = types.SimpleNamespace(urandom=lambda n: iv_queue.pop(0)[:n])
    try:
        yield
    finally:
        ec.generate_private_key, pin_module.os = real_generate, real_os


class RecordingKey:
    """The key's side, just enough for ClientPin and Config: records what python-fido2 sends."""

    def __init__(self, protocol, auth_key, token, iv_for_token):
        self.protocol, self.auth_key, self.token, self.iv_for_token = protocol, auth_key, token, iv_for_token
        x, y = xy(auth_key)
        self.cose = {1: 2, 3: -25, -1: 1, -2: x, -3: y}
        self.info = types.SimpleNamespace(options={"clientPin": True, "pinUvAuthToken": True, "authnrCfg": True},
                                          pin_uv_protocols=[protocol.VERSION])
        self.requests = []

    def client_pin(self, _version, cmd, **kw):
        self.requests.append((cmd, kw))
        if cmd == ClientPin.CMD.GET_KEY_AGREEMENT:
            return {1: self.cose}
        if cmd == ClientPin.CMD.GET_TOKEN_USING_PIN:
            with pinned(self.auth_key, [self.iv_for_token]):
                _, secret = self.protocol.encapsulate(kw["key_agreement"])  # the key's half of the ECDH
                return {2: self.protocol.encrypt(secret, self.token)}
        return {}

    def config(self, sub_cmd, params, _protocol, pin_uv_param):
        self.requests.append(("config", {"sub_cmd": sub_cmd, "params": params, "pin_uv_param": pin_uv_param}))


def config_message(sub_cmd, params):
    # CTAP 2.1 §6.11: what the pinUvAuthParam of authenticatorConfig authenticates.
    return b"\xff" * 32 + b"\x0d" + bytes([sub_cmd]) + (cbor.encode(params) if params else b"")


def one_case(index, protocol_class, current_pin, new_pin):
    tag = "%d/%d" % (index, protocol_class.VERSION)
    platform_key, auth_key = p256_key("platform " + tag), p256_key("authenticator " + tag)
    token = derived("token " + tag)
    ivs = [derived("iv %s %d" % (tag, i), 16) for i in range(len(IV_ROLES))] if protocol_class.VERSION == 2 else []
    iv = (lambda i: [ivs[i]]) if ivs else (lambda _i: [])
    protocol = protocol_class()
    key = RecordingKey(protocol, auth_key, token, ivs[4] if ivs else b"")
    client = ClientPin(key, protocol)

    with pinned(platform_key, iv(0)):
        got_token = client.get_pin_token(current_pin)
    assert got_token == token, "python-fido2 decrypted another token"
    token_request = key.requests[-1][1]
    with pinned(platform_key, iv(1)):
        client.set_pin(new_pin)
    set_request = key.requests[-1][1]
    with pinned(platform_key, iv(2) + iv(3)):
        client.change_pin(current_pin, new_pin)
    change_request = key.requests[-1][1]

    # The key's half of the ECDH and the tokenEnc it returned, recomputed for the record.
    with pinned(auth_key, iv(4)):
        _, secret = protocol.encapsulate(token_request["key_agreement"])
        token_enc = protocol.encrypt(secret, token)
    assert protocol.decrypt(secret, token_enc) == token

    cfg = Config(key, protocol, token)
    configs = {}
    for name, call, sub_cmd in [
        ("toggleAlwaysUv", lambda: cfg.toggle_always_uv(), Config.CMD.TOGGLE_ALWAYS_UV),
        ("enableEnterpriseAttestation", lambda: cfg._call(Config.CMD.ENABLE_ENTERPRISE_ATT), Config.CMD.ENABLE_ENTERPRISE_ATT),  # no method in 0.9.1
        ("setMinPINLength", lambda: cfg.set_min_pin_length(8, ["example.com"], True), Config.CMD.SET_MIN_PIN_LENGTH),
    ]:
        call()
        sent = key.requests[-1][1]
        assert sent["sub_cmd"] == sub_cmd
        configs[name] = {"message": config_message(sub_cmd, sent["params"]).hex(), "pinUvAuthParam": sent["pin_uv_param"].hex()}

    platform_x, platform_y = token_request["key_agreement"][-2], token_request["key_agreement"][-3]
    auth_x, auth_y = xy(auth_key)
    return {
        "protocol": protocol_class.VERSION,
        "platformPrivateKey": "%064x" % platform_key.private_numbers().private_value,
        "authenticatorPrivateKey": "%064x" % auth_key.private_numbers().private_value,
        "authenticatorPublicKey": {"x": auth_x.hex(), "y": auth_y.hex()},
        "platformKeyAgreement": {"x": platform_x.hex(), "y": platform_y.hex()},
        "sharedSecret": secret.hex(),
        "ivsUsedInOrder": [v.hex() for v in ivs],
        "getPinToken": {"pin": current_pin, "pinHash16": hashlib.sha256(current_pin.encode()).digest()[:16].hex(),
                        "pinHashEnc": token_request["pin_hash_enc"].hex()},
        "setPin": {"newPin": new_pin, "paddedNewPin": _pad_pin(new_pin).hex(),
                   "newPinEnc": set_request["new_pin_enc"].hex(), "pinUvAuthParam": set_request["pin_uv_param"].hex()},
        "changePin": {"currentPin": current_pin, "newPin": new_pin, "pinHashEnc": change_request["pin_hash_enc"].hex(),
                      "newPinEnc": change_request["new_pin_enc"].hex(), "pinUvAuthParam": change_request["pin_uv_param"].hex()},
        "pinUvAuthToken": {"token": token.hex(), "tokenEnc": token_enc.hex()},
        "authenticatorConfig": configs,
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "test/vectors/pin-protocols.json"
    cases = [one_case(i, cls, cur, new) for i, (cur, new) in enumerate(PINS) for cls in (PinProtocolV1, PinProtocolV2)]
    doc = {
        "source": "scripts/gen-vectors.py: python-fido2 %s (Debian python3-fido2) ClientPin and Config against a "
                  "recording key; private keys, token and IVs derived from fixed labels" % __import__("fido2").__version__,
        "notes": [
            "Keys are P-256 scalars (hex, big-endian); public keys as COSE x/y coordinates (hex).",
            "sharedSecret: protocol 1 = SHA-256(ECDH x); protocol 2 = HKDF-SHA-256(salt=32 zero bytes, "
            "info='CTAP2 HMAC key') || HKDF(info='CTAP2 AES key').",
            "Protocol 2 encryption is IV || AES-256-CBC(aesKey, IV, data); ivsUsedInOrder[i] is the IV of: "
            + ", ".join("%d %s" % (i, r) for i, r in enumerate(IV_ROLES)) + ".",
            "Protocol 1 encryption is AES-256-CBC with a zero IV; authenticate is the first 16 bytes of HMAC-SHA-256; "
            "protocol 2 uses all 32 bytes and the first 32 bytes of the shared secret as HMAC key.",
            "authenticatorConfig messages are 32 x 0xff || 0x0d || subCommand || CBOR(subCommandParams) and are "
            "authenticated with the pinUvAuthToken; setMinPINLength is (8, ['example.com'], forceChangePin true).",
        ],
        "cases": cases,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
