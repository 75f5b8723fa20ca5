"""The states of a 创建申报 and the steps between them: one small explicit table.

自评中 draft ─submit→ 待乡镇审核 submitted ─review→ 待县级认定 reviewed ─recognise→ 公示中 notice
  ↑                      │return                       │reject                  │award (period over)
  └──────────────────────┘                             ↓                        ↓
                                                 未通过 rejected ←─reject─  已命名 awarded
                                                                                │revoke (veto)
                                                                      已撤销 revoked ←┘ (also from notice)
"""

from .models import Status

# step: (states it starts from, state it leads to, 中文)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "submit": ((Status.DRAFT,), Status.SUBMITTED, "提交申报"),
    "return": ((Status.SUBMITTED,), Status.DRAFT, "退回修改"),
    "review": ((Status.SUBMITTED,), Status.REVIEWED, "乡镇审核通过"),
    "recognise": ((Status.REVIEWED,), Status.NOTICE, "县级认定"),
    "reject": ((Status.REVIEWED, Status.NOTICE), Status.REJECTED, "不予认定"),
    "award": ((Status.NOTICE,), Status.AWARDED, "公示期满命名"),
    "revoke": ((Status.NOTICE, Status.AWARDED), Status.REVOKED, "撤销命名"),
}
# The steps a person takes (the sweep also awards when a notice period is over, and revokes).
STEPS = ("submit", "return", "review", "recognise", "reject", "award")
