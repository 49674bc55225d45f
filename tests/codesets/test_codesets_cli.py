"""``agency codes``: loads as the owner role, checks as the runtime role, clear
one-line errors (never tracebacks)."""

from __future__ import annotations

import pytest

from codesets_support import HCPCS_2026Q1, ICD_2027, loaded, owner_engine  # noqa: F401  (fixtures)


@pytest.fixture()
def cli(test_database, loaded, monkeypatch, tmp_path, capsys):
    from agency.cli.main import main
    from agency.settings import get_settings

    monkeypatch.setenv("AGENCY_DATABASE_URL", test_database.app_url)
    monkeypatch.setenv("AGENCY_MIGRATOR_DATABASE_URL", test_database.owner_url)
    monkeypatch.setenv("AGENCY_SYSTEM_DATABASE_URL", test_database.system_url)
    monkeypatch.setenv("AGENCY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    get_settings.cache_clear()


def test_load_check_and_list(cli, tmp_path):
    target = tmp_path / "icd10cm_order_2032.txt"
    target.write_bytes(ICD_2027.read_bytes())
    code, out, err = cli("codes", "load", "icd10cm", str(target), "--year", "2032")
    assert code == 0, err
    assert out.strip() == "ICD-10-CM FY2032 (2031-10-01 to 2032-09-30): loaded, 31 codes, 17 billable"
    assert "31 codes written" in err
    code, out, _ = cli("codes", "load", "icd10cm", str(target), "--year", "2032")
    assert "unchanged" in out
    code, out, _ = cli("codes", "check", "E11.9", "--date", "2032-01-05")
    assert code == 0 and out.startswith("ok: E119 valid for 2032-01-05 (FY2032): Type 2 diabetes mellitus")
    code, out, _ = cli("codes", "check", "E11", "--date", "2032-01-05")
    assert code == 1 and "E11 is a category header, not billable" in out
    code, out, _ = cli("codes", "check", "99213", "--system", "procedure", "--date", "2026-01-05")
    assert code == 0 and "note: CPT Category I format is valid" in out
    code, out, _ = cli("codes", "check", "11", "--system", "pos", "--date", "2026-01-05")
    assert code == 0 and out.startswith("ok: 11 valid for 2026-01-05 (CMS-POS-2026): Office")
    code, out, _ = cli("codes", "releases")
    assert code == 0 and "FY2032" in out and "bundled" in out and "hcpcs" in out


def test_bad_file_is_one_clear_line(cli, tmp_path):
    bad = tmp_path / "HCPC2031_JAN_ANWEB.txt"
    lines = HCPCS_2026Q1.read_bytes().split(b"\r\n")
    lines[4] = lines[4][:30] + b"\xe9" + lines[4][31:]
    bad.write_bytes(b"\r\n".join(lines))
    code, out, err = cli("codes", "load", "hcpcs", str(bad), "--quarter", "2031Q1")
    assert code == 1 and "Traceback" not in err
    assert err.strip() == ("error: HCPC2031_JAN_ANWEB.txt, line 5, field long description (columns 12-91): "
                           "byte 0xE9 at column 31 is not valid utf-8; the file has another encoding "
                           "(try --encoding cp1252) or is damaged; nothing was loaded")
    code, out, _ = cli("codes", "releases", "--system", "hcpcs")
    assert "2031Q1" not in out
    code, _, err = cli("codes", "load", "hcpcs", str(HCPCS_2026Q1), "--quarter", "2031Q5")
    assert code == 1 and "quarter '2031Q5' must look like 2026Q1" in err
    code, out, err = cli("codes", "load", "hcpcs", str(HCPCS_2026Q1), "--quarter", "2031Q1")
    assert code == 0 and out.startswith("HCPCS Level II 2031Q1 (2031-01-01 to until superseded): loaded, 17 codes")
