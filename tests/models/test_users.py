"""Users: bcrypt passwords, normalized unique emails, the first user is admin."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from viralclipper.models import (
    User,
    authenticate,
    count_users,
    create_first_admin,
    create_user,
    get_user,
    get_user_by_email,
    list_users,
    set_admin,
    set_password,
)


def test_first_user_is_admin_and_login_works(database: str):
    first = create_user("  Alice@Example.COM ", "correct horse")
    second = create_user("bob@example.com", "battery staple")

    assert first.email == "alice@example.com" and first.is_admin
    assert not second.is_admin
    assert "correct horse" not in first.password_hash
    assert first.created_at.tzinfo is not None
    assert authenticate("ALICE@example.com", "correct horse").id == first.id
    assert authenticate("alice@example.com", "wrong password") is None
    assert authenticate("nobody@example.com", "correct horse") is None
    assert authenticate("not an email", "correct horse") is None
    assert count_users() == 2
    assert [user.email for user in list_users()] == ["alice@example.com", "bob@example.com"]
    assert get_user(second.id).email == "bob@example.com"
    assert get_user_by_email("BOB@example.com").id == second.id
    assert get_user(9999) is None


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("no-at-sign.example.com", "long enough", "not a valid email"),
        ("two@@example.com", "long enough", "not a valid email"),
        ("a@b", "long enough", "not a valid email"),
        ("ok@example.com", "short", "at least 10 characters"),
        ("ok@example.com", "é" * 37, "at most 72 bytes"),  # 37 characters, 74 bytes
    ],
)
def test_bad_sign_up_is_refused_with_a_reason(database: str, email, password, message):
    with pytest.raises(ValueError, match=message):
        create_user(email, password)
    assert count_users() == 0


def test_duplicate_email_is_refused_whatever_its_case(database: str):
    create_user("carol@example.com", "password one")
    with pytest.raises(ValueError, match="already exists"):
        create_user("Carol@Example.com", "password two")
    assert count_users() == 1
    assert authenticate("carol@example.com", "password one") is not None


def test_set_password_and_admin(database: str):
    user = create_user("dave@example.com", "old password")
    create_user("erin@example.com", "another one", is_admin=True)
    with pytest.raises(ValueError, match="at least 10"):
        set_password(user.id, "short")
    set_password(user.id, "new password")
    assert authenticate("dave@example.com", "old password") is None
    assert authenticate("dave@example.com", "new password").id == user.id
    assert get_user_by_email("erin@example.com").is_admin
    set_admin(user.id, False)
    assert not get_user(user.id).is_admin
    with pytest.raises(LookupError):
        set_password(9999, "new password")


def test_first_admin_only_on_an_empty_instance(database: str):
    admin = create_first_admin("root@example.com", "correct horse")

    assert admin.is_admin and admin.email == "root@example.com"
    with pytest.raises(ValueError, match="already has an admin"):
        create_first_admin("second@example.com", "battery staple")
    assert count_users() == 1


def test_racing_first_admins_make_exactly_one(database: str):
    """Many requests create "the first admin" at once: one succeeds, the others are refused."""
    racers = 6
    barrier = threading.Barrier(racers)

    def race(index: int) -> User | str:
        barrier.wait()
        try:
            return create_first_admin(f"racer{index}@example.com", "correct horse")
        except ValueError as error:
            return str(error)

    with ThreadPoolExecutor(racers) as pool:
        results = list(pool.map(race, range(racers)))

    created = [result for result in results if isinstance(result, User)]
    assert len(created) == 1 and created[0].is_admin
    assert count_users() == 1
    assert all("already has an admin" in r for r in results if not isinstance(r, User))


def test_racing_sign_ups_on_an_empty_instance_make_one_admin(database: str):
    racers = 6
    barrier = threading.Barrier(racers)

    def race(index: int) -> User:
        barrier.wait()
        return create_user(f"racer{index}@example.com", "correct horse")

    with ThreadPoolExecutor(racers) as pool:
        results = list(pool.map(race, range(racers)))

    assert sum(user.is_admin for user in results) == 1
    assert count_users() == racers
