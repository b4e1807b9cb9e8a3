"""Verifies a Kee ACD Record with jwcrypto, sharing nothing with the kernel.

Usage: verify_acd_record.py RECORD_FILE KIA_PUBLIC_KEY_HEX
The record's `gec_signature` is a detached compact JWS (RFC 7515 Appendix F): the payload is the
RFC 8785 JCS of every other member. The record holds only strings, integers, booleans, nulls,
arrays and objects with ASCII keys, for which JCS is `json.dumps` with sorted keys, no
whitespace and no escaping of non-ASCII text. Prints one JSON object: the protected header, the
payload length, and whether the served text is itself that canonical form. Exits non-zero when
the signature does not verify.
"""
import base64
import json
import sys

from jwcrypto import jwk, jws


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main() -> None:
    record_file, key_hex = sys.argv[1:3]
    with open(record_file, encoding="utf-8") as f:
        text = f.read()
    record = json.loads(text)
    signature = record.pop("gec_signature")
    payload = canonical(record).encode("utf-8")
    x = base64.urlsafe_b64encode(bytes.fromhex(key_hex)).rstrip(b"=").decode("ascii")
    key = jwk.JWK(kty="OKP", crv="Ed25519", x=x)
    token = jws.JWS()
    token.deserialize(signature)
    token.verify(key, alg="EdDSA", detached_payload=payload)
    full = dict(record, gec_signature=signature)
    print(json.dumps({"header": json.loads(token.objects["protected"]), "payload_bytes": len(payload), "served_is_jcs": canonical(full) == text}))


if __name__ == "__main__":
    main()
