"""CSV decoding: the encodings, delimiters and header names spreadsheet software produces."""

from __future__ import annotations

import pytest

from issuer.credentials.upload import decode_text, read_csv
from issuer.errors import InvalidCsv


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        ("이메일,성명\na@example.kr,김민준\n".encode("cp949"), ","),
        ("Email;Name\na@example.kr;김민준\n".encode(), ";"),
        ("E-mail\tRecipient Name\na@example.kr\t김민준\n".encode("utf-16"), "\t"),
    ],
    ids=["cp949-korean-header", "semicolon", "utf16-tab"],
)
def test_headers_and_delimiters(data: bytes, delimiter: str) -> None:
    """Korean and English header names map to the same fields, whatever the delimiter."""
    parsed = read_csv(data)
    assert parsed.rows == [{"recipient": {"email": "a@example.kr", "name": "김민준"}}]
    assert parsed.lines == [2]


def test_cells_are_trimmed_blank_lines_skipped_and_unknown_columns_reported() -> None:
    """Whitespace is trimmed, empty rows skipped, and extra columns named (not silently lost)."""
    parsed = read_csv(
        "email, name ,전화번호,validUntil\n a@example.kr , 이서연 ,010,2027-03-01\n,,,\n".encode()
    )
    assert parsed.rows == [
        {
            "recipient": {"email": "a@example.kr", "name": "이서연"},
            "validUntil": "2027-03-01T00:00:00Z",
        }
    ]
    assert parsed.ignored_columns == ["전화번호"]


def test_quoted_cells_keep_commas_and_newlines() -> None:
    """RFC 4180 quoting works: a narrative may hold commas and line breaks."""
    parsed = read_csv(b'email,narrative\na@example.kr,"first, second\nthird"\n')
    assert parsed.rows[0]["narrative"] == "first, second\nthird"


def test_utf8_is_preferred_over_cp949() -> None:
    """Bytes that are valid UTF-8 are read as UTF-8."""
    assert decode_text("김민준".encode()) == "김민준"


def test_unterminated_quote_swallows_the_rest_into_one_cell() -> None:
    """An unterminated quote yields one cell (which then fails email validation), not a crash."""
    parsed = read_csv(b'email,name\n"a@example.kr,\xea\xb9\x80\n')
    assert parsed.rows == [{"recipient": {"email": "a@example.kr,김"}}]


def test_undecodable_bytes_are_invalid_csv() -> None:
    """Bytes that are neither UTF-8 nor CP949 are refused with a hint."""
    with pytest.raises(InvalidCsv, match="CSV UTF-8"):
        decode_text(b"\x80\x80\xff")
