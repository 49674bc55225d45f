"""Blind-index lookups find exactly the right patients, also when indexes collide."""

from __future__ import annotations

from datetime import date

from agency.keys.runtime import cipher_for
from agency.patients.repository import PatientRepository
from agency.patients.schemas import CoverageData, PatientData
from agency.patients.service import (NAME_DOB, create_patient, find_by_member_id, find_by_mrn,
                                     find_by_name_dob)
from support import make_agency_with_practices


def seed(db, scope, rows):
    cipher = cipher_for(db)
    ids = []
    with db.sessions.tenant_unit(scope) as s:
        for last, dob, mrn, member in rows:
            ids.append(create_patient(s, cipher, scope.tenant_id,
                                      PatientData(first_name="Pat", last_name=last, date_of_birth=dob, mrn=mrn),
                                      [CoverageData(rank=1, member_id=member)]))
    return ids


def test_lookups_find_the_right_patients_only(db, tenancy):
    ids = seed(db, tenancy.a1, [("O'Brien", date(1980, 2, 3), "A-100", "MEM 001"),
                                ("OBrien", date(1980, 2, 4), "A-101", "MEM002"),
                                ("Nguyen", date(1990, 5, 6), "A-102", "MEM003")])
    seed(db, tenancy.b1, [("O'Brien", date(1980, 2, 3), "A-100", "MEM001")])  # same values, other practice
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        t = tenancy.a1.tenant_id
        # Normalisation: case and punctuation do not matter, the date does.
        assert [p.id for p in find_by_name_dob(s, cipher, t, "o'brien", date(1980, 2, 3))] == [ids[0]]
        assert [p.id for p in find_by_name_dob(s, cipher, t, "OBRIEN", date(1980, 2, 4))] == [ids[1]]
        assert find_by_name_dob(s, cipher, t, "Nguyen", date(1990, 5, 7)) == []
        assert [p.id for p in find_by_mrn(s, cipher, t, "a100")] == [ids[0]]
        assert [p.id for p in find_by_member_id(s, cipher, t, "mem-003")] == [ids[2]]
        assert find_by_member_id(s, cipher, t, "MEM004") == []


def test_collisions_are_resolved_by_the_recheck(db):
    # A one-bit index: every other patient shares the bucket of the one we look for.
    _, (scope,) = make_agency_with_practices(db, "Tiny index practice", index_bits=1)
    names = [f"Surname{i}" for i in range(24)]
    ids = seed(db, scope, [(n, date(1970, 1, 1), f"M{i}", f"X{i}") for i, n in enumerate(names)])
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(scope) as s:
        bidx = cipher.blind_index(scope.tenant_id, NAME_DOB, "Surname7", date(1970, 1, 1))
        candidates = PatientRepository(s, scope.tenant_id).by_name_dob_index(bidx)
        assert len(candidates) > 1  # the index alone is ambiguous
        found = find_by_name_dob(s, cipher, scope.tenant_id, "Surname7", date(1970, 1, 1))
    assert [p.id for p in found] == [ids[7]]
    assert found[0].data.last_name == "Surname7"
