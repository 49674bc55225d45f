"""Shared fixtures for the code-set tests (imported by the test modules; the
test database is shared by the whole session, so releases loaded here use
their own fiscal years / quarters / periods)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, pool
from sqlalchemy.orm import Session

from tenants.urls import sync_url

FIXTURES = Path(__file__).parent / "fixtures"
ICD_2027 = FIXTURES / "icd10cm_order_2027.txt"
HCPCS_2026Q1 = FIXTURES / "HCPC2026_JAN_ANWEB.txt"
CPT_FILE = FIXTURES / "cpt_licensed_2027.tsv"


@pytest.fixture(scope="session")
def owner_engine(test_database):
    engine = create_engine(sync_url(test_database.owner_url), poolclass=pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def loaded(owner_engine):
    """Bundled FY2026 ICD-10-CM + POS + modifiers, the FY2027 fixture order file
    and the 2026Q1 HCPCS fixture, loaded once as the owner role."""
    from agency.codesets import service

    with Session(owner_engine) as s, s.begin():
        bundled = service.load_bundled(s)
        fy2027 = service.load_icd10cm_file(s, ICD_2027, year=2027)
        q1 = service.load_hcpcs_file(s, HCPCS_2026Q1, effective_from=service.quarter_start("2026Q1"),
                                     version="2026Q1")
    return {"bundled": bundled, "fy2027": fy2027, "hcpcs": q1}


@pytest.fixture()
def rt(db, loaded):
    """A session as the runtime role (what intake, coding and the scrubber use)."""
    with Session(db.sync_engine) as session:
        yield session
