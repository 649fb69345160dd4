-- Every alert written moves an entry of each index of `alerts`; `alerts_by_state` served
-- one read only (a rule's firing alerts oldest first), which now reads `alerts_by_state_id`
-- in id order (ids are made in time order).
DROP INDEX alerts_by_state;
