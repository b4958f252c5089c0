"""Password rules, shared by the admin API and the CLI (pure: no database or web imports)."""

from app.core.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 128  # Argon2 hashes anything, but nobody types more, and a huge one costs CPU for nothing


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
    if password.strip().casefold() == username.strip().casefold():
        out.append("密码不能与用户名相同 not the username")
    return out


def check(username: str, password: str) -> None:
    """422 weak_password listing every rule the password breaks."""
    if found := problems(username, password):
        raise Invalid("密码不符合规则 Password too weak: " + "; ".join(found), code="weak_password",
                      details=found)
