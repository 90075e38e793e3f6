"""§6 evidence (凭证) of a buyer-fault claim: 1 to 5 files, JPEG, PNG or PDF by content (not by
name), each at most 5 MiB; the uploader's name is text, never a path; refused means stored
nothing."""

import pytest

from complaints.evidence import MAX_BYTES, MAX_FILES, EvidenceTooLarge, check_evidence
from complaints.models import Evidence
from tests import factories as f
from tickets import services
from tickets.exceptions import ValidationError

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 64
TEXT = b"hello, this is not an image\n"


def claim(files):
    ticket = f.ticket_in("agreed")
    services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=f.staff_of(ticket),
        plan="buyer_fault",
        note="buyer asked to wait",
        evidence=files,
    )
    return ticket


def test_limits_are_the_spec_limits():
    assert (MAX_FILES, MAX_BYTES) == (5, 5 * 1024 * 1024)


@pytest.mark.parametrize(
    ("name", "content", "mime", "extension"),
    [
        ("a.png", f.PNG, "image/png", "png"),
        ("a.jpg", f.JPEG, "image/jpeg", "jpg"),
        ("a.pdf", f.PDF, "application/pdf", "pdf"),
        ("a.jpg", f.PDF, "application/pdf", "pdf"),  # a real PDF named .jpg is a PDF
        ("scan", f.PNG, "image/png", "png"),  # no extension at all
    ],
)
def test_evidence_type_is_read_from_the_content(name, content, mime, extension):
    [checked] = check_evidence([f.upload(name, content)])
    assert (checked.content_type, checked.extension) == (mime, extension)


@pytest.mark.parametrize(
    ("name", "content"),
    [("x.png", TEXT), ("x.png", EXE), ("x.pdf", EXE), ("x.jpg", b"GIF89a" + b"\0" * 20)],
)
def test_evidence_of_another_type_named_like_an_image_is_refused(name, content):
    with pytest.raises(ValidationError) as error:
        check_evidence([f.upload(name, content)])
    assert error.value.field == "evidence"
    assert "JPEG, PNG or PDF" in error.value.message


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError):
        check_evidence([f.upload("empty.png", b"")])


def test_a_real_pdf_named_jpg_is_stored_as_a_pdf(evidence_root):
    ticket = claim([f.upload("scan.jpg", f.PDF, "image/jpeg")])
    evidence = Evidence.objects.get(ticket=ticket)
    assert evidence.content_type == "application/pdf"
    assert evidence.extension == "pdf"
    assert evidence.original_name == "scan.jpg"
    assert evidence.file.name.endswith(".pdf")
    assert evidence.file.read() == f.PDF


def test_a_text_file_named_png_is_refused_and_nothing_is_stored(evidence_root):
    ticket = f.ticket_in("agreed")
    before = f.footprint(ticket)
    with pytest.raises(ValidationError):
        services.ticket_second_handling(
            ticket_id=ticket.pk,
            actor=f.staff_of(ticket),
            plan="buyer_fault",
            note="n",
            evidence=[f.upload("x.png", TEXT)],
        )
    assert f.footprint(ticket) == before
    assert f.stored_files(evidence_root) == []


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.png", "..\\..\\windows\\win.ini.png", "/abs/path.png", "a/../../b.png"],
)
def test_path_like_names_are_stored_safely(name, evidence_root, tmp_path):
    ticket = claim([f.upload(name, f.PNG)])
    evidence = Evidence.objects.get(ticket=ticket)
    assert "/" not in evidence.original_name and "\\" not in evidence.original_name
    [stored] = f.stored_files(evidence_root)
    assert stored.resolve().is_relative_to(evidence_root.resolve())
    assert stored.parent.name == str(ticket.pk)
    assert ".." not in evidence.file.name
    assert not (tmp_path / "etc").exists()


def test_evidence_records_size_and_sha256(evidence_root):
    import hashlib

    ticket = claim([f.upload("a.png", f.PNG)])
    evidence = Evidence.objects.get(ticket=ticket)
    assert evidence.size == len(f.PNG)
    assert evidence.sha256 == hashlib.sha256(f.PNG).hexdigest()


def test_size_limit_is_inclusive():
    [checked] = check_evidence([f.big_upload(MAX_BYTES)])
    assert checked.size == MAX_BYTES
    with pytest.raises(EvidenceTooLarge):
        check_evidence([f.big_upload(MAX_BYTES + 1)])


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (5, True), (6, False)])
def test_file_count_is_1_to_5(count, ok):
    files = [f.upload(f"p{i}.png") for i in range(count)]
    if ok:
        assert len(check_evidence(files)) == count
    else:
        with pytest.raises(ValidationError):
            check_evidence(files)


@pytest.mark.parametrize("name", ["a\x00b.png", "line\nbreak.png", "tab\there.png", "\x00"])
def test_control_characters_in_names_are_dropped(name, evidence_root):
    # PostgreSQL refuses NUL in text; any caller other than Django's multipart parser (which
    # strips them) must not be able to turn a file name into a database error.
    ticket = claim([f.upload(name, f.PNG)])
    evidence = Evidence.objects.get(ticket=ticket)
    assert evidence.original_name.isprintable()
    assert evidence.original_name
