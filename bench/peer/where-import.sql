-- Where the peer's import time goes: each part of the encrypting INSERT
-- alone, over the first :sample staged rows, in one session; microseconds
-- per row. psql variables: sample, index_key, data_key.
CREATE TEMP TABLE sample AS SELECT * FROM person_staging LIMIT :sample;
\echo == where the import time of the peer goes: each part alone, one session, per row

SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM sample
 WHERE json_build_array(national_id, name, gender, birth_date, ethnicity, birthplace, hukou_address,
                        current_address, phones, height_cm, education, marital_status, notes)::text
       IS NOT NULL \g /dev/null
SELECT format('%-48s %s us', 'the row as JSON text',
              round((extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1e6 / :sample)::numeric, 2));

SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM sample
 WHERE hmac(national_id, :'index_key', 'sha256') IS NOT NULL
   AND hmac(split_part(phones, ';', 1), :'index_key', 'sha256') IS NOT NULL
   AND hmac(nullif(split_part(phones, ';', 2), ''), :'index_key', 'sha256') IS DISTINCT FROM '' \g /dev/null
SELECT format('%-48s %s us', 'three HMAC-SHA256 blind indexes',
              round((extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1e6 / :sample)::numeric, 2));

SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM sample
 WHERE pgp_sym_encrypt(
         json_build_array(national_id, name, gender, birth_date, ethnicity, birthplace, hukou_address,
                          current_address, phones, height_cm, education, marital_status, notes)::text,
         :'data_key', 'cipher-algo=aes256, s2k-mode=1') IS NOT NULL \g /dev/null
SELECT format('%-48s %s us', 'the JSON text sealed by pgp_sym_encrypt',
              round((extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1e6 / :sample)::numeric, 2));

CREATE TABLE person_copy (LIKE person);
SELECT clock_timestamp() AS t0 \gset
INSERT INTO person_copy SELECT id_tag, phone_tag, phone2_tag, sealed FROM person LIMIT :sample;
SELECT format('%-48s %s us', 'inserting sealed rows (heap + WAL, no crypto)',
              round((extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1e6 / :sample)::numeric, 2));
DROP TABLE person_copy;
