"""Encryption at rest for personal data (DESIGN §8).

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256, random IV), so equal clear texts never look
equal in the database. The key comes from PINGAN_FIELD_KEY, or from ./var/field.key, which
`pingan demo` writes.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> Fernet:
    key = settings.FIELD_KEY
    if not key and settings.FIELD_KEY_FILE.exists():
        key = settings.FIELD_KEY_FILE.read_text().strip()
    if not key:
        raise ImproperlyConfigured(
            "未配置个人信息加密密钥：请设置环境变量 PINGAN_FIELD_KEY"
            "（可用 `pingan generate_field_key` 生成）。"
        )
    try:
        return Fernet(key.encode())
    except ValueError as exc:
        raise ImproperlyConfigured("PINGAN_FIELD_KEY 格式不正确（应为 32 字节的 urlsafe base64）。") from exc


def new_key() -> str:
    return Fernet.generate_key().decode()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("个人信息无法解密：PINGAN_FIELD_KEY 与加密时使用的密钥不一致。") from exc


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; empty stays empty so that "not given" is visible."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)
