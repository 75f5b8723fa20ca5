"""Password rules beyond Django's stock validators (DESIGN §8)."""

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its message in Chinese: Django 5.2 changed the English text of this message
    and its zh-hans catalogue still carries the old one, so the message came out in English."""

    def get_error_message(self) -> str:
        return f"密码太短，至少要有 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少要有 {self.min_length} 个字符。"
