"""Place-of-service and modifier tables shipped with the code (seed data).

POS: the CMS Place of Service code set (public domain), with the CMS wording and
whether Medicare pays the facility rate there (``facility``). Modifiers: HCPCS
Level II modifiers with CMS wording; CPT modifiers (two digits) are the AMA's, so
their labels here are our own plain-language summaries, not AMA text.
``valid_from`` is set where a code was introduced after the code set's start.
"""

from __future__ import annotations

from datetime import date

from agency.codesets.loaders.common import ParsedCode

POS_VERSION = "CMS-POS-2026"
MODIFIER_VERSION = "MODIFIERS-2026"
REFERENCE_START = date(2003, 10, 16)  # HIPAA transaction standards compliance date

# code, name, facility rate, valid_from
POS: tuple[tuple[str, str, bool, date | None], ...] = (
    ("01", "Pharmacy", False, None),
    ("02", "Telehealth Provided Other than in Patient's Home", True, date(2017, 1, 1)),
    ("03", "School", False, None),
    ("04", "Homeless Shelter", False, None),
    ("05", "Indian Health Service Free-standing Facility", False, None),
    ("06", "Indian Health Service Provider-based Facility", False, None),
    ("07", "Tribal 638 Free-standing Facility", False, None),
    ("08", "Tribal 638 Provider-based Facility", False, None),
    ("09", "Prison/Correctional Facility", False, None),
    ("10", "Telehealth Provided in Patient's Home", False, date(2022, 1, 1)),
    ("11", "Office", False, None),
    ("12", "Home", False, None),
    ("13", "Assisted Living Facility", False, None),
    ("14", "Group Home", False, None),
    ("15", "Mobile Unit", False, None),
    ("16", "Temporary Lodging", False, None),
    ("17", "Walk-in Retail Health Clinic", False, None),
    ("18", "Place of Employment-Worksite", False, None),
    ("19", "Off Campus-Outpatient Hospital", True, date(2016, 1, 1)),
    ("20", "Urgent Care Facility", False, None),
    ("21", "Inpatient Hospital", True, None),
    ("22", "On Campus-Outpatient Hospital", True, None),
    ("23", "Emergency Room - Hospital", True, None),
    ("24", "Ambulatory Surgical Center", True, None),
    ("25", "Birthing Center", False, None),
    ("26", "Military Treatment Facility", True, None),
    ("27", "Outreach Site/Street", False, date(2023, 10, 1)),
    ("31", "Skilled Nursing Facility", True, None),
    ("32", "Nursing Facility", False, None),
    ("33", "Custodial Care Facility", False, None),
    ("34", "Hospice", True, None),
    ("41", "Ambulance - Land", True, None),
    ("42", "Ambulance - Air or Water", True, None),
    ("49", "Independent Clinic", False, None),
    ("50", "Federally Qualified Health Center", False, None),
    ("51", "Inpatient Psychiatric Facility", True, None),
    ("52", "Psychiatric Facility-Partial Hospitalization", True, None),
    ("53", "Community Mental Health Center", True, None),
    ("54", "Intermediate Care Facility/Individuals with Intellectual Disabilities", False, None),
    ("55", "Residential Substance Abuse Treatment Facility", False, None),
    ("56", "Psychiatric Residential Treatment Center", True, None),
    ("57", "Non-residential Substance Abuse Treatment Facility", False, None),
    ("58", "Non-residential Opioid Treatment Facility", False, date(2020, 1, 1)),
    ("60", "Mass Immunization Center", False, None),
    ("61", "Comprehensive Inpatient Rehabilitation Facility", True, None),
    ("62", "Comprehensive Outpatient Rehabilitation Facility", False, None),
    ("65", "End-Stage Renal Disease Treatment Facility", False, None),
    ("66", "Programs of All-Inclusive Care for the Elderly (PACE) Center", False, None),
    ("71", "State or Local Public Health Clinic", False, None),
    ("72", "Rural Health Clinic", False, None),
    ("81", "Independent Laboratory", False, None),
    ("99", "Other Place of Service", False, None),
)

# code, label, source ('cpt' = AMA modifier, our wording; 'hcpcs' = Level II, CMS wording), valid_from
MODIFIERS: tuple[tuple[str, str, str, date | None], ...] = (
    ("22", "Increased procedural services (more work than usual)", "cpt", None),
    ("24", "Unrelated E/M visit by the same physician during a postoperative period", "cpt", None),
    ("25", "Separate, significant E/M visit on the same day as a procedure or other service", "cpt", None),
    ("26", "Professional component only", "cpt", None),
    ("33", "Preventive service", "cpt", None),
    ("47", "Anesthesia given by the surgeon", "cpt", None),
    ("50", "Bilateral procedure", "cpt", None),
    ("51", "Multiple procedures in the same session", "cpt", None),
    ("52", "Reduced services", "cpt", None),
    ("53", "Procedure stopped before completion", "cpt", None),
    ("57", "E/M visit that led to the decision for surgery", "cpt", None),
    ("58", "Staged or related procedure by the same physician during a postoperative period", "cpt", None),
    ("59", "Distinct procedural service", "cpt", None),
    ("62", "Two surgeons", "cpt", None),
    ("76", "Same procedure repeated by the same physician", "cpt", None),
    ("77", "Same procedure repeated by another physician", "cpt", None),
    ("78", "Unplanned return to the operating room during a postoperative period", "cpt", None),
    ("79", "Unrelated procedure by the same physician during a postoperative period", "cpt", None),
    ("80", "Assistant surgeon", "cpt", None),
    ("91", "Repeat clinical laboratory test", "cpt", None),
    ("93", "Service delivered by audio-only telecommunication", "cpt", date(2022, 1, 1)),
    ("95", "Service delivered by synchronous audio-video telemedicine", "cpt", None),
    ("GA", "Waiver of liability statement issued as required by payer policy, individual case", "hcpcs", None),
    ("GT", "Via interactive audio and video telecommunication systems", "hcpcs", None),
    ("GY", "Item or service statutorily excluded, does not meet the definition of any Medicare benefit "
           "or, for non-Medicare insurers, is not a contract benefit", "hcpcs", None),
    ("GZ", "Item or service expected to be denied as not reasonable and necessary", "hcpcs", None),
    ("KX", "Requirements specified in the medical policy have been met", "hcpcs", None),
    ("LT", "Left side (used to identify procedures performed on the left side of the body)", "hcpcs", None),
    ("RT", "Right side (used to identify procedures performed on the right side of the body)", "hcpcs", None),
    ("TC", "Technical component", "hcpcs", None),
    ("XE", "Separate encounter, a service that is distinct because it occurred during a separate encounter",
     "hcpcs", date(2015, 1, 1)),
    ("XP", "Separate practitioner, a service that is distinct because it was performed by a different "
           "practitioner", "hcpcs", date(2015, 1, 1)),
    ("XS", "Separate structure, a service that is distinct because it was performed on a separate "
           "organ/structure", "hcpcs", date(2015, 1, 1)),
    ("XU", "Unusual non-overlapping service, the use of a service that is distinct because it does not "
           "overlap usual components of the main service", "hcpcs", date(2015, 1, 1)),
    ("QW", "CLIA waived test", "hcpcs", None),
    ("FY", "X-ray taken using computed radiography technology/cassette-based imaging", "hcpcs", date(2018, 1, 1)),
)


def pos_rows() -> list[ParsedCode]:
    return [ParsedCode(code=c, billable=True, short_desc=name, valid_from=since, attrs={"facility": facility})
            for c, name, facility, since in POS]


def modifier_rows() -> list[ParsedCode]:
    return [ParsedCode(code=c, billable=True, short_desc=label, valid_from=since, attrs={"source": src})
            for c, label, src, since in MODIFIERS]
