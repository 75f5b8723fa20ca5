from django.core.management.base import BaseCommand

from pingan.core.crypto import new_key


class Command(BaseCommand):
    help = (
        "生成个人信息加密密钥，用作环境变量 PINGAN_FIELD_KEY 的值。请妥善保管：丢失后已加密的数据无法解密。"
    )

    def handle(self, *args, **options):
        self.stdout.write(new_key())
