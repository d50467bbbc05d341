"""Personal data masking by role (R-SEC-03)."""

from fangpin.policy.idnumbers import mask_id_number, mask_phone


def show_id_number(user, value: str) -> str:
    if user is not None and user.is_authenticated and user.caps.full_id_number:
        return value or ""
    return mask_id_number(value or "")


def show_phone(user, value: str) -> str:
    if user is not None and user.is_authenticated and user.caps.full_phone:
        return value or ""
    return mask_phone(value or "")
