"""ICD-10-CM shipped offline by the PyPI package ``simple-icd-10-cm``.

Version 1.5.0 carries the CMS/NCHS FY2026 tabular list as of the April 1, 2026
update (``icd10c-tabular-April-1-2026.xml``, ``<version>2026</version>``):
74,719 billable codes (the package's own ``is_leaf`` count, 74,736, also
counts 12 childless blocks and 5 categories listed twice). The fiscal year is read from the XML itself, never
assumed, so a different package version is labelled by what it contains.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from importlib import metadata, resources

from agency.codesets.loaders.common import ParsedCode
from agency.errors import UserFacingError

PACKAGE = "simple-icd-10-cm"
_CODE = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z]{1,5}$")
# Codes the April 1, 2026 update added mid-year (new category QA0, genetic
# neurodevelopmental disorders): valid only for dates of service from then on.
# Other April changes, if any, are not told apart by the package.
MIDYEAR_ADDITIONS = {"QA0": date(2026, 4, 1)}


@dataclass(frozen=True)
class BundledIcd10cm:
    fiscal_year: int
    update: str           # e.g. "April 1, 2026 update" (from the data file names)
    package_version: str
    sha256: str
    data_files: tuple[str, ...]

    @property
    def version(self) -> str:
        return f"FY{self.fiscal_year}"

    @property
    def effective_from(self) -> date:
        return date(self.fiscal_year - 1, 10, 1)

    @property
    def effective_to(self) -> date:
        return date(self.fiscal_year, 9, 30)

    @property
    def source(self) -> str:
        return f"PyPI {PACKAGE} {self.package_version} ({', '.join(self.data_files)})"


def _data_dir():
    try:
        return resources.files("simple_icd_10_cm") / "data"
    except ModuleNotFoundError:
        raise UserFacingError(f"the bundled ICD-10-CM needs the {PACKAGE} package: pip install -e .") from None


def describe() -> BundledIcd10cm:
    """What the installed package ships, read from its data files."""
    data = _data_dir()
    names = sorted(p.name for p in data.iterdir() if p.name.endswith((".txt", ".xml")))
    xml_name = next((n for n in names if n.endswith(".xml")), None)
    if xml_name is None:
        raise UserFacingError(f"{PACKAGE} ships no tabular XML: cannot tell its fiscal year")
    digest = hashlib.sha256()
    for name in names:
        digest.update((data / name).read_bytes())
    head = (data / xml_name).read_bytes()[:4096].decode("utf-8", errors="replace")
    m = re.search(r"<version>\s*(\d{4})\s*</version>", head)
    if not m:
        raise UserFacingError(f"{PACKAGE}: no <version> in {xml_name}: cannot tell its fiscal year")
    upd = re.search(r"([A-Z][a-z]+)-(\d{1,2})-(\d{4})", xml_name)
    update = f"{upd.group(1)} {upd.group(2)}, {upd.group(3)} update" if upd else "annual release"
    return BundledIcd10cm(fiscal_year=int(m.group(1)), update=update,
                          package_version=metadata.version(PACKAGE), sha256=digest.hexdigest(),
                          data_files=tuple(names))


def read_codes() -> list[ParsedCode]:
    """Every category, subcategory and code (chapters and blocks are not codes);
    billable = leaf of the tabular hierarchy."""
    import simple_icd_10_cm as cm

    rows = []
    seen: set[str] = set()
    for code in cm.get_all_codes(with_dots=False):
        # Chapters are numbers and blocks are ranges ("A00-A09"); a block named
        # like its only category ("B20") is listed twice: keep the category once.
        if not _CODE.match(code) or code in seen:
            continue
        seen.add(code)
        since = next((d for prefix, d in MIDYEAR_ADDITIONS.items() if code.startswith(prefix)), None)
        rows.append(ParsedCode(code=code, billable=cm.is_leaf(code), long_desc=cm.get_description(code),
                               valid_from=since))
    return rows
