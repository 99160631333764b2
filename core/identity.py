"""Who is asking: the verified identity a request runs as.

An :class:`AuthUser` is created only by an auth backend after it has verified the user
(password hash, or a Supabase token signature), and carries the claims that ``core.db`` sets
for the transaction. The app role (user/staff/admin) is always re-read from the database before
it grants anything; the copy here is for display.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthUser:
    """A verified user. ``claims`` become ``request.jwt.claims`` inside a user transaction."""

    id: uuid.UUID
    email: str
    app_role: str = "user"
    display_name: str = ""
    claims: dict[str, Any] = field(default_factory=dict)

    def jwt_claims(self) -> dict[str, Any]:
        claims = dict(self.claims)
        claims["sub"] = str(self.id)
        claims["role"] = "authenticated"
        claims.setdefault("email", self.email)
        return claims

    @property
    def is_staff(self) -> bool:
        return self.app_role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.app_role == "admin"
