-- Bodies are whatever the vendor sent: JSON, invalid JSON, XML, nothing. These read a
-- JSON path and give NULL for anything else (json_extract* would raise).
-- (try() rather than a json_valid() guard: one parse instead of two, a third faster at 10M rows)
CREATE OR REPLACE MACRO jget(doc, path) AS try(json_extract_string(doc, path));
CREATE OR REPLACE MACRO jraw(doc, path) AS try(json_extract(doc, path));
CREATE OR REPLACE MACRO jmany(doc, paths) AS try(json_extract_string(doc, paths));
-- Seconds from one timestamp to another. epoch(b - a) goes through an INTERVAL and is
-- several times slower: over 10M exchanges it was a third of the coverage report.
CREATE OR REPLACE MACRO seconds_between(a, b) AS (epoch_us(b) - epoch_us(a)) / 1e6;
-- The first value of a header (names compared case-insensitively), from the stored list.
CREATE OR REPLACE MACRO header_value(headers, wanted) AS
    list_filter(headers, lambda h: lower(h.name) = lower(wanted))[1].value;
