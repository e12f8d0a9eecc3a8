-- The blind indexes, built after the load (one sort each).
CREATE UNIQUE INDEX person_id_tag ON person (id_tag);
CREATE INDEX person_phone_tag ON person (phone_tag);
CREATE INDEX person_phone2_tag ON person (phone2_tag) WHERE phone2_tag IS NOT NULL;
