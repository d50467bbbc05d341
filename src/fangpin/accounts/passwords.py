"""Password rules (R-SEC-06): Django's four standard validators, configured in settings.

Only the minimum length needs a hand here: Django's zh-hans catalogue has no translation of its
error message, which would reach users in English.
"""

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length rule, with its message in Chinese."""

    def get_error_message(self):
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码至少需要 {self.min_length} 个字符。"
