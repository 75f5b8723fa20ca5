"""Validation and masking of the personal data a case may hold."""

import re

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", re.ASCII)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def phone_is_valid(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def id_number_is_valid(number: str) -> bool:
    """18-digit resident ID (GB 11643) with its ISO 7064 MOD 11-2 check character."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number, re.ASCII):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def mask_name(name: str) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    digits = phone.replace("-", "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_address(address: str) -> str:
    if not address:
        return ""
    keep = min(6, max(1, len(address) // 3))
    return address[:keep] + "****"


def mask_id_number(number: str) -> str:
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


MASKERS = {"name": mask_name, "phone": mask_phone, "address": mask_address, "id_number": mask_id_number}


def mask(kind: str, value: str) -> str:
    return MASKERS[kind](value) if value else ""
