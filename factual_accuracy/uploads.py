"""Checking an uploaded file: its type from its content (never its name), its size, and a safe name to keep.

Pure: takes a file-like object and a name, returns plain values; no ORM and no settings.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_CHARS = 100
ACCEPTED = "a PDF, a Word or Excel document, or a JPEG or PNG image"


class FileCannotUpload(Exception):
    """The file is empty, too big or not a type we take; the message says which in plain words."""


@dataclass(frozen=True)
class CheckedFile:
    file_type: str  # pdf, docx, xlsx, doc_or_xls, png, jpeg
    extension: str
    safe_name: str
    size: int


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 and Excel 97-2003 share this container
_EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx", "png": ".png", "jpeg": ".jpg"}
_OLE2_EXTENSIONS = {".doc", ".xls"}


def _office_zip_type(stream) -> str | None:
    """docx or xlsx when the zip holds the parts that make one; None for any other zip."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def sniff(stream) -> str | None:
    """The file's type from its first bytes (and, for Office files, the parts inside), or None."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head == _OLE2:
        return "doc_or_xls"
    if head.startswith(b"PK\x03\x04"):
        found = _office_zip_type(stream)
        stream.seek(0)
        return found
    return None


def safe_name(name: str, extension: str) -> str:
    """The last part of the name only (no folders), plain letters, digits, spaces, dots, dashes and underscores,
    at most 100 characters, ending in the extension that matches what the file really is."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9 ._-]+", "_", stem).strip(" ._-")
    stem = re.sub(r"_+", "_", stem)[: MAX_NAME_CHARS - len(extension)] or "file"
    return f"{stem}{extension}"


def check_upload(stream, *, name: str, size: int) -> CheckedFile:
    """Check an upload before it is kept.

    :raises FileCannotUpload: when it is empty, over 10 MB, or its content is not a type we take.
    """
    if size <= 0:
        raise FileCannotUpload("The selected file is empty. Choose a file with something in it.")
    if size > MAX_BYTES:
        raise FileCannotUpload(
            f"The selected file is {size / 1024 / 1024:.1f} MB. It must be smaller than {MAX_BYTES // 1024 // 1024} MB."
        )
    found = sniff(stream)
    if found is None:
        raise FileCannotUpload(
            f"The selected file must be {ACCEPTED}. This file is not one of those inside, whatever its name says."
        )
    if found == "doc_or_xls":
        given = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        extension = given if given in _OLE2_EXTENSIONS else ".doc"
    else:
        extension = _EXTENSIONS[found]
    return CheckedFile(file_type=found, extension=extension, safe_name=safe_name(name, extension), size=size)
