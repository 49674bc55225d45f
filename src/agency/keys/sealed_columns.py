"""Every sealed (encrypted) column, in one list.

Rotation re-seals exactly these; ``tests/keys/test_keys_sealed_columns.py``
fails when a tenant table has a BYTEA column that is neither listed here nor
in ``NOT_SEALED`` — so a new PHI column cannot silently miss rotation.
"""

from __future__ import annotations

SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient": ("mrn", "first_name", "middle_name", "last_name", "date_of_birth", "sex", "address",
                "phone", "email"),
    "patient_coverage": ("member_id", "group_number", "subscriber"),
    "edi_file": ("content",),
    # A replayed response of a practice route can carry PHI, so it is sealed too.
    "idempotency_record": ("body",),
    # A coder's reason and the query thread may quote the chart.
    "coding_change": ("reason",),
    "coding_query_message": ("body",),
    "encounter": ("note",),
    "encounter_attachment": ("filename", "content"),
    "intake_batch": ("filename", "content"),
    "intake_error": ("reason",),
    # Denial work: notes may quote the chart; the appeal letter names the patient.
    "denial_item": ("notes",),
    "appeal": ("letter",),
    "write_off": ("note",),
}

# BYTEA columns that are not ciphertext, with the reason.
NOT_SEALED: dict[tuple[str, str], str] = {
    ("tenant_key", "wrapped"): "a data key wrapped by the practice's KEK, not PHI",
    ("edi_file", "sha256"): "digest of the plaintext file, for de-duplication",
    ("audit_event", "prev_hash"): "hash chain link over PHI-free audit fields",
    ("audit_event", "hash"): "hash chain link over PHI-free audit fields",
    ("audit_chain_head", "hash"): "hash chain head",
}
