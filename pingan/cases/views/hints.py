"""Hints that apps above cases put beside a form's field (pingan.suggest: 建议分类, 建议牵头单位).

Cases may not import those apps (STYLE: layers run one way), so an app names the view of its hint here
in its AppConfig.ready(); with none named, the forms show no hint and work as they always have.
"""

INTAKE_CATEGORY = "intake_category"  # the registration form's category, asked with the form's fields
DISPATCH_LEAD_UNIT = "dispatch_lead_unit"  # the dispatch form's lead unit, asked with the case number

URLS: dict[str, str] = {}
