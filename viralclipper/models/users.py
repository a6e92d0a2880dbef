"""Users: bcrypt passwords, lower-cased unique emails, and the first user becomes admin."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import bcrypt
from sqlalchemy import exists, func, insert, literal, or_, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from viralclipper.models.db import session
from viralclipper.models.tables import User, UTCDateTime, utcnow

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 refuses longer ones instead of truncating
BCRYPT_ROUNDS = 12  # the cost factor of every hash, the dummy one included
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


@cache
def dummy_hash() -> bytes:
    """Checked when the email is unknown: same cost as a real hash, so both answers take as long."""
    return bcrypt.hashpw(b"not anyone's password", bcrypt.gensalt(BCRYPT_ROUNDS))


def normalize_email(email: str) -> str:
    """The stored form of an email (trimmed, lower-cased); ValueError when it is not one."""
    normalized = email.strip().lower()
    if not EMAIL_PATTERN.match(normalized):
        raise ValueError(f"'{email.strip()}' is not a valid email address.")
    return normalized


def check_password(password: str) -> None:
    """ValueError with a sentence for the user when `password` is too short, too long or common."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"The password must be at least {MIN_PASSWORD_CHARS} characters long.")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValueError(f"The password must be at most {MAX_PASSWORD_BYTES} bytes long.")
    if password.lower() in common_passwords():
        raise ValueError("That password is one of the most common ones: choose another.")


def hash_password(password: str) -> str:
    """A bcrypt hash of a password that passes `check_password` (else its ValueError)."""
    check_password(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def create_user(email: str, password: str, *, is_admin: bool = False) -> User:
    """A new user; the very first user is always an admin.

    Raises ValueError with a sentence for the user for an invalid email or password, or an email
    that is already registered.
    """
    user = _insert_user(email, password, is_admin=is_admin, only_first=False)
    assert user is not None  # only an only_first insert can be refused
    return user


def create_first_admin(email: str, password: str) -> User:
    """The first user of a fresh instance, an admin. ValueError with a sentence when any user
    exists already (of two racing requests, exactly one creates the admin), or for an invalid
    email or password."""
    user = _insert_user(email, password, is_admin=True, only_first=True)
    if user is None:
        raise ValueError("This instance already has an admin: log in instead.")
    return user


def _insert_user(email: str, password: str, *, is_admin: bool, only_first: bool) -> User | None:
    """Insert a user in one statement that also decides, atomically, whether the table was empty:
    the user is an admin when asked or when first; with `only_first`, nothing is inserted (None)
    unless the table was empty."""
    email = normalize_email(email)
    password_hash = hash_password(password)
    empty = ~exists().where(col(User.id).is_not(None))
    values = sa_select(
        literal(email),
        literal(password_hash),
        or_(literal(is_admin), empty),
        literal(utcnow(), UTCDateTime()),
        literal(0),
    )
    if only_first:
        values = values.where(empty)
    statement = insert(User).from_select(
        ["email", "password_hash", "is_admin", "created_at", "session_epoch"], values
    )
    try:
        with session() as db:
            if db.get_bind().dialect.name == "postgresql":
                # Postgres reads with a snapshot per statement: two racing inserts could both see
                # an empty table, so creators take turns (SQLite has one writer at a time anyway).
                db.exec(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))  # type: ignore[call-overload]
            inserted = db.exec(statement).rowcount
    except IntegrityError as error:
        raise ValueError(f"A user with the email {email} already exists.") from error
    return get_user_by_email(email) if inserted else None


def authenticate(email: str, password: str) -> User | None:
    """The user when the email and password match, else None."""
    try:
        user = get_user_by_email(email)
    except ValueError:
        user = None
    stored = user.password_hash.encode("ascii") if user else dummy_hash()
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


def set_password(user_id: int, password: str) -> int | None:
    """Replace a user's password (validated like at sign-up) and end all the user's sessions;
    returns the new session epoch (None if the user was deleted meanwhile). LookupError for an
    unknown user."""
    _update_user(
        user_id, password_hash=hash_password(password), session_epoch=User.session_epoch + 1
    )
    return session_epoch(user_id)


def end_sessions(user_id: int) -> None:
    """Every session of the user, on every browser, is over (they carry an older epoch)."""
    _update_user(user_id, session_epoch=User.session_epoch + 1)


def session_epoch(user_id: int) -> int | None:
    """The user's current session epoch; None when there is no such user."""
    with session() as db:
        return db.exec(select(User.session_epoch).where(User.id == user_id)).first()


def set_admin(user_id: int, is_admin: bool) -> None:
    _update_user(user_id, is_admin=is_admin)


def _update_user(user_id: int, **values: object) -> None:
    with session() as db:
        result = db.exec(update(User).where(col(User.id) == user_id).values(**values))
        if result.rowcount == 0:
            raise LookupError(f"There is no user with id {user_id}.")


def count_users() -> int:
    with session() as db:
        return db.exec(select(func.count()).select_from(User)).one()


def list_users() -> list[User]:
    with session() as db:
        return list(db.exec(select(User).order_by(col(User.id))).all())
