"""SDK authentication in the emulator (docs/server-behaviour.md, sdk-authentication; docs/web-sdk-wire.md,
sdk-authentication-answers).

Per app: `disabled` (default, nothing checked), `optional` (checked, a failure is recorded as a problem
but the data is accepted) or `required` (a failure is answered `200 {"auth_error": {"error_code", "reason"}}`,
the answer the SDK treats as an auth failure, and the request's data is not stored). Only RS256 JWTs, verified
against up to 3 public keys; `sub` must be the request's external_id, `exp` is required and not past.
Anonymous requests (no external_id) are not checked.

Error codes (Braze's): 10 EXPIRATION_REQUIRED, 20 DECODING_ERROR, 21 SUBJECT_MISMATCH, 22 EXPIRED,
23 INVALID_PAYLOAD, 24 INCORRECT_ALGORITHM, 25 PUBLIC_KEY_ERROR, 26 MISSING_TOKEN,
27 NO_MATCHING_PUBLIC_KEYS, 28 PAYLOAD_USER_ID_MISMATCH (the request speaks for more than one user).
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Mode = Literal["disabled", "optional", "required"]

EXPIRATION_REQUIRED = 10
DECODING_ERROR = 20
SUBJECT_MISMATCH = 21
EXPIRED = 22
INVALID_PAYLOAD = 23
INCORRECT_ALGORITHM = 24
PUBLIC_KEY_ERROR = 25
MISSING_TOKEN = 26
NO_MATCHING_PUBLIC_KEYS = 27
PAYLOAD_USER_ID_MISMATCH = 28

ERROR_NAMES = {
    10: "EXPIRATION_REQUIRED",
    20: "DECODING_ERROR",
    21: "SUBJECT_MISMATCH",
    22: "EXPIRED",
    23: "INVALID_PAYLOAD",
    24: "INCORRECT_ALGORITHM",
    25: "PUBLIC_KEY_ERROR",
    26: "MISSING_TOKEN",
    27: "NO_MATCHING_PUBLIC_KEYS",
    28: "PAYLOAD_USER_ID_MISMATCH",
}


class SdkAuthSpec(BaseModel):
    """What a test sets for one app: `{"mode": "required", "public_keys": ["-----BEGIN PUBLIC KEY-----..."]}`."""

    model_config = ConfigDict(extra="forbid")
    mode: Mode = "disabled"
    public_keys: list[str] = Field(default_factory=list, max_length=3)
    leeway_s: float = Field(0, ge=0)

    @field_validator("public_keys")
    @classmethod
    def _pem(cls, keys: list[str]) -> list[str]:
        for i, pem in enumerate(keys):
            try:
                key = serialization.load_pem_public_key(pem.encode())
            except (ValueError, TypeError):
                raise ValueError(f"public key {i} is not a PEM public key") from None
            if not isinstance(key, rsa.RSAPublicKey):
                raise ValueError(f"public key {i} is not an RSA key (RS256 only)")
        return keys


def parse_sdk_auth(body: dict[str, Any]) -> SdkAuthSpec:
    try:
        return SdkAuthSpec.model_validate(body)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            parts.append(f"{loc}: {err['msg'].removeprefix('Value error, ')}" if loc else err["msg"])
        raise ValueError("sdk_auth: " + "; ".join(parts)) from None


@dataclass(slots=True)
class AuthFailure:
    error_code: int
    reason: str

    def body(self) -> dict[str, Any]:
        return {"auth_error": {"error_code": self.error_code, "reason": self.reason}}

    def __str__(self) -> str:
        return f"{self.error_code} {ERROR_NAMES.get(self.error_code, '?')}: {self.reason}"


@dataclass
class AppAuth:
    spec: SdkAuthSpec
    keys: list[rsa.RSAPublicKey] = field(default_factory=list)

    @classmethod
    def of(cls, spec: SdkAuthSpec) -> AppAuth:
        keys = [serialization.load_pem_public_key(p.encode()) for p in spec.public_keys]
        return cls(spec, [k for k in keys if isinstance(k, rsa.RSAPublicKey)])

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.spec.mode, "public_keys": len(self.spec.public_keys), "leeway_s": self.spec.leeway_s}

    def check(self, token: str | None, user_ids: set[str], now: float | None = None) -> AuthFailure | None:
        """None when the request passes; anonymous requests (no user id) always pass."""
        if self.spec.mode == "disabled" or not user_ids:
            return None
        if len(user_ids) > 1:
            return AuthFailure(PAYLOAD_USER_ID_MISMATCH, f"request speaks for several users {sorted(user_ids)}")
        (user,) = user_ids
        return verify(token, user, self.keys, now=now, leeway=self.spec.leeway_s)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify(
    token: str | None, user_id: str, keys: list[rsa.RSAPublicKey], *, now: float | None = None, leeway: float = 0
) -> AuthFailure | None:
    if not token:
        return AuthFailure(MISSING_TOKEN, "no X-Braze-Auth-Signature")
    parts = token.split(".")
    if len(parts) != 3:
        return AuthFailure(DECODING_ERROR, "not a JWT (header.payload.signature)")
    try:
        header = orjson.loads(_b64(parts[0]))
        payload = orjson.loads(_b64(parts[1]))
        signature = _b64(parts[2])
    except (binascii.Error, ValueError):
        return AuthFailure(DECODING_ERROR, "JWT parts are not base64url JSON")
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        alg = header.get("alg") if isinstance(header, dict) else None
        return AuthFailure(INCORRECT_ALGORITHM, f"alg {alg!r}, expected 'RS256'")
    if not isinstance(payload, dict):
        return AuthFailure(INVALID_PAYLOAD, "payload is not a JSON object")
    if not keys:
        return AuthFailure(PUBLIC_KEY_ERROR, "no public key configured for this app")
    signed = f"{parts[0]}.{parts[1]}".encode()
    for key in keys:
        try:
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
            break
        except InvalidSignature:
            continue
    else:
        return AuthFailure(NO_MATCHING_PUBLIC_KEYS, "signature matches none of the app's public keys")
    sub = payload.get("sub")
    if not isinstance(sub, str) or not sub:
        return AuthFailure(INVALID_PAYLOAD, "sub missing or not a string")
    if "exp" not in payload:
        return AuthFailure(EXPIRATION_REQUIRED, "exp missing")
    exp = payload["exp"]
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return AuthFailure(INVALID_PAYLOAD, "exp is not a number")
    now = time.time() if now is None else now
    if exp + leeway <= now:
        return AuthFailure(EXPIRED, f"expired {now - exp:.0f} s ago")
    if sub != user_id:
        return AuthFailure(SUBJECT_MISMATCH, f"sub {sub!r} is not the request's user {user_id!r}")
    return None


class SdkAuthTable:
    """SDK-auth settings per api key (apps not listed: disabled)."""

    def __init__(self) -> None:
        self._by_key: dict[str, AppAuth] = {}

    def set(self, api_key: str, spec: SdkAuthSpec) -> AppAuth:
        auth = AppAuth.of(spec)
        if spec.mode == "disabled" and not spec.public_keys:
            self._by_key.pop(api_key, None)
        else:
            self._by_key[api_key] = auth
        return auth

    def get(self, api_key: str | None) -> AppAuth | None:
        return self._by_key.get(api_key) if api_key and self._by_key else None

    def forget(self, api_keys: list[str]) -> None:
        for k in api_keys:
            self._by_key.pop(k, None)
