"""Verifies Kee Security Event Tokens (RFC 8417) with jwcrypto, sharing nothing with the kernel.

Usage: verify_set.py JWKS_FILE SETS_FILE ISSUER
SETS_FILE holds a JSON array of compact SETs. Prints one JSON array: per SET, the verified claims
and protected header. Exits non-zero when any SET does not verify (signature by the key the
header's kid names, EdDSA only, typ secevent+jwt, iss, exactly one event, no exp: RFC 8417 §2.2).
"""
import json
import sys

from jwcrypto import jwk, jwt


def main() -> None:
    jwks_file, sets_file, issuer = sys.argv[1:4]
    with open(jwks_file, encoding="utf-8") as f:
        keyset = jwk.JWKSet.from_json(f.read())
    with open(sets_file, encoding="utf-8") as f:
        tokens = json.load(f)
    out = []
    for token in tokens:
        verified = jwt.JWT(jwt=token, key=keyset, algs=["EdDSA"], check_claims={"iss": issuer})
        header = json.loads(verified.header)
        claims = json.loads(verified.claims)
        if header.get("typ") != "secevent+jwt":
            raise SystemExit(f"typ is {header.get('typ')!r}, not secevent+jwt")
        if "exp" in claims or len(claims.get("events", {})) != 1:
            raise SystemExit("a SET has no exp and exactly one event")
        out.append({"claims": claims, "header": header})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
