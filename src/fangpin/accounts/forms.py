from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

LOCKED_MESSAGE = "登录失败次数过多，账户已暂时锁定，请{minutes}分钟后再试或联系管理员"


def locked_message() -> str:
    """The message for a locked account or client (R-SEC-06), naming the configured cool-off time."""
    return LOCKED_MESSAGE.format(minutes=settings.FANGPIN_LOGIN_COOLOFF_MINUTES)


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误，请重新输入",
        "inactive": "该账号已停用，请联系管理员",
    }
