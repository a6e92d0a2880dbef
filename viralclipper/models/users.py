"""Users: bcrypt passwords, lower-cased unique emails, and the first user becomes admin."""

from __future__ import annotations

import re

import bcrypt
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from viralclipper.models.db import session
from viralclipper.models.tables import User

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 refuses longer ones instead of truncating
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

# Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt(4))


def normalize_email(email: str) -> str:
    """The stored form of an email (trimmed, lower-cased); ValueError when it is not one."""
    normalized = email.strip().lower()
    if not EMAIL_PATTERN.match(normalized):
        raise ValueError(f"'{email.strip()}' is not a valid email address.")
    return normalized


def hash_password(password: str) -> str:
    """A bcrypt hash; ValueError for a password under 8 characters or over 72 bytes."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"The password must be at least {MIN_PASSWORD_CHARS} characters long.")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValueError(f"The password must be at most {MAX_PASSWORD_BYTES} bytes long.")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def create_user(email: str, password: str, *, is_admin: bool = False) -> User:
    """A new user; the very first user is always an admin.

    Raises ValueError with a sentence for the user for an invalid email or password, or an email
    that is already registered.
    """
    email = normalize_email(email)
    password_hash = hash_password(password)
    try:
        with session() as db:
            first = db.exec(select(func.count()).select_from(User)).one() == 0
            user = User(email=email, password_hash=password_hash, is_admin=is_admin or first)
            db.add(user)
            db.flush()
            db.refresh(user)
    except IntegrityError as error:
        raise ValueError(f"A user with the email {email} already exists.") from error
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user when the email and password match, else None."""
    try:
        user = get_user_by_email(email)
    except ValueError:
        user = None
    stored = user.password_hash.encode("ascii") if user else _DUMMY_HASH
    try:
        matches = bcrypt.checkpw(password.encode("utf-8"), stored)
    except ValueError:  # a password over 72 bytes can never match
        matches = False
    return user if user and matches else None


def get_user(user_id: int) -> User | None:
    with session() as db:
        return db.get(User, user_id)


def get_user_by_email(email: str) -> User | None:
    email = normalize_email(email)
    with session() as db:
        return db.exec(select(User).where(User.email == email)).first()


def set_password(user_id: int, password: str) -> None:
    """Replace a user's password (validated like at sign-up); LookupError for an unknown user."""
    _update_user(user_id, password_hash=hash_password(password))


def set_admin(user_id: int, is_admin: bool) -> None:
    _update_user(user_id, is_admin=is_admin)


def _update_user(user_id: int, **values: object) -> None:
    with session() as db:
        result = db.exec(update(User).where(User.id == user_id).values(**values))
        if result.rowcount == 0:
            raise LookupError(f"There is no user with id {user_id}.")


def count_users() -> int:
    with session() as db:
        return db.exec(select(func.count()).select_from(User)).one()


def list_users() -> list[User]:
    with session() as db:
        return list(db.exec(select(User).order_by(User.id)).all())
