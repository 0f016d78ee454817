"""Mint SDK-auth JWTs for tests (docs/server-behaviour.md, sdk-authentication): valid ones and every kind of invalid one.

keys = KeyPair.generate()                       # a fresh RSA-2048 pair per test
braze.sdk_auth(mode="required", public_keys=[keys.public_pem])
braze_app.login(user, signature=keys.mint(user))
keys.expired(user); keys.mint("someone-else"); KeyPair.generate().mint(user)  # wrong key; malformed()
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DEFAULT_TTL_S = 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class KeyPair:
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, bits: int = 2048) -> KeyPair:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def mint(
        self,
        sub: str | None,
        *,
        exp: float | None = None,
        ttl: float = DEFAULT_TTL_S,
        alg: str = "RS256",
        claims: dict[str, Any] | None = None,
        no_exp: bool = False,
    ) -> str:
        """A signed JWT for `sub` expiring at `exp` (default: now + `ttl`)."""
        return mint(sub, exp=exp, ttl=ttl, key=self, alg=alg, claims=claims, no_exp=no_exp)

    def expired(self, sub: str, *, ago: float = 60) -> str:
        return self.mint(sub, exp=time.time() - ago)


def mint(
    sub: str | None,
    *,
    key: KeyPair,
    exp: float | None = None,
    ttl: float = DEFAULT_TTL_S,
    alg: str = "RS256",
    claims: dict[str, Any] | None = None,
    no_exp: bool = False,
) -> str:
    payload: dict[str, Any] = {"iat": int(time.time())}
    if sub is not None:
        payload["sub"] = sub
    if not no_exp:
        payload["exp"] = int(exp if exp is not None else time.time() + ttl)
    payload.update(claims or {})
    header = _b64(orjson.dumps({"alg": alg, "typ": "JWT"}))
    signing_input = f"{header}.{_b64(orjson.dumps(payload))}"
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def malformed() -> str:
    """Not a JWT at all (error 20 DECODING_ERROR)."""
    return "not-a-jwt"
