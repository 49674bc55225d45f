"""File readers on fixtures in the CMS layouts, and on broken copies of them."""

from __future__ import annotations

from datetime import date

import pytest

from agency.codesets.loaders.common import CodeFileError
from agency.codesets.loaders.cpt import parse_cpt_file
from agency.codesets.loaders.hcpcs import parse_quarterly_file
from agency.codesets.loaders.icd10cm import parse_order_file
from codesets_support import CPT_FILE, HCPCS_2026Q1, ICD_2027


def icd_lines() -> list[bytes]:
    return ICD_2027.read_bytes().split(b"\n")


def test_order_file_layout():
    rows = parse_order_file(ICD_2027.read_bytes(), source=ICD_2027.name)
    by_code = {r.code: r for r in rows}
    assert len(rows) == 31
    assert by_code["E11"].billable is False and by_code["E119"].billable is True
    assert by_code["E119"].short_desc == "Type 2 diabetes mellitus without complications"
    assert by_code["S52521A"].long_desc == "Torus fracture of lower end of right radius, initial encounter for closed fracture"
    assert by_code["S52521A"].short_desc == "Torus fx lower end of right radius, init for clos fx"


def _icd_with(line_no: int, new: bytes) -> bytes:
    lines = icd_lines()
    lines[line_no - 1] = new
    return b"\n".join(lines)


def test_order_file_wrong_encoding_names_line_and_field():
    line = icd_lines()[9].replace(b"(not a real code)", b"(caf\xe9 code)")  # cp1252 byte in a UTF-8 file
    with pytest.raises(CodeFileError) as exc:
        parse_order_file(_icd_with(10, line), source="icd10cm_order_2027.txt")
    msg = str(exc.value)
    assert "icd10cm_order_2027.txt, line 10, field long description (columns 78-end)" in msg
    assert "0xE9" in msg and "nothing was loaded" in msg
    # and with the right encoding it reads
    rows = parse_order_file(_icd_with(10, line), source="x", encoding="cp1252")
    assert any("café" in (r.long_desc or "") for r in rows)


@pytest.mark.parametrize("mutate, field", [
    (lambda line: line[:14] + b"2" + line[15:], "billable flag (columns 15-15)"),
    (lambda line: line[:6] + b"E1-9   " + line[13:], "code (columns 7-13)"),
    (lambda line: b"0000X" + line[5:], "order number (columns 1-5)"),
    (lambda line: line[:16] + b"\x01" + line[17:], "short description (columns 17-76)"),
    (lambda line: line[:5] + b"X" + line[6:], "separator (column 6)"),
])
def test_order_file_garbled_line_names_field(mutate, field):
    with pytest.raises(CodeFileError) as exc:
        parse_order_file(_icd_with(7, mutate(icd_lines()[6])), source="f.txt")
    assert f"f.txt, line 7, field {field}" in str(exc.value)


def test_order_file_short_line_and_utf16():
    with pytest.raises(CodeFileError, match="line 3: line has 20 characters"):
        parse_order_file(_icd_with(3, b"00003 A001    1 Chol"), source="f.txt")
    with pytest.raises(CodeFileError, match="UTF-16"):
        parse_order_file(ICD_2027.read_text().encode("utf-16"), source="f.txt")


def test_order_file_billable_header_is_refused():
    line = icd_lines()[4]  # E11 header
    with pytest.raises(CodeFileError, match=r"line 5, field billable flag.*E11 is marked billable but E116"):
        parse_order_file(_icd_with(5, line[:14] + b"1" + line[15:]), source="f.txt")


def test_hcpcs_quarterly_layout():
    rows, skipped = parse_quarterly_file(HCPCS_2026Q1.read_bytes(), source=HCPCS_2026Q1.name)
    by_code = {r.code: r for r in rows}
    assert skipped == 1 and "D0120" not in by_code  # CDT codes are the ADA's
    assert by_code["E0114"].long_desc.endswith("with pads, tips and handgrips")
    assert by_code["E0114"].short_desc == "Crutch underarm pair no wood"
    g2012 = by_code["G2012"]
    assert g2012.valid_to == date(2024, 12, 31) and g2012.attrs["action"] == "D"
    assert g2012.long_desc.endswith("of medical discussion")
    assert by_code["G0560"].valid_from == date(2026, 1, 1)
    assert by_code["GY"].billable is False and by_code["GY"].attrs["kind"] == "modifier"
    assert by_code["GY"].long_desc.endswith("is not a contract benefit")
    assert sum(r.billable for r in rows) == 13 and len(rows) == 17


def _hcpcs_with(index: int, new: bytes) -> bytes:
    lines = HCPCS_2026Q1.read_bytes().split(b"\r\n")
    lines[index] = new
    return b"\r\n".join(lines)


def test_hcpcs_bad_fields_are_named():
    line = HCPCS_2026Q1.read_bytes().split(b"\r\n")[16]  # J1100
    bad_date = line[:284] + b"20261399" + line[292:]
    with pytest.raises(CodeFileError, match=r"line 17, field termination date \(columns 285-292\): "
                                            r"'20261399' is not a calendar date"):
        parse_quarterly_file(_hcpcs_with(16, bad_date), source="h.txt")
    with pytest.raises(CodeFileError, match=r"line 17, field record identification code \(columns 11-11\)"):
        parse_quarterly_file(_hcpcs_with(16, line[:10] + b"5" + line[11:]), source="h.txt")
    with pytest.raises(CodeFileError, match=r"line 17, field short description \(columns 92-119\): byte 0x96"):
        parse_quarterly_file(_hcpcs_with(16, line[:95] + b"\x96" + line[96:]), source="h.txt")
    orphan = b"J9999" + line[5:10] + b"4" + line[11:]
    with pytest.raises(CodeFileError, match="line 17.*continuation record for J9999"):
        parse_quarterly_file(_hcpcs_with(16, orphan), source="h.txt")


def test_cpt_file_codes_only():
    rows = parse_cpt_file(CPT_FILE.read_bytes(), source=CPT_FILE.name)
    assert [r.code for r in rows] == ["99213", "99214", "0001F", "0042T", "0001U", "36415"]
    assert all(r.short_desc is None and r.long_desc is None for r in rows)  # descriptors never stored
    bad = CPT_FILE.read_bytes().replace(b"0042T", b"0042X")
    with pytest.raises(CodeFileError, match=r"line 5, field code \(field 1\): '0042X' is not a CPT code"):
        parse_cpt_file(bad, source="cpt.tsv")
    csv = b"code,descriptor\n99213,\"Fixture, with comma\"\n"
    assert [r.code for r in parse_cpt_file(csv, source="c.csv")] == ["99213"]
