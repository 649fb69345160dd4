-- Training and onboarding: features with when they were enabled or last changed, training
-- materials with their last review, assignments and completions, onboarding steps done.
CREATE TABLE features (
    id TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE materials (
    id TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE training_records (
    material_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    completed_at BIGINT,
    PRIMARY KEY (material_id, user_id)
);
CREATE TABLE onboarding_done (
    user_id TEXT NOT NULL,
    step TEXT NOT NULL,
    done_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, step)
);
