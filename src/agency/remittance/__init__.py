"""ERA (835) ingestion and posting: matching, ledger, provider ledger, reconciliation."""
