"""API tokens: only their hash is stored; revoked or unknown ones find nobody."""

from __future__ import annotations

import pytest

from viralclipper.models import tokens
from viralclipper.models.users import create_user


def test_tokens_are_stored_hashed_and_revoked(database: str) -> None:
    user = create_user("bob@example.com", "correct horse battery")
    token, secret = tokens.create_token(user.id, "ci")
    assert secret.startswith("vc_") and len(secret) > 40
    assert secret not in token.token_hash and token.token_hash == tokens.hash_token(secret)
    assert secret.startswith(token.prefix)
    assert tokens.user_for_token(secret).id == user.id
    assert tokens.list_tokens(user.id)[0].last_used_at is not None
    other = create_user("eve@example.com", "correct horse battery")
    assert not tokens.revoke_token(token.id, other.id)  # not hers
    assert tokens.revoke_token(token.id, user.id)
    assert tokens.user_for_token(secret) is None
    assert tokens.list_tokens(user.id) == []
    for wrong in ("", "vc_", secret + "x", "x" * 500, "vc_\udcff"):
        assert tokens.user_for_token(wrong) is None


def test_a_token_needs_a_short_name(database: str) -> None:
    user = create_user("bob@example.com", "correct horse battery")
    for name in ("", "   ", "x" * 101):
        with pytest.raises(ValueError, match="name|characters"):
            tokens.create_token(user.id, name)
