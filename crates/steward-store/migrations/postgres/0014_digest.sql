-- Whether a person gets the weekly digest of notices they have not read.
ALTER TABLE users ADD COLUMN notice_digest BIGINT NOT NULL DEFAULT 1;
