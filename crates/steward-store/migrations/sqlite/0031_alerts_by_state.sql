-- Every alert written moves an entry of each index of `alerts`; `alerts_by_state` served
-- one read only (a rule's firing alerts oldest first), which now reads them in id order
-- (ids are made in time order) through the other indexes.
DROP INDEX alerts_by_state;
