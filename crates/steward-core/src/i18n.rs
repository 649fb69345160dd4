//! The translation catalog: Fluent files under `crates/steward-core/locales/`, compiled into
//! the binary. Every user-facing string is looked up here.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};
use serde::{Deserialize, Serialize};
use unic_langid::langid;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en-US",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The five languages Steward speaks.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Fr,
    Sv,
    De,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Fr, Lang::Sv, Lang::De, Lang::Ko];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Sv => "sv",
            Lang::De => "de",
            Lang::Ko => "ko",
        }
    }

    /// The catalog directory of the language.
    pub fn catalog_dir(self) -> &'static str {
        match self {
            Lang::En => "en-US",
            other => other.code(),
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::En => langid!("en-US"),
            Lang::Fr => langid!("fr"),
            Lang::Sv => langid!("sv"),
            Lang::De => langid!("de"),
            Lang::Ko => langid!("ko"),
        }
    }

    /// Parses `fr`, `fr-CA`, `sv_SE.UTF-8`, `KO` …
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_', '.', ';'])
            .next()?
            .to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// Picks the best language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or_default();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// The language of the process environment (`STEWARD_LANG`, then `LC_ALL`, `LANG`).
    pub fn from_env() -> Lang {
        ["STEWARD_LANG", "LC_ALL", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find_map(|v| Lang::parse(&v))
            .unwrap_or_default()
    }
}

/// A whole number with the language's digit grouping: 1,234,567 (English, Korean),
/// 1 234 567 (French with narrow spaces, Swedish), 1.234.567 (German).
pub fn format_number(lang: Lang, n: u64) -> String {
    let sep = match lang {
        Lang::En | Lang::Ko => ",",
        Lang::Fr => "\u{202f}",
        Lang::Sv => "\u{a0}",
        Lang::De => ".",
    };
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// The regional formats a reader may choose beside the language (English only: the other
/// languages have one format each).
pub const REGIONS: [&str; 3] = ["", "en-US", "en-GB"];

/// What of a moment a text shows.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Time,
    Day,
    Date,
}

/// Where and how a reader reads times: a time zone and a regional format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    pub tz: chrono_tz::Tz,
    /// British rather than American dates and clock, for English readers.
    pub british: bool,
}

impl Default for Zone {
    fn default() -> Self {
        Zone {
            tz: chrono_tz::UTC,
            british: false,
        }
    }
}

impl Zone {
    /// A zone from a user's settings; an unknown time zone reads as UTC.
    pub fn new(time_zone: &str, region: &str) -> Zone {
        Zone {
            tz: Zone::parse_tz(time_zone).unwrap_or(chrono_tz::UTC),
            british: region == "en-GB",
        }
    }

    /// Every IANA time zone name, for a chooser.
    pub fn names() -> Vec<&'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect()
    }

    /// An IANA time zone name.
    pub fn parse_tz(name: &str) -> Option<chrono_tz::Tz> {
        name.parse().ok()
    }

    /// A wall-clock time typed in this zone (`2026-12-01T09:30`), as milliseconds since the
    /// epoch; the earlier of two readings when clocks go back, none when they skip it.
    pub fn parse_local(&self, text: &str) -> Option<i64> {
        use chrono::TimeZone;
        let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok()?;
        self.tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.timestamp_millis())
    }

    fn local(&self, ms: i64) -> Option<chrono::DateTime<chrono_tz::Tz>> {
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
            .map(|t| t.with_timezone(&self.tz))
    }

    /// A moment with its date, time and zone: 11/21/2026, 2:05 PM EST · 21/11/2026, 14:05 GMT
    /// · 21/11/2026 14:05 CET · 2026-11-21 14:05 CET · 21.11.2026, 14:05 CET ·
    /// 2026. 11. 21. 23:05 KST.
    pub fn time(&self, lang: Lang, ms: i64) -> String {
        self.format(lang, ms, Shape::Time)
    }

    /// A day with its year (a deadline, a review date), in the reader's zone.
    pub fn day(&self, lang: Lang, ms: i64) -> String {
        self.format(lang, ms, Shape::Day)
    }

    /// A day without its year (a chart's axis), in the reader's zone.
    pub fn date(&self, lang: Lang, ms: i64) -> String {
        self.format(lang, ms, Shape::Date)
    }

    fn format(&self, lang: Lang, ms: i64, shape: Shape) -> String {
        let Some(t) = self.local(ms) else {
            return String::new();
        };
        // (moment, day, day without the year) for each way of writing dates.
        let (time, day, date) = match lang {
            Lang::En if self.british => ("%d/%m/%Y, %H:%M %Z", "%d/%m/%Y", "%d/%m"),
            Lang::En => ("%m/%d/%Y, %-I:%M %p %Z", "%m/%d/%Y", "%m/%d"),
            Lang::Fr => ("%d/%m/%Y %H:%M %Z", "%d/%m/%Y", "%d/%m"),
            Lang::Sv => ("%Y-%m-%d %H:%M %Z", "%Y-%m-%d", "%m-%d"),
            Lang::De => ("%d.%m.%Y, %H:%M %Z", "%d.%m.%Y", "%d.%m."),
            // Short enough for a chart's axis: "11/30" (Korean UIs write short dates so too).
            Lang::Ko => ("%Y. %m. %d. %H:%M %Z", "%Y. %m. %d.", "%-m/%-d"),
        };
        let pattern = match shape {
            Shape::Time => time,
            Shape::Day => day,
            Shape::Date => date,
        };
        t.format(pattern).to_string()
    }

    /// How long ago (or how soon) a moment is, in words with plural forms: "3 minutes ago",
    /// "in 2 hours", "just now".
    pub fn ago(&self, lang: Lang, ms: i64, now: i64) -> String {
        let d = now - ms;
        let (past, a) = (d >= 0, d.unsigned_abs() / 1000);
        let ((ago, ahead), n) = match a {
            0..=44 => return t(lang, "time-just-now"),
            45..=3_599 => (("time-ago-minutes", "time-in-minutes"), (a / 60).max(1)),
            3_600..=86_399 => (("time-ago-hours", "time-in-hours"), a / 3_600),
            86_400..=2_591_999 => (("time-ago-days", "time-in-days"), a / 86_400),
            2_592_000..=31_535_999 => (("time-ago-months", "time-in-months"), a / 2_592_000),
            _ => (("time-ago-years", "time-in-years"), a / 31_536_000),
        };
        t_counts(lang, if past { ago } else { ahead }, &[("count", n)])
    }
}

/// The language a text written in several languages is shown in by default: the one asked
/// for when it has a title, else the first of the five that has one.
pub fn settle_default(asked: Lang, titles: &std::collections::BTreeMap<Lang, String>) -> Lang {
    let has = |l: &Lang| {
        titles
            .get(l)
            .is_some_and(|t| !steward_proto::text::is_blank(t))
    };
    if has(&asked) {
        return asked;
    }
    Lang::ALL.into_iter().find(has).unwrap_or(asked)
}

/// Looks up a message without arguments.
pub fn t(lang: Lang, key: &str) -> String {
    LOCALES.lookup(&lang.langid(), key)
}

/// An argument as Fluent sees it: a whole number is passed as a number, so that a message
/// can choose its plural form by it (`{ $count -> [one] … *[other] … }`) whoever formatted
/// it; anything else (names, versions, formatted figures) is text.
fn arg(v: &str) -> FluentValue<'static> {
    match v.parse::<u64>() {
        Ok(n) if (v.len() <= 15 && !v.starts_with('0')) || v == "0" => FluentValue::from(n),
        _ => FluentValue::from(v.to_string()),
    }
}

/// Looks up a message with named arguments.
pub fn t_args(lang: Lang, key: &str, args: &[(&'static str, String)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), arg(v)))
        .collect();
    LOCALES.lookup_with_args(&lang.langid(), key, &map)
}

/// Looks up a message whose arguments are counts, passed as numbers so the catalog can pick
/// the language's plural form (`{ $count -> [one] … *[other] … }`).
pub fn t_counts(lang: Lang, key: &str, counts: &[(&'static str, u64)]) -> String {
    t_args_counts(lang, key, &[], counts)
}

/// A message with text arguments and counts (the counts pick plural forms).
pub fn t_args_counts(
    lang: Lang,
    key: &str,
    args: &[(&'static str, String)],
    counts: &[(&'static str, u64)],
) -> String {
    let mut map: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
        .collect();
    map.extend(
        counts
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(*v))),
    );
    LOCALES.lookup_with_args(&lang.langid(), key, &map)
}

/// Looks up a message whose arguments were stored (an alert's reason, for one).
pub fn t_map(lang: Lang, key: &str, args: &std::collections::BTreeMap<String, String>) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| (Cow::Owned(k.clone()), arg(v)))
        .collect();
    LOCALES.lookup_with_args(&lang.langid(), key, &map)
}

/// The message of an API error code.
pub fn error_message(lang: Lang, code: steward_proto::ErrorCode) -> String {
    t(lang, &format!("error-{}", code.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn keys_of(lang: Lang) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang.catalog_dir());
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("catalog dir") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
            for line in text.lines() {
                let first = line.chars().next();
                if first.is_some_and(|c| c.is_ascii_alphabetic()) {
                    if let Some((key, _)) = line.split_once('=') {
                        keys.insert(key.trim().to_string());
                    }
                }
            }
        }
        keys
    }

    fn workspace_sources() -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut all = String::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                    all.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        all
    }

    #[test]
    fn every_catalog_has_every_key_and_every_key_is_used() {
        let english = keys_of(Lang::En);
        assert!(english.len() > 20, "catalog looks empty");
        for lang in Lang::ALL {
            let keys = keys_of(lang);
            let missing: Vec<_> = english.difference(&keys).collect();
            let extra: Vec<_> = keys.difference(&english).collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
            assert!(
                extra.is_empty(),
                "{lang:?} has keys English lacks: {extra:?}"
            );
        }
        let sources = workspace_sources();
        let codes: BTreeSet<String> = steward_proto::ErrorCode::ALL
            .iter()
            .map(|c| format!("error-{}", c.as_str()))
            .collect();
        for key in &english {
            let used = codes.contains(key) || sources.contains(&format!("\"{key}\""));
            assert!(used, "message {key} is never used");
        }
        for code in &codes {
            assert!(english.contains(code), "no message for {code}");
        }
        // And the other way round: every key-shaped string of a message family (`nav-…`,
        // `state-…` …) in the code and the console templates names a message that exists.
        let families: BTreeSet<&str> = english.iter().filter_map(|k| k.split('-').next()).collect();
        let mut unknown = BTreeSet::new();
        for quoted in sources.split('"').skip(1).step_by(2) {
            let key_shaped = quoted.contains('-')
                && quoted
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            let family = quoted.split('-').next().unwrap_or("");
            if key_shaped && families.contains(family) && !english.contains(quoted) {
                unknown.insert(quoted.to_string());
            }
        }
        assert!(
            unknown.is_empty(),
            "the code names messages the catalog lacks: {unknown:?}"
        );
    }

    /// A catalog's messages: id and text (continuation lines included).
    fn messages_of(lang: Lang) -> Vec<(String, String)> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang.catalog_dir())
            .join("main.ftl");
        let text = std::fs::read_to_string(path).expect("ftl");
        let mut out: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if line.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                if let Some((key, value)) = line.split_once('=') {
                    out.push((key.trim().to_string(), value.trim().to_string()));
                    continue;
                }
            }
            if let Some(last) = out.last_mut() {
                if line.starts_with(' ') || line.starts_with('}') {
                    last.1.push('\n');
                    last.1.push_str(line);
                }
            }
        }
        out
    }

    /// The arguments that carry a number of things.
    const COUNTS: [&str; 14] = [
        "count",
        "days",
        "hours",
        "minutes",
        "total",
        "enrolled",
        "refused",
        "checkins",
        "errors",
        "new",
        "updated",
        "applicable",
        "attempts",
        "reminded",
    ];

    #[test]
    fn a_count_before_a_word_has_its_plural_forms() {
        // Korean has no plural forms; the four others have one and other.
        let units = ["s", "min", "ms", "Min", "Min.", "h"];
        // English adjectives and adverbs do not change with the number.
        let invariable = [
            "unacknowledged",
            "more",
            "given",
            "waiting",
            "received",
            "shown",
            "unread",
            "new",
            "updated.",
        ];
        for lang in [Lang::En, Lang::Fr, Lang::Sv, Lang::De] {
            let mut bare = Vec::new();
            for (key, text) in messages_of(lang) {
                for var in COUNTS {
                    let placeable = format!("{{ ${var} }}");
                    let selects = text.contains(&format!("{{ ${var} ->"));
                    for (at, _) in text.match_indices(&placeable) {
                        let after = text.get(at + placeable.len()..).unwrap_or("");
                        let word: String = after
                            .strip_prefix(' ')
                            .unwrap_or("")
                            .chars()
                            .take_while(|c| c.is_alphabetic() || *c == '.')
                            .collect();
                        let fixed = lang == Lang::En && invariable.contains(&word.as_str());
                        if !word.is_empty() && !units.contains(&word.as_str()) && !selects && !fixed
                        {
                            bare.push(format!("{key}: {{ ${var} }} {word}"));
                        }
                    }
                }
            }
            assert!(
                bare.is_empty(),
                "{lang:?}: counts without plural forms: {bare:#?}"
            );
        }
    }

    #[test]
    fn glossary_terms_appear_as_written() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/glossary.md");
        let glossary = std::fs::read_to_string(path).expect("docs/glossary.md");
        let langs = [Lang::En, Lang::Fr, Lang::Sv, Lang::De, Lang::Ko];
        let catalogs: Vec<std::collections::HashMap<String, String>> = langs
            .iter()
            .map(|l| messages_of(*l).into_iter().collect())
            .collect();
        let mut rows = 0;
        let mut wrong = Vec::new();
        for line in glossary
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| en "))
        {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(
                cells.len(),
                6,
                "a glossary row has five terms and messages: {line}"
            );
            rows += 1;
            for key in cells[5].split(',').map(str::trim) {
                for (i, lang) in langs.iter().enumerate() {
                    // English terms may carry a note in brackets: "warning (severity)".
                    // A term may give its plural after a slash: "stratégie / stratégies".
                    let term = cells[i].split(" (").next().unwrap_or("").to_lowercase();
                    let text = catalogs[i]
                        .get(key)
                        .unwrap_or_else(|| panic!("glossary names {key}, which {lang:?} lacks"))
                        .to_lowercase();
                    if !term.split(" / ").any(|form| text.contains(form)) {
                        wrong.push(format!("{lang:?} {key} = {text:?} lacks \"{term}\""));
                    }
                }
            }
        }
        assert!(rows >= 30, "the glossary has {rows} rows");
        assert!(
            wrong.is_empty(),
            "catalogs drift from docs/glossary.md: {wrong:#?}"
        );
    }

    #[test]
    fn a_number_argument_chooses_the_plural_form() {
        let one = t_args(Lang::En, "health-active-threat", &[("count", "1".into())]);
        let two = t_args(Lang::En, "health-active-threat", &[("count", "2".into())]);
        assert_eq!(one, "1 active threat");
        assert_eq!(two, "2 active threats");
        let fr = t_args(Lang::Fr, "health-active-threat", &[("count", "1".into())]);
        assert!(!fr.contains("menaces"), "{fr}");
    }

    #[test]
    fn times_read_in_the_readers_zone_and_format() {
        let ms = 1_795_270_500_000; // 2026-11-21 14:15 UTC
        let seoul = Zone::new("Asia/Seoul", "");
        assert_eq!(seoul.time(Lang::Ko, ms), "2026. 11. 21. 23:15 KST");
        assert_eq!(seoul.time(Lang::En, ms), "11/21/2026, 11:15 PM KST");
        let london = Zone::new("Europe/London", "en-GB");
        assert_eq!(london.time(Lang::En, ms), "21/11/2026, 14:15 GMT");
        let stockholm = Zone::new("Europe/Stockholm", "");
        assert_eq!(stockholm.time(Lang::Sv, ms), "2026-11-21 15:15 CET");
        assert_eq!(stockholm.day(Lang::De, ms - 15 * 3_600_000), "21.11.2026");
        assert_eq!(Zone::new("Not/AZone", "").tz, chrono_tz::UTC);
        assert_eq!(seoul.ago(Lang::En, ms - 150_000, ms), "2 minutes ago");
        assert_eq!(seoul.ago(Lang::En, ms - 3_600_000, ms), "1 hour ago");
        assert_eq!(seoul.ago(Lang::De, ms - 3 * 86_400_000, ms), "vor 3 Tagen");
        assert_eq!(seoul.ago(Lang::En, ms + 7_200_000, ms), "in 2 hours");
        assert_eq!(seoul.ago(Lang::Fr, ms - 10_000, ms), "à l’instant");
    }

    #[test]
    fn lookups_translate_and_fill_arguments() {
        let en = t_args(
            Lang::En,
            "cli-user-created",
            &[("email", "a@b.c".into()), ("role", "operator".into())],
        );
        let ko = t_args(
            Lang::Ko,
            "cli-user-created",
            &[("email", "a@b.c".into()), ("role", "operator".into())],
        );
        assert!(en.contains("a@b.c") && en.contains("operator"));
        assert!(ko.contains("a@b.c"));
        assert_ne!(en, ko);
        assert_ne!(
            error_message(Lang::Fr, steward_proto::ErrorCode::UnknownToken),
            error_message(Lang::En, steward_proto::ErrorCode::UnknownToken)
        );
    }

    #[test]
    fn numbers_and_dates_follow_the_language() {
        assert_eq!(format_number(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(format_number(Lang::De, 1_234_567), "1.234.567");
        assert_eq!(format_number(Lang::Fr, 1_234), "1\u{202f}234");
        assert_eq!(format_number(Lang::Sv, 999), "999");
        let ms = 1_795_270_500_000; // 2026-11-21 14:15 UTC
        let utc = Zone::default();
        assert_eq!(utc.time(Lang::En, ms), "11/21/2026, 2:15 PM UTC");
        assert_eq!(utc.time(Lang::De, ms), "21.11.2026, 14:15 UTC");
        assert_eq!(utc.time(Lang::Ko, ms), "2026. 11. 21. 14:15 UTC");
        assert_eq!(utc.day(Lang::Fr, ms), "21/11/2026");
        assert_eq!(utc.day(Lang::Sv, ms), "2026-11-21");
        assert_eq!(utc.date(Lang::Ko, ms), "11/21");
    }

    #[test]
    fn language_negotiation() {
        assert_eq!(Lang::parse("sv_SE.UTF-8"), Some(Lang::Sv));
        assert_eq!(Lang::parse("pt-BR"), None);
        assert_eq!(
            Lang::from_accept_language("pt-BR, de;q=0.8, ko;q=0.9"),
            Some(Lang::Ko)
        );
        assert_eq!(
            Lang::from_accept_language("fr-CH, fr;q=0.9, en;q=0.8"),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::from_accept_language("es"), None);
    }
}
