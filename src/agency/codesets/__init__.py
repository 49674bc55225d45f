"""Code sets (ICD-10-CM, HCPCS Level II, CPT numbers, place of service, modifiers).

Shared reference data, effective-dated by date of service: not PHI and not tenant
data, so the tables carry no ``tenant_id`` and no row-level security. The runtime
role may only read them; loads run as the owner role from ``agency codes``.
See docs/codesets.md.
"""
