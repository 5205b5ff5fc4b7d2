//! Summaries as an aligned plain-text table, for people.

use crate::agents::Summary;

/// Column headings; the text columns (agent, stop) are left-aligned, the
/// numbers right-aligned.
const HEADINGS: [&str; 7] = [
    "agent",
    "steps",
    "stop",
    "end elevation (m)",
    "length",
    "descent (m)",
    "drop (m)",
];

/// Which columns hold text (left-aligned).
const TEXT_COLUMNS: [bool; 7] = [true, false, true, false, false, false, false];

/// Spaces between columns.
const GAP: &str = "  ";

/// An aligned plain-text table of `summaries`, one line per agent after a
/// heading line, every line ending in a newline.
///
/// Columns: agent, steps, stop reason, end elevation (metres, 1 decimal),
/// path length (metres below 1 km, else kilometres with 2 decimals, unit
/// shown), total descent and net drop (metres, 1 decimal).
pub fn summaries_table(summaries: &[Summary]) -> String {
    let rows: Vec<[String; 7]> = summaries
        .iter()
        .map(|s| {
            [
                s.agent.name().to_owned(),
                s.steps.to_string(),
                s.stop_reason.as_str().to_owned(),
                format!("{:.1}", s.end.elevation()),
                length(s.length_m),
                format!("{:.1}", s.descent_m),
                format!("{:.1}", s.drop_m),
            ]
        })
        .collect();
    let mut widths = HEADINGS.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headings = HEADINGS.map(str::to_owned);
    for row in std::iter::once(&headings).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .zip(TEXT_COLUMNS)
            .map(|((cell, w), text)| pad(cell, w, text))
            .collect();
        out.push_str(cells.join(GAP).trim_end());
        out.push('\n');
    }
    out
}

/// A ground length with its unit: `850 m`, `12.34 km`.
fn length(metres: f64) -> String {
    if metres.abs() < 1000.0 {
        format!("{metres:.0} m")
    } else {
        format!("{:.2} km", metres / 1000.0)
    }
}

/// `cell` padded with spaces to `width` characters, on the right for text.
fn pad(cell: &str, width: usize, text: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(cell.chars().count()));
    if text {
        format!("{cell}{fill}")
    } else {
        format!("{fill}{cell}")
    }
}
