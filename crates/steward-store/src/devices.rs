//! Device reads: the inventory list with keyset pagination, device detail and history,
//! enrollment attempts, and the bulk loader used by benchmarks.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sqlx::Row;
use steward_core::time::to_rfc3339;
use steward_proto::{
    DeviceDetail, DeviceEvent, DeviceSummary, EnrollmentAttempt, Page, Platform, ProtectionStatus,
};

use crate::{bind_all, Param, Result, Store, StoreError};

/// What the check-in path needs to authenticate a device and spot an unchanged one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    pub secret_hash: String,
    /// Hash of a secret handed out by a rotation and not yet used; empty when none.
    pub next_secret_hash: String,
    /// An administrator asked for a new secret.
    pub rotate: bool,
    pub seq: i64,
    pub state_hash: String,
    pub inventory_hash: String,
    /// Hash of the software list last stored. Only this device's check-ins change it; a
    /// server whose copy is stale asks the device for its list once more, which changes
    /// nothing stored.
    pub software_hash: String,
    pub retired: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    Name,
    LastSeen,
    Enrolled,
}

impl SortField {
    pub fn parse(s: &str) -> Option<SortField> {
        match s {
            "name" => Some(SortField::Name),
            "last_seen_at" | "last_seen" => Some(SortField::LastSeen),
            "enrolled_at" | "enrolled" => Some(SortField::Enrolled),
            _ => None,
        }
    }

    fn column(self) -> &'static str {
        match self {
            SortField::Name => "name",
            SortField::LastSeen => "last_seen_at",
            SortField::Enrolled => "enrolled_at",
        }
    }
}

/// Filters, sort and page of `GET /api/v1/devices`.
#[derive(Debug, Clone, Default)]
pub struct DeviceQuery {
    pub platform: Option<Platform>,
    pub os_version: Option<String>,
    pub group: Option<String>,
    pub last_seen_before: Option<i64>,
    pub last_seen_after: Option<i64>,
    /// Substring of name, serial or owner, case-insensitive.
    pub q: Option<String>,
    pub include_retired: bool,
    /// Device groups the caller may see; empty means all.
    pub scope: Vec<String>,
    /// Compliance state (compliant, in_grace, noncompliant, not_evaluated, error).
    pub compliance: Option<String>,
    /// Health state (protected, at_risk, active_threat, unprotected, unknown).
    pub health: Option<String>,
    pub sort: SortField,
    pub descending: bool,
    pub limit: u32,
    pub cursor: Option<String>,
}

fn encode_cursor(value: &Param, id: &str) -> String {
    let v = match value {
        Param::Text(s) => Value::from(s.as_str()),
        Param::Int(i) => Value::from(*i),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&(v, id)).unwrap_or_default())
}

fn decode_cursor(cursor: &str, sort: SortField) -> Result<(Param, String)> {
    let invalid = || StoreError::Invalid("cursor".into());
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let (v, id): (Value, String) = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let p = match (sort, v) {
        (SortField::Name, Value::String(s)) => Param::Text(s),
        (SortField::LastSeen | SortField::Enrolled, Value::Number(n)) => {
            Param::Int(n.as_i64().ok_or_else(invalid)?)
        }
        _ => return Err(invalid()),
    };
    Ok((p, id))
}

fn escape_like(s: &str) -> String {
    like_pattern(s, |_| false)
}

/// A LIKE pattern for texts containing `s`, its wildcards escaped, with `_` (any one
/// character) in place of the characters `any` picks.
fn like_pattern(s: &str, any: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if any(c) {
            out.push('_');
            continue;
        }
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

const SUMMARY_COLS: &str = "id, name, platform, os_name, os_version, serial, owner, device_group, \
                            enrolled_at, last_seen_at, retired_at, compliance_state, \
                            health_state";

fn summary(row: &sqlx::any::AnyRow) -> Result<DeviceSummary> {
    let platform: String = row.try_get("platform")?;
    Ok(DeviceSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        platform: Platform::parse(&platform).ok_or_else(|| StoreError::Invalid(platform))?,
        os_name: row.try_get("os_name")?,
        os_version: row.try_get("os_version")?,
        serial: row.try_get("serial")?,
        owner: row.try_get("owner")?,
        group: row.try_get("device_group")?,
        enrolled_at: to_rfc3339(row.try_get("enrolled_at")?),
        last_seen_at: to_rfc3339(row.try_get("last_seen_at")?),
        retired: row.try_get::<Option<i64>, _>("retired_at")?.is_some(),
        compliance_state: row.try_get("compliance_state")?,
        health_state: row.try_get("health_state")?,
    })
}

fn attempt(r: &sqlx::any::AnyRow) -> Result<EnrollmentAttempt> {
    Ok(EnrollmentAttempt {
        id: r.try_get("id")?,
        at: to_rfc3339(r.try_get("at")?),
        result: r.try_get("result")?,
        token_id: r.try_get("token_id")?,
        platform: r.try_get("platform")?,
        os_version: r.try_get("os_version")?,
        hostname: r.try_get("hostname")?,
        serial: r.try_get("serial")?,
        owner: r.try_get("owner")?,
        device_id: r.try_get("device_id")?,
        remote_addr: r.try_get("remote_addr")?,
    })
}

fn json_col(row: &sqlx::any::AnyRow, col: &str) -> Result<Option<Value>> {
    let text: Option<String> = row.try_get(col)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// A device row for the bulk loader.
#[derive(Debug, Clone)]
pub struct SeedDevice {
    pub id: String,
    pub name: String,
    pub serial: String,
    pub owner: String,
    pub platform: Platform,
    pub os_name: String,
    pub os_version: String,
    pub enrolled_at: i64,
    pub last_seen_at: i64,
    pub group: Option<String>,
    pub health_state: &'static str,
    pub compliance_state: &'static str,
}

#[cfg(test)]
impl SeedDevice {
    /// A Debian device named by its id, seeded protected and compliant, last seen at
    /// `last_seen_at`.
    pub(crate) fn linux(id: &str, group: Option<&str>, last_seen_at: i64) -> SeedDevice {
        SeedDevice {
            id: id.into(),
            name: id.into(),
            serial: id.into(),
            owner: String::new(),
            platform: Platform::Linux,
            os_name: "Debian".into(),
            os_version: "12".into(),
            enrolled_at: 0,
            last_seen_at,
            group: group.map(Into::into),
            health_state: "protected",
            compliance_state: "compliant",
        }
    }
}

/// An FTS5 phrase matching `text` as a substring (with the trigram tokenizer).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Matches above which a text search walks the sort order with LIKE instead of sorting the
/// search index's matches: a common term finds a page of matches within a few rows.
const SEARCH_SORT_LIMIT: i64 = 2_000;

/// How a text search finds its page.
enum Search {
    /// Walk the sort order testing each row (PostgreSQL's planner makes its own choice).
    Walk,
    /// Sort the trigram index's few matches.
    Selective,
    /// By name: names starting with the text (ranges of the name index, one per letter case
    /// of its first letters) and the devices containing it elsewhere (few on SQLite, where it
    /// is counted first; on PostgreSQL the planner chooses how to read that part).
    Split(Vec<String>),
}

/// ASCII letters of a text's start whose cases the name ranges spell out (2^4 ranges at
/// most); the rest of the start is tested with LIKE inside each range.
const SPLIT_LETTERS: usize = 4;

/// Spellings of the start of `text` up to its `SPLIT_LETTERS`-th ASCII letter in every letter
/// case: the starts of the name ranges a case-blind prefix search reads.
fn case_spellings(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut letters = 0;
    for c in text.chars() {
        if letters == SPLIT_LETTERS {
            break;
        }
        if c.is_ascii_alphabetic() {
            letters += 1;
            out = out
                .into_iter()
                .flat_map(|s| {
                    [
                        format!("{s}{}", c.to_ascii_lowercase()),
                        format!("{s}{}", c.to_ascii_uppercase()),
                    ]
                })
                .collect();
        } else {
            for s in &mut out {
                s.push(c);
            }
        }
    }
    out
}

/// The smallest text above every text starting with `prefix` (byte order, as SQLite's BINARY
/// collation, PostgreSQL's "C" one for names and Rust compare): its last character moved one
/// code point up.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        while next <= u32::from(char::MAX) {
            if let Some(c) = char::from_u32(next) {
                chars.push(c);
                return Some(chars.into_iter().collect());
            }
            next += 1;
        }
    }
    None
}

/// On SQLite, the name, serial or owner containing `text` in any letter case. SQLite's LIKE
/// folds ASCII letters only, so a text with letters beyond ASCII that have another case is
/// tested with GLOB, each letter a set of both cases (`*[éÉ]cole*`, [`sqlite_glob`]). A
/// cheaper test goes first, since LIKE and GLOB skip ahead to a literal character where a
/// set is tried at every position: LIKE with `_` in those letters' places ([`sqlite_like`]),
/// or for a text of such letters alone, GLOB with each spelling of its first letter
/// (`*é*`, `*É*`). Any other text is tested with LIKE alone.
fn any_text_matches(f: &mut crate::Filter, text: &str) {
    // The first tests, any of which must hold, each to follow a column's name.
    let first: Vec<String> = match text.chars().next() {
        Some(c) if text.chars().all(folds_apart) => letter_cases(c)
            .into_iter()
            .map(|c| format!("GLOB {}", f.bind(Param::Text(format!("*{c}*")))))
            .collect(),
        _ => vec![format!(
            "LIKE {} ESCAPE '\\'",
            f.bind(Param::Text(sqlite_like(text)))
        )],
    };
    let glob = folds_beyond_ascii(text).then(|| f.bind(Param::Text(sqlite_glob(text))));
    let tests: Vec<String> = ["name", "serial", "owner"]
        .iter()
        .map(|col| {
            let any: Vec<String> = first.iter().map(|t| format!("{col} {t}")).collect();
            match &glob {
                Some(glob) => format!("(({}) AND {col} GLOB {glob})", any.join(" OR ")),
                None => any.join(" OR "),
            }
        })
        .collect();
    f.push(format!("({})", tests.join(" OR ")));
}

/// The spellings of `c` in either letter case, itself first: one character each (as
/// PostgreSQL's ILIKE compares them).
fn letter_cases(c: char) -> Vec<char> {
    let mut out = vec![c];
    for other in [one_char(c.to_lowercase()), one_char(c.to_uppercase())]
        .into_iter()
        .flatten()
    {
        if !out.contains(&other) {
            out.push(other);
        }
    }
    out
}

fn one_char(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// Whether `c` is a letter beyond ASCII with another case, which SQLite's LIKE would not
/// fold.
fn folds_apart(c: char) -> bool {
    !c.is_ascii() && letter_cases(c).len() > 1
}

/// Whether `text` has a letter [`folds_apart`].
fn folds_beyond_ascii(text: &str) -> bool {
    text.chars().any(folds_apart)
}

/// A LIKE pattern for texts containing `text`, with `_` (any character) in place of each
/// letter that [`folds_apart`]: all of `text` for any other text.
fn sqlite_like(text: &str) -> String {
    like_pattern(text, folds_apart)
}

/// A GLOB pattern for texts containing `text`: a set of both cases per letter, GLOB's own
/// wildcards taken literally (`[*]`).
fn sqlite_glob(text: &str) -> String {
    let mut out = String::from("*");
    for c in text.chars() {
        let cases = letter_cases(c);
        if cases.len() > 1 || matches!(c, '*' | '?' | '[') {
            out.push('[');
            out.extend(cases);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out.push('*');
    out
}

/// Characters a text needs to hold a trigram: shorter ones are never looked up in a trigram
/// index, only tested on the devices a walk reads (on PostgreSQL, in another order than by
/// name, the planner may read every haystack first).
const TRIGRAM_CHARS: usize = 3;

/// On PostgreSQL, `device_text` under names no column of `devices` has, for the searches that
/// walk its names in the list's order (see migration 0040).
const TEXTS: &str = "(SELECT device_id AS text_id, name AS text_name, serial AS text_serial, \
                     owner AS text_owner, haystack AS text_haystack FROM device_text) AS texts";

/// On PostgreSQL, the bytes of a device's texts and haystack, which the predicates of the
/// indexes walking names compare with [`TEXTS_FIT`] (migration 0040): the covering index
/// `device_text_walk` holds the devices up to it (an index entry must fit in a third of a
/// page, 2,704 bytes, which names, serials and owners of 255 characters each can exceed in
/// letters beyond ASCII), `device_text_walk_long` the others, by name alone. The predicates
/// are spelled as the migration spells them, so that the planner sees a walk's part implies
/// its index's.
const TEXTS_BYTES: &str = "octet_length(text_name) + octet_length(text_serial) \
                           + octet_length(text_owner) + octet_length(text_haystack)";
/// Bytes of a device's texts and haystack up to which the covering index of names holds it.
const TEXTS_FIT: u32 = 2_400;

/// On PostgreSQL, whether a device's texts in `device_text` (their columns named with
/// `prefix`) hold the ILIKE pattern bound at `p`. Its haystack (name, serial and owner
/// lowered once) is tested first, as ILIKE would lower them but byte by byte, and rules out
/// most devices at a fraction of the three ILIKE tests; the ILIKE tests, which the trigram
/// indexes serve, decide for the rest (the haystack alone would also find a text spanning
/// two of them). With `past_first`, the name past its first character: the split's part
/// that leaves the names starting with the text to the name ranges.
fn texts_match(prefix: &str, p: &str, past_first: bool) -> String {
    let (any_first, name) = if past_first {
        ("'_' || ", format!("substr({prefix}name, 2)"))
    } else {
        ("", format!("{prefix}name"))
    };
    format!(
        "{prefix}haystack LIKE ({any_first}lower({p})) COLLATE \"C\" ESCAPE '\\' \
         AND ({name} COLLATE \"default\" ILIKE {p} ESCAPE '\\' \
         OR {prefix}serial ILIKE {p} ESCAPE '\\' OR {prefix}owner ILIKE {p} ESCAPE '\\')"
    )
}

/// A LIKE pattern for texts starting with `text`.
fn like_prefix(text: &str) -> String {
    let mut p = escape_like(text);
    p.remove(0);
    p
}

impl Store {
    /// On SQLite, whether the trigram index narrows `text` to few enough rows to sort them,
    /// and else whether a search by name can be split. On PostgreSQL a search by name is
    /// split whenever its letter cases can be spelled out (ASCII: ILIKE folds other letters
    /// too), and the planner chooses between the trigram indexes and the name order for each
    /// part; a search in another order is one query, planned the same way.
    async fn search_plan(&self, text: &str, by_name: bool) -> Result<Search> {
        if text.chars().count() < TRIGRAM_CHARS {
            return Ok(Search::Walk);
        }
        if self.backend == crate::Backend::Postgres {
            return Ok(if by_name && text.is_ascii() {
                Search::Split(case_spellings(text))
            } else {
                Search::Walk
            });
        }
        let count = |sql: String, phrases: Vec<String>| async move {
            let mut q = sqlx::query(&sql);
            for p in phrases {
                q = q.bind(p);
            }
            let n: i64 = q.fetch_one(&self.read).await?.try_get("n")?;
            Ok::<_, StoreError>(n)
        };
        let phrase = fts_phrase(text);
        let n = count(
            format!(
                "SELECT COUNT(*) AS n FROM (SELECT rowid FROM devices_search \
                 WHERE devices_search MATCH $1 LIMIT {})",
                SEARCH_SORT_LIMIT + 1
            ),
            vec![phrase.clone()],
        )
        .await?;
        if n <= SEARCH_SORT_LIMIT {
            return Ok(Search::Selective);
        }
        // The name ranges spell ASCII letters' cases only, and LIKE tests the rest.
        if !by_name || folds_beyond_ascii(text) {
            return Ok(Search::Walk);
        }
        // Matches not at the start of a name: few, or the walk finds a page soon anyway.
        let elsewhere = count(
            format!(
                "SELECT COUNT(*) AS n FROM (SELECT rowid FROM devices_name_tail \
                 WHERE devices_name_tail MATCH $1 UNION ALL SELECT rowid FROM devices_other_text \
                 WHERE devices_other_text MATCH $1 LIMIT {})",
                SEARCH_SORT_LIMIT + 1
            ),
            vec![phrase.clone()],
        )
        .await?;
        Ok(if elsewhere <= SEARCH_SORT_LIMIT {
            Search::Split(case_spellings(text))
        } else {
            Search::Walk
        })
    }

    pub async fn list_devices(&self, q: &DeviceQuery) -> Result<Page<DeviceSummary>> {
        let mut f = crate::Filter::default();
        if !q.include_retired {
            f.push("retired_at IS NULL");
        }
        if let Some(p) = q.platform {
            f.add("platform = ?", Param::Text(p.as_str().into()));
        }
        if let Some(v) = &q.os_version {
            f.add("os_version = ?", Param::Text(v.clone()));
        }
        if !q.scope.is_empty() {
            f.any_of("device_group IN (?)", &q.scope);
        }
        if let Some(c) = &q.compliance {
            f.add("compliance_state = ?", Param::Text(c.clone()));
        }
        if let Some(h) = &q.health {
            f.add("health_state = ?", Param::Text(h.clone()));
        }
        if let Some(g) = &q.group {
            f.add("device_group = ?", Param::Text(g.clone()));
        }
        if let Some(t) = q.last_seen_before {
            f.add("last_seen_at < ?", Param::Int(t));
        }
        if let Some(t) = q.last_seen_after {
            f.add("last_seen_at >= ?", Param::Int(t));
        }
        let text = q.q.as_deref().filter(|s| !s.is_empty());
        let plan = match text {
            Some(text) => self.search_plan(text, q.sort == SortField::Name).await?,
            None => Search::Walk,
        };
        let pg = self.backend.text_apart();
        // On PostgreSQL a search by name walks `device_text`'s names (see `TEXTS`), the
        // pattern bound here.
        let mut texts_walk = None;
        match (&plan, text) {
            (Search::Selective, Some(text)) => f.add(
                "devices.rowid IN (SELECT rowid FROM devices_search WHERE devices_search MATCH ?)",
                Param::Text(fts_phrase(text)),
            ),
            (Search::Walk, Some(text)) if pg && q.sort == SortField::Name => {
                texts_walk = Some(f.bind(Param::Text(escape_like(text))));
            }
            // In another order the planner chooses between the trigram indexes, reading every
            // haystack first, and a walk of that order looking each device's texts up.
            (Search::Walk, Some(text)) if pg => f.add(
                &format!(
                    "devices.id IN (SELECT device_id FROM device_text WHERE {})",
                    texts_match("", "?", false)
                ),
                Param::Text(escape_like(text)),
            ),
            (Search::Walk, Some(text)) => any_text_matches(&mut f, text),
            _ => {}
        }
        let col = q.sort.column();
        // The same id, named as `device_seen`'s index holds it when sorting by last seen.
        let tie = match q.sort {
            SortField::LastSeen => self.backend.seen_id(),
            _ => "id",
        };
        let from = self.backend.devices_seen();
        let (cmp, dir) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        // Where a walk of `device_text`'s names starts: past the cursor, as its list does.
        let mut texts_after = String::new();
        if let Some(c) = &q.cursor {
            let (v, id) = decode_cursor(c, q.sort)?;
            let a = f.bind(v);
            let b = f.bind(Param::Text(id));
            f.push(format!("({col}, {tie}) {cmp} ({a}, {b})"));
            texts_after = format!(" AND (text_name, text_id) {cmp} ({a}, {b})");
        }
        let limit = q.limit.clamp(1, steward_proto::MAX_PAGE_LIMIT);
        let order = format!("ORDER BY {col} {dir}, {tie} {dir} LIMIT {}", limit + 1);
        // Parts name their page's devices only (on PostgreSQL without last seen's table
        // unless a filter needs it: the fewer tables, the shorter each part's planning); the
        // page's rows are read once, for the ids the parts agree on (a device in two parts
        // is one).
        let part_from = if q.last_seen_before.is_some() || q.last_seen_after.is_some() {
            from
        } else {
            "devices"
        };
        // The parts walking `device_text`'s names in the list's order, testing each haystack
        // from the covering index of names or, for the few devices whose texts it cannot
        // hold, from the table (see `TEXTS_BYTES`): the devices table is read for the
        // matches only.
        let texts_parts = |f: &crate::Filter, test: String| {
            ["<=", ">"].map(|fits| {
                let size = format!("{TEXTS_BYTES} {fits} {TEXTS_FIT}");
                format!(
                    "SELECT text_id AS page_id, text_name AS page_name FROM {part_from} \
                     JOIN {TEXTS} ON devices.id = text_id {} \
                     ORDER BY text_name {dir}, text_id {dir} LIMIT {}",
                    f.where_with(&format!("{size} AND {test}{texts_after}")),
                    limit + 1
                )
            })
        };
        // The page of the parts' union, each part naming a page of ids in the list's order.
        let page = |parts: Vec<String>| {
            let parts: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, part)| format!("SELECT * FROM ({part}) AS part{i}"))
                .collect();
            format!(
                "SELECT {SUMMARY_COLS} FROM ({} ORDER BY page_name {dir}, page_id {dir} \
                 LIMIT {}) AS page JOIN {from} ON devices.id = page.page_id \
                 ORDER BY page_name {dir}, page_id {dir}",
                parts.join(" UNION "),
                limit + 1
            )
        };
        let sql = match (&plan, text) {
            (Search::Split(spellings), Some(text)) => {
                // Each part reads at most a page in the sort order; the union of their ids
                // is sorted once more.
                let mut parts = Vec::new();
                let op = self.backend.ilike();
                let starts = f.bind(Param::Text(like_prefix(text)));
                for start in spellings {
                    let from = f.bind(Param::Text(start.clone()));
                    let range = match past_prefix(start) {
                        Some(end) => {
                            format!("name >= {from} AND name < {}", f.bind(Param::Text(end)))
                        }
                        None => format!("name >= {from}"),
                    };
                    parts.push(format!("{range} AND name {op} {starts} ESCAPE '\\'"));
                }
                let mut selects: Vec<String> = parts
                    .iter()
                    .map(|part| {
                        format!(
                            "SELECT devices.id AS page_id, name AS page_name \
                             FROM {part_from} {} {order}",
                            f.where_with(part)
                        )
                    })
                    .collect();
                // The devices holding the text elsewhere than at the start of their name.
                match self.backend {
                    crate::Backend::Sqlite => {
                        let phrase = f.bind(Param::Text(fts_phrase(text)));
                        selects.push(format!(
                            "SELECT devices.id AS page_id, name AS page_name FROM {part_from} \
                             {} {order}",
                            f.where_with(&format!(
                                "devices.rowid IN (SELECT rowid FROM devices_name_tail WHERE \
                                 devices_name_tail MATCH {phrase} UNION ALL SELECT rowid FROM \
                                 devices_other_text WHERE devices_other_text MATCH {phrase})"
                            ))
                        ));
                    }
                    crate::Backend::Postgres => {
                        let p = f.bind(Param::Text(escape_like(text)));
                        selects.extend(texts_parts(&f, texts_match("text_", &p, true)));
                    }
                }
                page(selects)
            }
            _ => match &texts_walk {
                Some(p) => page(texts_parts(&f, texts_match("text_", p, false)).to_vec()),
                None => format!(
                    "SELECT {SUMMARY_COLS} FROM {from} {} {order}",
                    f.where_sql()
                ),
            },
        };
        // Planned with its values every time: a cached generic plan cannot see that a search
        // pattern is selective, and PostgreSQL would walk the sort index instead of using the
        // trigram indexes.
        let rows = bind_all(sqlx::query(&sql).persistent(false), f.params())
            .fetch_all(&self.read)
            .await?;
        let mut items = rows.iter().map(summary).collect::<Result<Vec<_>>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            let last = &rows[limit as usize - 1];
            let v = match q.sort {
                SortField::Name => Param::Text(last.try_get("name")?),
                SortField::LastSeen => Param::Int(last.try_get("last_seen_at")?),
                SortField::Enrolled => Param::Int(last.try_get("enrolled_at")?),
            };
            Some(encode_cursor(&v, &last.try_get::<String, _>("id")?))
        } else {
            None
        };
        Ok(Page {
            items,
            next_cursor,
            total: None,
        })
    }

    pub async fn count_devices(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM devices WHERE retired_at IS NULL")
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        Ok(n as u64)
    }

    pub async fn device(&self, id: &str, history_limit: u32) -> Result<DeviceDetail> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY_COLS}, model, seq, os_facts, \
             (SELECT i.inventory FROM device_inventory i WHERE i.device_id = devices.id) \
             AS inventory, inventory_hash, protection, compliance, compliance_results \
             FROM {} WHERE id = $1",
            self.backend.devices_seen()
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let events = sqlx::query(
            "SELECT at, kind, detail FROM device_events WHERE device_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(id)
        .bind(i64::from(history_limit))
        .fetch_all(&self.read)
        .await?;
        let history = events
            .iter()
            .map(|e| {
                Ok(DeviceEvent {
                    at: to_rfc3339(e.try_get("at")?),
                    kind: e.try_get("kind")?,
                    detail: serde_json::from_str(&e.try_get::<String, _>("detail")?)
                        .unwrap_or(Value::Null),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let protection: Option<ProtectionStatus> = row
            .try_get::<Option<String>, _>("protection")?
            .and_then(|t| serde_json::from_str(&t).ok());
        let inventory_hash: String = row.try_get("inventory_hash")?;
        Ok(DeviceDetail {
            summary: summary(&row)?,
            model: row.try_get("model")?,
            seq: row.try_get::<i64, _>("seq")? as u64,
            os: json_col(&row, "os_facts")?,
            inventory: json_col(&row, "inventory")?,
            inventory_hash: (!inventory_hash.is_empty()).then_some(inventory_hash),
            protection,
            health: None,
            compliance_results: json_col(&row, "compliance_results")?,
            compliance: json_col(&row, "compliance")?,
            history,
        })
    }

    /// Retires a device: its check-ins are refused from now on and its hardware may enroll
    /// again. Retiring twice keeps the first time.
    pub async fn retire_device(
        &self,
        id: &str,
        now: i64,
        actor: &crate::audit::Actor,
    ) -> Result<DeviceSummary> {
        let mut tx = self.begin_write().await?;
        let select = format!(
            "SELECT {SUMMARY_COLS} FROM {} WHERE id = $1",
            self.backend.devices_seen()
        );
        let before = sqlx::query(&select)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = summary(&before)?;
        sqlx::query("UPDATE devices SET retired_at = COALESCE(retired_at, $1) WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = summary(&sqlx::query(&select).bind(id).fetch_one(&mut *tx).await?)?;
        if !before.retired {
            sqlx::query(
                "INSERT INTO device_events (device_id, at, kind, detail) VALUES ($1, $2, 'retired', $3)",
            )
            .bind(id)
            .bind(now)
            .bind(serde_json::json!({"by": actor.name}).to_string())
            .execute(&mut *tx)
            .await?;
        }
        let mut rec = crate::audit::AuditRecord::change(actor, now, "device.retire", "device", id);
        rec.before = Some(serde_json::to_value(&before).unwrap_or_default());
        rec.after = Some(serde_json::to_value(&after).unwrap_or_default());
        crate::audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Asks for a new device secret, handed out at the device's next check-in.
    pub async fn request_secret_rotation(
        &self,
        id: &str,
        now: i64,
        actor: &crate::audit::Actor,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE devices SET rotate_requested_at = $1 WHERE id = $2 AND retired_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let rec =
            crate::audit::AuditRecord::change(actor, now, "device.rotate_secret", "device", id);
        crate::audit::insert(&mut tx, &rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Loads what the check-in path caches about a device.
    pub async fn device_auth(&self, id: &str) -> Result<Option<DeviceAuth>> {
        let row = sqlx::query(
            "SELECT secret_hash, next_secret_hash, rotate_requested_at, seq, state_hash, \
             inventory_hash, retired_at, \
             (SELECT hash FROM device_software_state s WHERE s.device_id = devices.id) AS software_hash \
             FROM devices WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(DeviceAuth {
                secret_hash: r.try_get("secret_hash")?,
                next_secret_hash: r
                    .try_get::<Option<String>, _>("next_secret_hash")?
                    .unwrap_or_default(),
                rotate: r
                    .try_get::<Option<i64>, _>("rotate_requested_at")?
                    .is_some(),
                seq: r.try_get("seq")?,
                state_hash: r.try_get("state_hash")?,
                inventory_hash: r.try_get("inventory_hash")?,
                software_hash: r
                    .try_get::<Option<String>, _>("software_hash")?
                    .unwrap_or_default(),
                retired: r.try_get::<Option<i64>, _>("retired_at")?.is_some(),
            })
        })
        .transpose()
    }

    /// Enrollment attempts, newest first; `result` filters on `success` or a reason code.
    /// With a `scope`, only attempts whose token enrolls into one of those groups.
    /// Successful and failed enrollments per day over the `days` days up to `now` (oldest
    /// first), within `scope` (the groups of the tokens used; empty: all).
    pub async fn enrollments_by_day(
        &self,
        now: i64,
        days: i64,
        scope: &[String],
    ) -> Result<Vec<(i64, u64, u64)>> {
        const DAY: i64 = 86_400_000;
        let first = (now / DAY - (days - 1)) * DAY;
        let mut f = crate::Filter::default();
        f.add("at >= ?", crate::Param::Int(first));
        if !scope.is_empty() {
            f.any_of(
                "token_id IN (SELECT id FROM enrollment_tokens WHERE device_group IN (?))",
                scope,
            );
        }
        let sql = format!(
            "SELECT at / {DAY} AS day, SUM(CASE WHEN result = 'success' THEN 1 ELSE 0 END) AS ok, \
             SUM(CASE WHEN result = 'success' THEN 0 ELSE 1 END) AS failed \
             FROM enrollment_attempts {} GROUP BY at / {DAY}",
            f.where_sql()
        );
        let rows = crate::bind_all(sqlx::query(&sql), f.params())
            .fetch_all(&self.read)
            .await?;
        let mut out: Vec<(i64, u64, u64)> = (0..days).map(|i| (first + i * DAY, 0, 0)).collect();
        for r in rows {
            let day: i64 = r.try_get("day")?;
            if let Some(slot) = out.iter_mut().find(|s| s.0 / DAY == day) {
                slot.1 = r.try_get::<Option<i64>, _>("ok")?.unwrap_or(0) as u64;
                slot.2 = r.try_get::<Option<i64>, _>("failed")?.unwrap_or(0) as u64;
            }
        }
        Ok(out)
    }

    pub async fn list_enrollment_attempts(
        &self,
        result: Option<&str>,
        limit: u32,
        cursor: Option<i64>,
        scope: &[String],
    ) -> Result<Page<EnrollmentAttempt>> {
        let limit = limit.clamp(1, steward_proto::MAX_PAGE_LIMIT);
        let mut f = crate::Filter::default();
        if !scope.is_empty() {
            f.any_of(
                "token_id IN (SELECT id FROM enrollment_tokens WHERE device_group IN (?))",
                scope,
            );
        }
        match result {
            // Every failure, whatever its reason.
            Some("failed") => f.push("result <> 'success'"),
            Some(r) => f.add("result = ?", Param::Text(r.to_string())),
            None => {}
        }
        if let Some(c) = cursor {
            f.add("id < ?", Param::Int(c));
        }
        let where_sql = f.where_sql();
        let sql = format!(
            "SELECT id, at, result, token_id, platform, os_version, hostname, serial, owner, \
             device_id, remote_addr FROM enrollment_attempts {where_sql} ORDER BY id DESC LIMIT {}",
            limit + 1
        );
        let rows = bind_all(sqlx::query(&sql), f.params())
            .fetch_all(&self.read)
            .await?;
        let items = rows.iter().map(attempt).collect::<Result<Vec<_>>>()?;
        Ok(crate::id_page(items, limit, |a| a.id))
    }

    /// An owner's devices (retired ones too), most recently seen first.
    pub async fn devices_of_owner(&self, owner: &str) -> Result<Vec<DeviceSummary>> {
        sqlx::query(&format!(
            "SELECT {SUMMARY_COLS} FROM {} WHERE owner = $1 ORDER BY last_seen_at DESC LIMIT 200",
            self.backend.devices_seen()
        ))
        .bind(owner)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(summary)
        .collect()
    }

    /// An owner's enrollment attempts, newest first.
    pub async fn attempts_of_owner(
        &self,
        owner: &str,
        limit: u32,
    ) -> Result<Vec<EnrollmentAttempt>> {
        sqlx::query(
            "SELECT id, at, result, token_id, platform, os_version, hostname, serial, owner, \
             device_id, remote_addr FROM enrollment_attempts WHERE owner = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(owner)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(attempt)
        .collect()
    }

    /// Inserts many devices at once, for benchmarks of the read side (no secrets: these
    /// devices cannot check in).
    pub async fn seed_devices(&self, devices: &[SeedDevice]) -> Result<()> {
        let apart = self.backend.seen_apart();
        let cols = if apart { 15 } else { 16 };
        let mut tx = self.begin_write().await?;
        for chunk in devices.chunks(self.backend.rows_per_statement(cols)) {
            let sql = format!(
                "INSERT INTO devices (id, secret_hash, name, serial, hardware_id, owner, model, \
                 platform, os_name, os_version, enrolled_at, seq, device_group, \
                 health_state, compliance_state{}) VALUES {}",
                if apart { "" } else { ", last_seen_at" },
                crate::values_placeholders(chunk.len(), cols)
            );
            let mut q = sqlx::query(&sql);
            for d in chunk {
                q = q
                    .bind(d.id.as_str())
                    .bind("")
                    .bind(d.name.as_str())
                    .bind(d.serial.as_str())
                    .bind(d.id.as_str())
                    .bind(d.owner.as_str())
                    .bind("")
                    .bind(d.platform.as_str())
                    .bind(d.os_name.as_str())
                    .bind(d.os_version.as_str())
                    .bind(d.enrolled_at)
                    .bind(0i64)
                    .bind(d.group.as_deref())
                    .bind(d.health_state)
                    .bind(d.compliance_state);
                if !apart {
                    q = q.bind(d.last_seen_at);
                }
            }
            q.execute(&mut *tx).await?;
        }
        if apart {
            for chunk in devices.chunks(self.backend.rows_per_statement(2)) {
                let sql = format!(
                    "INSERT INTO device_seen (device_id, last_seen_at) VALUES {}",
                    crate::values_placeholders(chunk.len(), 2)
                );
                let mut q = sqlx::query(&sql);
                for d in chunk {
                    q = q.bind(d.id.as_str()).bind(d.last_seen_at);
                }
                q.execute(&mut *tx).await?;
            }
        }
        if self.backend.text_apart() {
            for chunk in devices.chunks(self.backend.rows_per_statement(4)) {
                let sql = format!(
                    "INSERT INTO device_text (device_id, name, serial, owner) VALUES {}",
                    crate::values_placeholders(chunk.len(), 4)
                );
                let mut q = sqlx::query(&sql);
                for d in chunk {
                    q = q
                        .bind(d.id.as_str())
                        .bind(d.name.as_str())
                        .bind(d.serial.as_str())
                        .bind(d.owner.as_str());
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Benchmark data: an open alert of `rule` for each device in `device_ids` (severity and
    /// reason as an active-threat rule would give), fired at `now`.
    pub async fn seed_alerts(
        &self,
        rule: &steward_core::alerting::AlertRule,
        device_ids: &[String],
        now: i64,
    ) -> Result<()> {
        const COLS: usize = 8;
        let mut tx = self.begin_write().await?;
        for chunk in device_ids.chunks(self.backend.rows_per_statement(COLS)) {
            let sql = format!(
                "INSERT INTO alerts (id, rule_id, subject, device_id, severity, rule_name, \
                 fired_at, updated_at, state, reason) SELECT v.*, 'firing', '{{}}' FROM (VALUES {}) AS v",
                crate::values_placeholders(chunk.len(), COLS)
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(rule.id.as_str())
                    .bind(id.as_str())
                    .bind(id.as_str())
                    .bind(rule.severity.as_str())
                    .bind(rule.name.as_str())
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Benchmark data: `count` enrollment attempts spread over the `days` days before `now`,
    /// one in twenty failed.
    pub async fn seed_enrollment_attempts(&self, count: u32, days: i64, now: i64) -> Result<()> {
        const COLS: usize = 5;
        let span = days * 86_400_000;
        let rows: Vec<u32> = (0..count).collect();
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(self.backend.rows_per_statement(COLS)) {
            let sql = format!(
                "INSERT INTO enrollment_attempts (at, result, hostname, serial, owner, os_version, \
                 remote_addr) SELECT v.column1, v.column2, v.column3, v.column4, v.column5, '', '' \
                 FROM (VALUES {}) AS v",
                crate::values_placeholders(chunk.len(), COLS)
            );
            let mut q = sqlx::query(&sql);
            for i in chunk {
                let at = now - span + i64::from(*i) * span / i64::from(count.max(1));
                q = q
                    .bind(at)
                    .bind(if i % 20 == 0 {
                        "unknown_token"
                    } else {
                        "success"
                    })
                    .bind(format!("seed-{i}"))
                    .bind(format!("SN{i}"))
                    .bind(format!("user{i}@example.com"));
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Call once after the last [`Store::seed_devices`]: folds SQLite's log into the database,
    /// or gives PostgreSQL fresh statistics (its planner would otherwise plan for an empty
    /// table until autovacuum's next analyse).
    pub async fn finish_bulk_load(&self) -> Result<()> {
        let after_load = match self.backend {
            crate::Backend::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
            crate::Backend::Postgres => "ANALYZE devices",
        };
        sqlx::query(after_load).execute(&self.write).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        let c = encode_cursor(&Param::Text("pc-1".into()), "id-9");
        let (v, id) = decode_cursor(&c, SortField::Name).expect("valid");
        assert!(matches!(v, Param::Text(s) if s == "pc-1"));
        assert_eq!(id, "id-9");
        assert!(decode_cursor(&c, SortField::LastSeen).is_err());
        assert!(decode_cursor("!!!", SortField::Name).is_err());
        assert!(decode_cursor("e30", SortField::Name).is_err());
    }

    #[test]
    fn fts_phrases_quote_quotes() {
        assert_eq!(fts_phrase("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("a%b_c"), "%a\\%b\\_c%");
    }
}

#[cfg(test)]
mod search_tests {
    use super::{case_spellings, folds_beyond_ascii, past_prefix, sqlite_glob, sqlite_like};

    #[test]
    fn letters_beyond_ascii_are_globbed_in_both_cases_and_the_rest_kept_literal() {
        assert_eq!(sqlite_like("win-%"), "%win-\\%%");
        assert_eq!(sqlite_like("é_"), "%_\\_%");
        assert_eq!(sqlite_glob("é"), "*[éÉ]*");
        assert_eq!(sqlite_glob("Éc*?[x]"), "*[Éé][cC][*][?][[][xX]]*");
        // Letters without another case, and ß (whose capital is two letters), stay as sent.
        assert_eq!(sqlite_like("漢字ß"), "%漢字ß%");
        assert_eq!(sqlite_glob("ßé"), "*ß[éÉ]*");
        assert!(!folds_beyond_ascii("漢字ß-Win"));
        assert!(folds_beyond_ascii("Привет"));
    }

    #[test]
    fn the_name_ranges_spell_the_first_letters_in_every_case_and_end_past_their_prefix() {
        let mut s = case_spellings("wi-n");
        s.sort();
        assert_eq!(
            s,
            ["WI-N", "WI-n", "Wi-N", "Wi-n", "wI-N", "wI-n", "wi-N", "wi-n"]
        );
        // Letters past the fourth are left to LIKE; other characters are kept as they are.
        assert_eq!(case_spellings("desktop-").len(), 16);
        assert!(case_spellings("desktop-").contains(&"DeSk".to_string()));
        assert_eq!(case_spellings("12-é"), ["12-é"]);
        assert_eq!(past_prefix("win-").as_deref(), Some("win."));
        assert_eq!(past_prefix("caf\u{e9}").as_deref(), Some("caf\u{ea}"));
        // No character follows the last one: the range is cut one character earlier.
        assert_eq!(past_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        assert!("win-zzz" < past_prefix("win-").unwrap().as_str());
    }
}
