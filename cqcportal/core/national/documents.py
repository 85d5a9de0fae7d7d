"""The uploaded files of a generated register: a small set of real documents, stored once and shared by rows.

Evidence items, the files providers send with factual accuracy comments and the files sent with representations
all point at real files in the portal's storage, so every download link of a generated register works. A national
register has hundreds of thousands of such rows; one file each would be gigabytes of identical bytes, so a dozen
documents (PDFs and PNG images, made here, valid as the upload checks see them) are written once and shared. Their
size and SHA-256 are those of the bytes stored.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

FOLDER = "national"


@dataclass(frozen=True)
class Document:
    path: str  # in the storage, as a FileField holds it
    name: str  # as the person who uploaded it named it
    file_type: str  # as factual_accuracy.uploads.sniff finds it
    size: int
    sha256: str


def _pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF showing the title and the lines (valid enough for any reader)."""
    text = ["BT /F1 16 Tf 56 780 Td (" + _pdf_text(title) + ") Tj ET"]
    for i, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 56 {748 - 18 * i} Td (" + _pdf_text(line) + ") Tj ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _pdf_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A plain image of one colour with a darker band (a photograph stand-in)."""
    rows = []
    for y in range(height):
        shade = colour if y % 40 > 8 else tuple(c // 2 for c in colour)
        rows.append(b"\x00" + bytes(shade) * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


_PDFS = [
    (
        "Care plan audit.pdf",
        "Care plan audit",
        ["Six care plans reviewed against the provider's own standard.", "Actions agreed with the registered manager."],
    ),
    (
        "Staff rota four weeks.pdf",
        "Staff rota",
        ["Planned and actual staffing for four weeks.", "Agency shifts marked."],
    ),
    ("Training matrix.pdf", "Training matrix", ["Mandatory training by member of staff, with the dates completed."]),
    (
        "Medicines audit.pdf",
        "Medicines audit",
        ["Medicines administration records checked for one month.", "Two gaps found and followed up."],
    ),
    (
        "Incident log.pdf",
        "Incident log",
        ["Incidents for the last quarter, with the learning shared at team meetings."],
    ),
    (
        "Fire safety check.pdf",
        "Fire safety check",
        ["Weekly alarm tests, the last drill and the fire risk assessment review."],
    ),
    (
        "Complaints summary.pdf",
        "Complaints summary",
        ["Complaints received this year, their outcomes and response times."],
    ),
    (
        "Infection control audit.pdf",
        "Infection prevention and control audit",
        ["Cleaning schedules, hand hygiene and the last outbreak review."],
    ),
]
_PNGS = [
    ("Photo of notice board.png", (96, 140, 190)),
    ("Photo of cleaning schedule.png", (120, 170, 110)),
    ("Photo of medicines room.png", (180, 150, 100)),
    ("Photo of fire exit signage.png", (170, 90, 90)),
]


def _all() -> list[tuple[str, str, bytes]]:
    made = [(name, "pdf", _pdf(title, lines)) for name, title, lines in _PDFS]
    made += [(name, "png", _png(160, 120, colour)) for name, colour in _PNGS]
    return made


def shared_documents(storage=None) -> list[Document]:
    """The shared documents, written to the storage unless they are there already, byte for byte."""
    storage = storage or default_storage
    documents = []
    for name, file_type, content in _all():
        path = f"{FOLDER}/{name.replace(' ', '-').lower()}"
        if not _holds(storage, path, content):
            if storage.exists(path):
                storage.delete(path)  # an older version: its rows would show another size and digest
            saved = storage.save(path, ContentFile(content))
            if saved != path:
                raise RuntimeError(f"The storage renamed {path} to {saved}; rows would point at nothing.")
        documents.append(Document(path, name, file_type, len(content), hashlib.sha256(content).hexdigest()))
    return documents


def _holds(storage, path: str, content: bytes) -> bool:
    if not storage.exists(path):
        return False
    with storage.open(path, "rb") as stored:
        return stored.read() == content
