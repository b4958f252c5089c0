"""Password rules, shared by the admin API and the CLI (pure: no database or web imports)."""

from app.core.errors import Invalid
from app.users.common_passwords import COMMON_PASSWORDS

MIN_LENGTH = 8
MAX_LENGTH = 128  # Argon2 hashes anything, but nobody types more, and a huge one costs CPU for nothing
PASSPHRASE_LENGTH = 16  # a phrase this long needs no second kind of character


def kinds(password: str) -> int:
    """How many of letters, digits and everything else (symbols, spaces, Chinese characters) a password holds."""
    return len({"letter" if c.isascii() and c.isalpha() else "digit" if c.isdigit() else "other" for c in password})


def problems(username: str, password: str) -> list[str]:
    """What is wrong with a password for this user (empty: it is acceptable)."""
    out = []
    if len(password) < MIN_LENGTH:
        out.append(f"密码至少 {MIN_LENGTH} 位 at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        out.append(f"密码最多 {MAX_LENGTH} 位 at most {MAX_LENGTH} characters")
    if password.isdigit():
        out.append("密码不能全是数字 not only digits")
    elif len(set(password)) == 1:  # eight spaces, aaaaaaaa: the first guesses
        out.append("密码不能是同一个字符重复 not one character repeated")
    elif kinds(password) < 2 and len(password) < PASSPHRASE_LENGTH:
        out.append(f"密码须含字母、数字、符号中的两类（或至少 {PASSPHRASE_LENGTH} 位） "
                   f"two kinds of letters, digits and symbols (or {PASSPHRASE_LENGTH} characters)")
    if password.strip().casefold() in COMMON_PASSWORDS:
        out.append("密码过于常见 not a common password")
    if password.strip().casefold() == username.strip().casefold():
        out.append("密码不能与用户名相同 not the username")
    return out


def check(username: str, password: str) -> None:
    """422 weak_password listing every rule the password breaks."""
    if found := problems(username, password):
        raise Invalid("密码不符合规则 Password too weak: " + "; ".join(found), code="weak_password",
                      details=found)
