"""The backup file: one tar holding the database, the attachment files under `media/` and, last,
`manifest.json` with the size and sha256 of every other member.

Each file is hashed as it goes into the tar, so the checksums are of exactly the bytes archived; a
restore checks every member against them before it writes anything.
"""

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

MANIFEST = "manifest.json"
FORMAT = "pingan-backup"
FORMAT_VERSION = 1
MEDIA_PREFIX = "media/"
# The database file, by vendor.
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
_CHUNK = 1 << 20


class BadBackup(Exception):
    """A backup that cannot be trusted; the message (中文) names the file that is wrong."""


def private_file(path: Path) -> BinaryIO:
    """A new file readable by its owner only, from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


class _HashingReader:
    """Hands tarfile the bytes of a file and keeps their sha256 on the way."""

    def __init__(self, source: IO[bytes]):
        self.source, self.sha256, self.size = source, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    """Writes `<name>.partial` and renames it only once the manifest is in: an interrupted backup
    never looks like a finished one."""

    def __init__(self, path: Path):
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self._file = private_file(self.partial)
        # Closed by finish(), or by __exit__ on failure.
        self._tar = tarfile.open(fileobj=self._file, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.files: dict[str, dict[str, Any]] = {}
        self._finished = False

    def __enter__(self) -> "ArchiveWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._finished:
            self._tar.close()
            self._file.close()
            self.partial.unlink(missing_ok=True)

    def add(self, name: str, source: Path) -> None:
        with source.open("rb") as f:
            info = tarfile.TarInfo(name)
            stat = os.fstat(f.fileno())
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
            reader = _HashingReader(f)
            self._tar.addfile(info, reader)  # type: ignore[arg-type]  # tarfile only calls read()
        self.files[name] = {"size": reader.size, "sha256": reader.sha256.hexdigest()}

    def finish(self, manifest: dict[str, Any]) -> Path:
        data = json.dumps({**manifest, "files": self.files}, ensure_ascii=False, indent=2).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
        self._tar.addfile(info, io.BytesIO(data))
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.partial, self.path)
        self._finished = True
        return self.path


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name != path.as_posix():
        return False
    return name in DATABASE_FILES.values() or (name.startswith(MEDIA_PREFIX) and len(path.parts) > 1)


class Archive:
    """A backup opened for restoring. `verify` reads every member against the manifest first."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._tar = tarfile.open(path, "r:")  # noqa: SIM115 (closed by close())
        except (OSError, tarfile.TarError) as exc:
            raise BadBackup(f"无法读取备份文件 {path}：{exc}。文件已损坏，或不是平安的备份。") from None
        self.members = self._read_members()
        self.manifest = self._read_manifest()

    def close(self) -> None:
        self._tar.close()

    def _read_members(self) -> dict[str, tarfile.TarInfo]:
        members: dict[str, tarfile.TarInfo] = {}
        last = None
        try:
            for member in self._tar:
                if member.name in members:
                    raise BadBackup(f"备份中 {member.name} 出现了两次，备份已被改动。")
                members[member.name] = last = member
        except tarfile.TarError:
            where = f"{last.name} 不完整" if last is not None else "开头即不完整"
            raise BadBackup(f"备份文件被截断：{where}，其后的内容全部缺失。") from None
        return members

    def _read_manifest(self) -> dict[str, Any]:
        member = self.members.get(MANIFEST)
        if member is None:
            raise BadBackup(f"备份不完整：缺少 {MANIFEST}（文件可能被截断，或不是平安的备份）。")
        try:
            manifest = json.loads(self._read_all(member))
            database, audit = manifest["database"], manifest["audit"]
            if (
                manifest["format"] != FORMAT
                or not isinstance(manifest["files"], dict)
                or DATABASE_FILES.get(database["vendor"]) != database["file"]
                or database["file"] not in manifest["files"]
                or not isinstance(database["tables"], dict)
                or not {"head_hash", "head_count"} <= set(audit)
            ):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise BadBackup(f"{MANIFEST} 已损坏或不是平安备份的清单。") from None
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BadBackup(f"不支持的备份格式版本：{manifest.get('format_version')}。")
        return manifest

    def _read_all(self, member: tarfile.TarInfo) -> bytes:
        return b"".join(self._chunks(member))

    def _chunks(self, member: tarfile.TarInfo) -> Iterator[bytes]:
        source = self._tar.extractfile(member)
        if source is None:
            raise BadBackup(f"备份中的 {member.name} 不是普通文件，备份已被改动。")
        try:
            while chunk := source.read(_CHUNK):
                yield chunk
        except tarfile.TarError:
            raise BadBackup(f"备份文件被截断：{member.name} 不完整。") from None

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.manifest["files"]

    def verify(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Every file the manifest lists is there, whole and unchanged, and nothing else is."""
        for name, member in self.members.items():
            if name == MANIFEST:
                continue
            if name not in self.files:
                raise BadBackup(f"备份中有清单之外的文件：{name}，备份已被改动。")
            if not member.isreg() or not _safe_name(name):
                raise BadBackup(f"备份中的 {name} 不是可以恢复的文件，备份已被改动。")
        for name in self.files:
            if name not in self.members:
                raise BadBackup(f"备份缺少文件：{name}（备份不完整）。")
        for done, name in enumerate(self.files, 1):
            self._check(name, self._chunks(self.members[name]))
            if progress is not None:
                progress(done, len(self.files))

    def _check(self, name: str, chunks: Iterator[bytes]) -> None:
        digest, size = hashlib.sha256(), 0
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
        expected = self.files[name]
        if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
            raise BadBackup(f"文件校验失败：{name} 与清单中的校验值不符，备份已损坏或被改动。")

    def copy_out(self, name: str, dest: Path) -> None:
        """Write one member to a new owner-only file, checking it again on the way."""
        with private_file(dest) as out:

            def written() -> Iterator[bytes]:
                for chunk in self._chunks(self.members[name]):
                    out.write(chunk)
                    yield chunk

            self._check(name, written())
