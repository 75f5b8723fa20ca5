"""Chinese names for what the audit log holds: action codes, actors and the objects acted on.

`ACTION_GROUPS` is the one table of action codes. `record` and `record_many` warn about a code that is
missing here (a RuntimeWarning, which the test suite turns into an error), so a new code cannot reach
the log without its label.
"""

import warnings
from functools import lru_cache

from django.apps import apps

# (group shown in the action picker, {code: label}). Case events are `case.<event>` (pingan.cases.events).
ACTION_GROUPS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "登记与受理",
        {
            "case.create": "登记案件",
            "case.import": "补录历史案件",
            "case.update": "修改登记信息",
            "case.accept": "受理案件",
            "case.reject": "不予受理",
            "case.merge": "合并案件",
            "case.merged_in": "并入案件",
            "case.relate": "关联案件",
            "case.related_in": "被关联案件",
            "case.withdraw": "撤回案件",
            "case.answer": "当场答复",
        },
    ),
    (
        "分派与办理",
        {
            "case.dispatch": "分派案件",
            "case.sign": "签收案件",
            "case.record_work": "记录工作",
            "case.attach": "上传附件",
            "case.resolve": "办结反馈",
            "case.reply": "答复群众",
            "case.exclude": "设置回避",
        },
    ),
    (
        "申请与审批",
        {
            "case.request_return": "申请退单",
            "case.decide_return": "审批退单",
            "case.request_extension": "申请延期",
            "case.decide_extension": "审批延期",
            "case.request_suspension": "申请挂起",
            "case.decide_suspension": "审批挂起",
            "case.resume": "恢复办理",
        },
    ),
    (
        "核查、回访与督办",
        {
            "case.check_pass": "核查通过",
            "case.check_fail": "核查不通过（返工）",
            "case.follow_up": "回访",
            "case.reopen": "重新办理",
            "case.archive": "归档",
            "case.supervise": "督办",
            "case.lift_supervision": "解除督办",
            "case.report_progress": "报告督办进展",
        },
    ),
    (
        "包案与积案",
        {
            "case.assign_leader": "指定包案领导",
            "case.complete_plan_step": "完成包案工作步骤",
            "case.leader_sign_off": "包案领导签字销号",
            "case.mark_backlog": "标记积案",
            "case.record_performance": "登记调解协议履行情况",
            "case.record_judicial_confirmation": "登记司法确认",
        },
    ),
    (
        "个人信息、导出与导入",
        {
            "case.reveal": "查看个人信息原文",
            "case.excluded_access": "回避人员试图访问案件",
            "case.export": "导出案件台账",
            "supervision.export": "导出督办台账",
            "export.download": "下载导出文件",
            "case.import_file": "批量补录（导入文件）",
            "audit.export": "导出审计日志",
        },
    ),
    (
        "登录",
        {
            "auth.login": "登录",
            "auth.login_failed": "登录失败",
            "auth.locked_out": "账号被锁定",
            "auth.client_locked_out": "登录地址被暂停",
            "auth.otp": "两步验证通过",
            "auth.otp_failed": "两步验证失败",
        },
    ),
    (
        "账号、角色与令牌",
        {
            "user.create": "新建用户",
            "user.change": "修改用户信息",
            "user.password": "设置密码",
            "user.deactivate": "停用用户",
            "user.otp_enrol": "绑定两步验证",
            "user.otp_reset": "重置两步验证",
            "role.grant": "授予角色",
            "role.revoke": "撤销角色",
            "token.issue": "签发接口令牌",
            "token.revoke": "吊销接口令牌",
        },
    ),
    (
        "配置管理",
        {
            "config.create": "新增配置",
            "config.change": "修改配置",
            "config.delete": "删除配置",
        },
    ),
    (
        "统计数据",
        {
            "statistic.set": "填报统计数据",
        },
    ),
    (
        "矛盾纠纷排查",
        {
            "screening.file": "报送排查月报",
        },
    ),
    (
        "隐患排查",
        {
            "inspection.place_create": "登记排查场所",
            "inspection.place_change": "修改排查场所",
            "inspection.record": "记录隐患检查",
            "inspection.recheck": "记录隐患复查",
        },
    ),
    (
        "平安创建",
        {
            "creation.organisation": "登记创建单位",
            "creation.organisation_change": "修改创建单位",
            "creation.start": "开始创建自评",
            "creation.score": "填写自评得分",
            "creation.evidence": "上传创建佐证材料",
            "creation.submit": "提交创建申报",
            "creation.return": "乡镇退回创建申报",
            "creation.review": "乡镇审核通过创建申报",
            "creation.recognise": "县级认定（进入公示）",
            "creation.reject": "不予认定",
            "creation.award": "公示期满命名",
            "creation.revoke": "一票否决撤销命名",
        },
    ),
    (
        "调度通报",
        {
            "report.generate": "生成调度通报",
            "report.request": "申请生成调度通报",
            "report.commentary": "修改通报按语",
            "report.publish": "发布调度通报",
        },
    ),
    (
        "问责台账",
        {
            "accountability.propose": "规则提出问责建议",
            "accountability.enter": "登记问责记录",
            "accountability.confirm": "确认问责",
            "accountability.dismiss": "不予采纳问责建议",
            "accountability.lift": "解除问责",
            "accountability.record": "上传问责记录文件",
            "accountability.link": "关联整改案件",
            "accountability.unlink": "取消关联整改案件",
        },
    ),
    (
        "重点地区",
        {
            "focusareas.list": "列为重点整治地区",
            "focusareas.delist": "重点整治地区验收摘牌",
        },
    ),
    (
        "研判预警",
        {
            "surges.detect": "运行研判预警",
            "surges.dismiss": "排除研判预警",
            "surges.open_case": "研判预警转整改案件",
        },
    ),
    (
        "专项整治",
        {
            "campaign.create": "创建专项整治",
            "campaign.task": "下达整治任务",
            "campaign.task_progress": "报告任务进展",
            "campaign.task_complete": "报告任务完成",
            "campaign.task_accept": "任务验收通过",
            "campaign.task_reject": "任务验收不通过",
            "campaign.task_supervise": "督办整治任务",
            "campaign.finding": "登记问题清单",
            "campaign.review": "抽取回头看",
            "campaign.reinspect": "回头看复查",
        },
    ),
    (
        "群众与系统",
        {
            "case.public_message": "群众留言",
            "case.public_feedback": "群众评价",
            "case.overdue": "标记超期",
            "case.escalate": "超期升级",
            "case.progress_late": "督办进展逾期未报",
            "case.performance_due_soon": "调解协议履行期限将到提醒",
            "case.performance_late": "调解协议履行期限已过提醒",
            "case.purge": "到期清除个人信息",
            "sweep": "超期巡检",
            "demo.grow": "扩增压测数据（按倍数复制案件）",
            "purge": "到期清除（批次）",
        },
    ),
)

ACTION_LABELS: dict[str, str] = {code: label for _, codes in ACTION_GROUPS for code, label in codes.items()}
# Every export of data (DESIGN §8): the codes named `<what>.export`, so that a new export counts too.
EXPORT_ACTIONS = tuple(code for code in ACTION_LABELS if code.endswith(".export"))

# Object types that are not a model label ("app.model").
OBJECT_TYPES = {
    "case": "案件",
    "ledger": "案件台账",
    "supervision": "督办台账",
    "audit": "审计日志",
    "export_job": "导出任务",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def check_labelled(action: str) -> None:
    """Called for every entry written: a code without a label is a bug in the code that writes it."""
    if action not in ACTION_LABELS:
        warnings.warn(
            f"audit action {action!r} has no label in pingan.audit.labels.ACTION_GROUPS",
            RuntimeWarning,
            stacklevel=3,
        )


@lru_cache(maxsize=64)
def object_type_label(object_type: str) -> str:
    """ "案件", or a model's verbose name for a model label such as "accounts.rolegrant"."""
    if object_type in OBJECT_TYPES:
        return OBJECT_TYPES[object_type]
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type
