//! A report as PDF, made in-process: each section's figures (value, change against the
//! previous period) and a chart of its first figure by day. Text is set in one font that
//! covers the five languages (Noto Sans CJK as Debian ships it, or `[reports] font_file`);
//! only the glyphs used are embedded.
//!
//! The font file is read once per process and kept (it never changes while the server runs).

use std::sync::{Arc, OnceLock};

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use steward_core::i18n::Zone;
use steward_core::Lang;

use crate::reports::{change_text, value_text, Report};

/// Fonts looked for when `[reports] font_file` is empty, best first.
pub const FONT_CANDIDATES: [&str; 4] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
];

/// The font file's path and bytes, or why there is none.
type Loaded = Result<(String, Arc<Vec<u8>>), String>;

static FONT: OnceLock<Loaded> = OnceLock::new();

fn font_bytes(configured: &str) -> Loaded {
    FONT.get_or_init(|| {
        let paths: Vec<&str> = if configured.is_empty() {
            FONT_CANDIDATES.to_vec()
        } else {
            vec![configured]
        };
        for p in &paths {
            if let Ok(data) = std::fs::read(p) {
                return Ok((p.to_string(), Arc::new(data)));
            }
        }
        Err(format!(
            "no font for reports: set [reports] font_file, or install fonts-noto-cjk (looked at {})",
            paths.join(", ")
        ))
    })
    .clone()
}

/// The face of a font file for a language: Noto's CJK collection holds Japanese, Korean,
/// Simplified and Traditional Chinese faces in that order.
fn face(path: &str, lang: Lang) -> u32 {
    if path.ends_with(".ttc") && path.contains("CJK") && lang == Lang::Ko {
        1
    } else {
        0
    }
}

const W: f32 = 595.0;
const H: f32 = 842.0;
const LEFT: f32 = 40.0;
const BOTTOM: f32 = 800.0;

struct Writer<'s, 'a> {
    font: &'s Font,
    surface: &'s mut Surface<'a>,
}

impl Writer<'_, '_> {
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str, grey: bool) {
        let shade = if grey { 90 } else { 0 };
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(shade, shade, shade).into(),
            ..Default::default()
        }));
        self.surface.draw_text(
            Point::from_xy(x, y),
            self.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    /// A line chart of `values` (unknown days left as gaps) in the box at (x, y, w, h).
    fn chart(&mut self, x: f32, y: f32, w: f32, h: f32, values: &[Option<i64>]) {
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(200, 200, 200).into(),
            width: 0.5,
            ..Default::default()
        }));
        let mut frame = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(x, y, w, h) {
            frame.push_rect(r);
        }
        if let Some(p) = frame.finish() {
            self.surface.draw_path(&p);
        }
        let max = values.iter().flatten().copied().max().unwrap_or(0).max(1) as f32;
        let step = if values.len() > 1 {
            w / (values.len() - 1) as f32
        } else {
            0.0
        };
        self.surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(9, 105, 218).into(),
            width: 1.2,
            ..Default::default()
        }));
        let mut line = PathBuilder::new();
        let mut open = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let px = x + i as f32 * step;
                    let py = y + h - (*v as f32 / max) * (h - 4.0) - 2.0;
                    if open {
                        line.line_to(px, py);
                    } else {
                        line.move_to(px, py);
                        open = true;
                    }
                }
                None => open = false,
            }
        }
        if let Some(p) = line.finish() {
            self.surface.draw_path(&p);
        }
        self.surface.set_stroke(None);
    }
}

/// Cuts `text` to at most `max` characters (on a character boundary).
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The PDF of `report`, titled `name`, made at `now` (shown in `zone`).
pub fn report(
    font_file: &str,
    report: &Report,
    name: &str,
    zone: Zone,
    now: i64,
) -> Result<Vec<u8>, String> {
    let (path, data) = font_bytes(font_file)?;
    let lang = report.lang;
    let font = Font::new(data.into(), face(&path, lang)).ok_or("the font file cannot be read")?;
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(name.to_string())
            .language(lang.code().to_string())
            .creator("Steward".to_string()),
    );
    let t = |key: &str| steward_core::t(lang, key);
    // Lines of the whole report, laid out page by page.
    enum Line {
        Heading(String),
        Row(String, String, String),
        Chart(Vec<Option<i64>>),
        Note(String),
    }
    let mut lines = vec![
        Line::Note(report.period_text()),
        Line::Note(report.compared_text()),
    ];
    for sec in &report.sections {
        lines.push(Line::Heading(sec.title.clone()));
        if sec.figures.is_empty() {
            lines.push(Line::Note(t("report-no-figures")));
            continue;
        }
        lines.push(Line::Row(
            t("report-figure"),
            t("report-value"),
            t("report-change"),
        ));
        for f in &sec.figures {
            lines.push(Line::Row(
                f.label.clone(),
                value_text(lang, f.unit, f.trend.value),
                change_text(lang, f.unit, &f.trend),
            ));
        }
        if let Some(f) = sec.figures.first() {
            lines.push(Line::Note(f.label.clone()));
            lines.push(Line::Chart(f.trend.days.clone()));
        }
    }
    lines.push(Line::Note(steward_core::t_args(
        lang,
        "report-made-at",
        &[("time", zone.time(lang, now))],
    )));
    let mut rest = lines.into_iter().peekable();
    let mut first = true;
    while rest.peek().is_some() {
        let settings = PageSettings::from_wh(W, H).ok_or("page size")?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        let mut w = Writer {
            font: &font,
            surface: &mut surface,
        };
        let mut y = 50.0;
        if first {
            w.text(LEFT, y, 18.0, &fit(name, 50), false);
            y += 26.0;
            first = false;
        }
        while let Some(line) = rest.peek() {
            let needs = match line {
                Line::Heading(_) => 30.0,
                Line::Chart(_) => 70.0,
                _ => 16.0,
            };
            if y + needs > BOTTOM {
                break;
            }
            match rest.next() {
                Some(Line::Heading(s)) => {
                    y += 14.0;
                    w.text(LEFT, y, 13.0, &fit(&s, 60), false);
                    y += 16.0;
                }
                Some(Line::Row(a, b, c)) => {
                    w.text(LEFT, y, 9.5, &fit(&a, 62), false);
                    w.text(400.0, y, 9.5, &b, false);
                    w.text(480.0, y, 9.5, &c, false);
                    y += 14.0;
                }
                Some(Line::Chart(values)) => {
                    w.chart(LEFT, y, W - 2.0 * LEFT, 56.0, &values);
                    y += 66.0;
                }
                Some(Line::Note(s)) => {
                    w.text(LEFT, y, 9.0, &fit(&s, 100), true);
                    y += 14.0;
                }
                None => break,
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| format!("{e:?}"))
}
