"""An encounter waiting to be coded, built directly in the tables (the intake
path has its own tests), and a fee schedule row."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from agency.db.base import new_id

DOS = date(2026, 3, 2)


def make_encounter(db, scope, *, codes=("99213",), dx=("E119",), charge=None) -> uuid.UUID:
    from agency.encounters.models import Encounter, EncounterDiagnosis, EncounterLine
    from agency.keys.runtime import cipher_for
    from agency.patients.schemas import PatientData
    from agency.patients.service import create_patient
    from agency.practices.models import RenderingProvider
    from support import npi_with_check_digit

    eid = new_id()
    with db.sessions.tenant_unit(scope) as s:
        pid = create_patient(s, cipher_for(db), scope.tenant_id,
                             PatientData(first_name="Codie", last_name="Queue", date_of_birth=date(1970, 1, 1)))
        prov = RenderingProvider(tenant_id=scope.tenant_id, id=new_id(),
                                 npi=npi_with_check_digit(str(100000000 + uuid.uuid4().int % 800000000)[:9]),
                                 first_name="Ada", last_name="Coder")
        s.add(prov)
        s.flush()
        s.add(Encounter(tenant_id=scope.tenant_id, id=eid, patient_id=pid, rendering_provider_id=prov.id,
                        date_of_service_from=DOS, date_of_service_to=DOS, place_of_service="11",
                        status="to_code", source="api", dedup_key=f"k-{eid}"))
        s.flush()
        for i, code in enumerate(dx, start=1):
            s.add(EncounterDiagnosis(tenant_id=scope.tenant_id, id=new_id(), encounter_id=eid, position=i, code=code))
        for n, code in enumerate(codes, start=1):
            s.add(EncounterLine(tenant_id=scope.tenant_id, id=new_id(), encounter_id=eid, line_number=n,
                                procedure_code=code, modifiers=[], units=Decimal("1"), charge=charge,
                                diagnosis_pointers=[1], date_of_service=DOS))
    return eid


def add_fee(db, scope, code: str, amount: str, modifier: str = "") -> None:
    from agency.practices.models import FeeScheduleEntry

    with db.sessions.tenant_unit(scope) as s:
        s.add(FeeScheduleEntry(tenant_id=scope.tenant_id, id=new_id(), procedure_code=code, modifier=modifier,
                               amount=Decimal(amount), effective_from=date(2026, 1, 1)))
