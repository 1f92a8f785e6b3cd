-- A database written by ShopCoach 0.1 (schema 0002_drills_srs_reminders),
-- made by make_release_0_1.py with that release's bot/storage.py. Do not edit.
BEGIN TRANSACTION;
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO "_sqlite_migrations" VALUES(1,'shopcoach','0000_wal','2026-12-07 13:45:41.681248+00:00');
INSERT INTO "_sqlite_migrations" VALUES(2,'shopcoach','0001_users_teams_invites_questions','2026-12-07 13:45:41.682825+00:00');
INSERT INTO "_sqlite_migrations" VALUES(3,'shopcoach','0002_drills_srs_reminders','2026-12-07 13:45:41.684809+00:00');
CREATE TABLE card_views (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            card TEXT NOT NULL,
            viewed_at TEXT NOT NULL
        );
INSERT INTO "card_views" VALUES(102,'T1.1-greeting','2026-03-02T01:33:00+00:00');
CREATE TABLE drill_items (
            id INTEGER PRIMARY KEY,              -- the attempt id carried in button data
            drill_id INTEGER NOT NULL REFERENCES drills(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            activity TEXT NOT NULL,
            option_order TEXT NOT NULL,          -- shuffled original indexes, e.g. '2,0,1,3'
            chat_id INTEGER,
            message_id INTEGER,
            sent_at TEXT,
            answered_at TEXT,
            chosen INTEGER,                      -- original option index chosen
            correct INTEGER,
            rating INTEGER
        );
INSERT INTO "drill_items" VALUES(1,1,102,0,'T3.3-q1','T3.3','2,0,1,3',102,500,'2026-03-02T01:36:00+00:00','2026-03-02T01:36:20+00:00',2,1,3);
INSERT INTO "drill_items" VALUES(2,1,102,1,'T1.1-q4','T1.1','0,1,2,3',102,501,'2026-03-02T01:37:00+00:00','2026-03-02T01:37:20+00:00',1,0,1);
CREATE TABLE drills (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            activity TEXT,                       -- set for "practise this" drills
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','done','stopped')),
            started_at TEXT NOT NULL,
            finished_at TEXT
        );
INSERT INTO "drills" VALUES(1,102,NULL,'done','2026-03-02T01:35:00+00:00','2026-03-02T01:38:00+00:00');
CREATE TABLE invites (
            code TEXT PRIMARY KEY,
            team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('staff','supervisor')),
            created_by INTEGER,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            max_uses INTEGER NOT NULL,
            uses INTEGER NOT NULL DEFAULT 0
        );
INSERT INTO "invites" VALUES('8eATZqc58ITZLQrJ',1,'staff',101,'2026-03-02T01:30:00+00:00','2026-03-09T01:30:00+00:00',3,0);
CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
            text TEXT NOT NULL,
            activity TEXT,
            card TEXT,
            score REAL,
            tier TEXT NOT NULL,
            feedback INTEGER,                 -- 1 helpful, -1 not helpful, NULL none
            created_at TEXT NOT NULL
        );
INSERT INTO "questions" VALUES(1,102,1,'顧客要退貨怎麼辦','T3.3','T3.3-return',91.5,'answer',1,'2026-03-02T01:31:00+00:00');
INSERT INTO "questions" VALUES(2,102,1,'where is the mop',NULL,NULL,NULL,'none',NULL,'2026-03-02T01:32:00+00:00');
CREATE TABLE reminders (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            time TEXT NOT NULL DEFAULT '09:30',  -- local time HH:MM
            days TEXT NOT NULL DEFAULT '1,2,3,4,5', -- ISO weekdays, 1 = Monday
            enabled INTEGER NOT NULL DEFAULT 1,
            last_sent_on TEXT                    -- local date of the last reminder sent
        );
INSERT INTO "reminders" VALUES(102,'08:45','1,3,5',1,'2026-03-02');
CREATE TABLE srs (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            card_json TEXT NOT NULL,
            due TEXT NOT NULL,
            PRIMARY KEY (user_id, question_id)
        );
INSERT INTO "srs" VALUES(102,'T3.3-q1','{"card_id": 0}','2026-03-03T01:36:00+00:00');
INSERT INTO "srs" VALUES(102,'T1.1-q4','{"card_id": 1}','2026-03-04T01:37:00+00:00');
CREATE TABLE teams (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
INSERT INTO "teams" VALUES(1,'台北信義店','2026-03-02T01:30:00+00:00');
CREATE TABLE users (
            id INTEGER PRIMARY KEY,            -- Telegram user id
            first_name TEXT NOT NULL DEFAULT '',
            username TEXT,
            language TEXT NOT NULL DEFAULT 'zh-TW',
            role TEXT NOT NULL DEFAULT 'staff' CHECK (role IN ('staff','supervisor','admin')),
            team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
            consent_at TEXT,                   -- NULL: nothing is recorded about them
            active INTEGER NOT NULL DEFAULT 1, -- 0 once they blocked the bot
            created_at TEXT NOT NULL
        );
INSERT INTO "users" VALUES(101,'Sue','sue_tw','zh-TW','supervisor',1,'2026-03-02T01:30:00+00:00',1,'2026-03-02T01:30:00+00:00');
INSERT INTO "users" VALUES(102,'Amy',NULL,'en','staff',1,'2026-03-02T01:30:00+00:00',1,'2026-03-02T01:30:00+00:00');
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX users_team ON users(team_id);
CREATE INDEX questions_team_tier ON questions(team_id, tier, created_at);
CREATE INDEX questions_user ON questions(user_id, created_at);
CREATE UNIQUE INDEX drills_one_active ON drills(user_id) WHERE status = 'active';
CREATE INDEX drills_user_finished ON drills(user_id, finished_at);
CREATE INDEX drill_items_drill ON drill_items(drill_id, position);
CREATE INDEX drill_items_user_answered ON drill_items(user_id, answered_at);
CREATE INDEX card_views_user ON card_views(user_id, viewed_at);
COMMIT;
