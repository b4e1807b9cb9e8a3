"""Verifies a Kee credential with jwcrypto, sharing nothing with the kernel.

Usage: verify_credential.py JWKS_FILE TOKEN_FILE AUDIENCE
Prints one JSON object: the verified claims, the protected header, and the RFC 7638 thumbprint
jwcrypto computes for each key of the set. Exits non-zero when the credential does not verify.
"""
import json
import sys

from jwcrypto import jwk, jwt


def main() -> None:
    jwks_file, token_file, audience = sys.argv[1:4]
    with open(jwks_file, encoding="utf-8") as f:
        keyset = jwk.JWKSet.from_json(f.read())
    with open(token_file, encoding="utf-8") as f:
        token = f.read().strip()
    # signature by the key whose kid the header names, EdDSA only; exp/nbf against this clock; aud
    verified = jwt.JWT(jwt=token, key=keyset, algs=["EdDSA"], check_claims={"aud": audience, "exp": None, "nbf": None})
    out = {
        "claims": json.loads(verified.claims),
        "header": json.loads(verified.header),
        "thumbprints": {k["kid"]: k.thumbprint() for k in keyset["keys"]},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
