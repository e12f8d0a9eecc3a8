-- One chunk of the encrypting INSERT: the staging rows on heap pages
-- [:first_tid, :end_tid) (a TID range scan), sealed and tagged; the chunk's
-- row count and commit time go to import_progress. psql variables data_key
-- and index_key are the run's random keys.
WITH sealed AS (
  INSERT INTO person (id_tag, phone_tag, phone2_tag, sealed)
  SELECT hmac(national_id, :'index_key', 'sha256'),
         hmac(split_part(phones, ';', 1), :'index_key', 'sha256'),
         hmac(nullif(split_part(phones, ';', 2), ''), :'index_key', 'sha256'),
         pgp_sym_encrypt(
           json_build_array(national_id, name, gender, birth_date, ethnicity, birthplace,
                            hukou_address, current_address, phones, height_cm, education,
                            marital_status, notes)::text,
           :'data_key', 'cipher-algo=aes256, s2k-mode=1')
  FROM person_staging
  WHERE ctid >= :'first_tid'::tid AND ctid < :'end_tid'::tid
  RETURNING 1
)
INSERT INTO import_progress SELECT clock_timestamp(), count(*) FROM sealed;
