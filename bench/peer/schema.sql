-- The PostgreSQL peer's store of persons: what a careful team would build
-- with stock PostgreSQL 15 for the same job as Warden.
--   * person.sealed: the whole row (a JSON array of the CSV's values, in
--     column order) encrypted with pgcrypto's pgp_sym_encrypt: OpenPGP
--     symmetric encryption, AES-256, with its SHA-1 integrity check (MDC);
--     s2k-mode=1 (salted key derivation, one hash per row: the key is random,
--     so the default iterated derivation would only burn CPU).
--   * person.id_tag, phone_tag, phone2_tag: HMAC-SHA256 blind indexes
--     (pgcrypto hmac) of the national ID and of the one or two phone numbers.
--   * row-level security: a read sees rows only when the session states a
--     purpose (the setting warden.purpose); the reader is not the owner.
--   * pgaudit (loaded by the server) logs every read statement.
CREATE EXTENSION pgcrypto;
CREATE EXTENSION pgaudit;
CREATE EXTENSION pg_stat_statements;

CREATE ROLE peer_reader LOGIN;

-- The CSV as it arrives, loaded by COPY; dropped once the import is done.
CREATE UNLOGGED TABLE person_staging (
  national_id text, name text, gender text, birth_date text, ethnicity text,
  birthplace text, hukou_address text, current_address text, phones text,
  height_cm text, education text, marital_status text, notes text
);

CREATE TABLE person (
  id_tag bytea NOT NULL,
  phone_tag bytea,
  phone2_tag bytea,
  sealed bytea NOT NULL
);
ALTER TABLE person ENABLE ROW LEVEL SECURITY;
CREATE POLICY purpose_stated ON person FOR SELECT
  USING (coalesce(current_setting('warden.purpose', true), '') <> '');
GRANT SELECT ON person TO peer_reader;

-- The look-up bench's random choices (plaintext, bench only, like the ID
-- list Warden's look-up bench reads): the n-th national ID, the n-th phone.
CREATE TABLE bench_id (n int PRIMARY KEY, national_id text NOT NULL);
CREATE TABLE bench_phone (n int PRIMARY KEY, phone text NOT NULL);
GRANT SELECT ON bench_id, bench_phone TO peer_reader;

-- Import progress: one row per committed chunk of the encrypting INSERT.
CREATE TABLE import_progress (at timestamptz NOT NULL, rows bigint NOT NULL);
