"""The fields of the 督办 actions' forms on the case page (pingan.cases.views.forms)."""

from pingan.cases.views.forms import Field

from .models import Supervision

ACTION_FIELDS = {
    "supervise": (
        Field("level", "督办级别", "radio", tuple(Supervision.Level.choices), required=True),
        Field("requirement", "督办要求", "textarea", required=True, hint="写明要办到什么程度、何时办结"),
        Field(
            "report_every_days",
            "每隔几日报告进展",
            "number",
            required=True,
            hint="自然日；报告截止日逢节假日顺延至下一个工作日",
        ),
        Field("deadline", "督办时限", "date", hint="可不填"),
    ),
    "lift_supervision": (Field("note", "解除理由", "textarea", required=True),),
    "report_progress": (Field("text", "办理进展", "textarea", required=True),),
}
