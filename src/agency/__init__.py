"""Medical-billing agency platform: the application (domain modules, API, workers, web, CLI)."""
