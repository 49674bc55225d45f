-- Run once as a superuser on an external PostgreSQL (agency db bootstrap does the same).
-- Replace the passwords; keep the role attributes exactly as they are.
CREATE ROLE agency_owner  LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'change-me-owner';
CREATE ROLE agency_app    LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'change-me-app';
CREATE ROLE agency_system LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'change-me-system';
CREATE DATABASE agency OWNER agency_owner;
\connect agency
ALTER SCHEMA public OWNER TO agency_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE agency TO agency_app, agency_system;
GRANT USAGE ON SCHEMA public TO agency_app, agency_system;
ALTER DEFAULT PRIVILEGES FOR ROLE agency_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO agency_app, agency_system;
ALTER DEFAULT PRIVILEGES FOR ROLE agency_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO agency_app, agency_system;
