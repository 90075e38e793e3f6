"""Evidence checks for a buyer-fault claim (§6): 1 to 5 files, each a JPEG, PNG or PDF by its
content (not its name), each at most 5 MiB. All files are checked before any is stored."""

import hashlib
from dataclasses import dataclass

import filetype
from django.utils.translation import gettext as _

from tickets.exceptions import ValidationError

MAX_FILES = 5
MAX_BYTES = 5 * 1024 * 1024
ALLOWED = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


class EvidenceTooLarge(ValidationError):
    """A file over the size limit (the API answers 413)."""

    code = "too_large"


@dataclass(frozen=True)
class CheckedFile:
    upload: object
    original_name: str
    content_type: str
    extension: str
    size: int
    sha256: str


def _safe_name(name: str) -> str:
    # Keep only the last path component of what the uploader called it; it is text, not a path.
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters (NUL is refused by PostgreSQL; newlines would reach headers and logs).
    base = "".join(char for char in base if char.isprintable()).strip()
    return base[:200] or "evidence"


def check_evidence(files) -> list[CheckedFile]:
    files = list(files or [])
    if not files:
        raise ValidationError(_("Attach at least one evidence file."), field="evidence")
    if len(files) > MAX_FILES:
        raise ValidationError(
            _("Attach at most %(n)d evidence files.") % {"n": MAX_FILES}, field="evidence"
        )
    checked = []
    for upload in files:
        name = _safe_name(getattr(upload, "name", ""))
        size = upload.size
        if size > MAX_BYTES:
            raise EvidenceTooLarge(
                _("%(name)s is larger than 5 MiB.") % {"name": name}, field="evidence"
            )
        if size == 0:
            raise ValidationError(_("%(name)s is empty.") % {"name": name}, field="evidence")
        upload.seek(0)
        head = upload.read(8192)
        kind = filetype.guess(head)
        mime = kind.mime if kind else None
        if mime not in ALLOWED:
            raise ValidationError(
                _("%(name)s is not a JPEG, PNG or PDF file.") % {"name": name}, field="evidence"
            )
        digest = hashlib.sha256(head)
        while chunk := upload.read(1024 * 1024):
            digest.update(chunk)
        upload.seek(0)
        checked.append(CheckedFile(upload, name, mime, ALLOWED[mime], size, digest.hexdigest()))
    return checked
