//! Summaries as an aligned plain-text table, for people.

use crate::agents::Summary;

/// What the numbers of a table measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// Terrain: elevations and lengths in metres.
    Metres,
    /// An analytic surface: heights and lengths in the formula's own units.
    Formula,
}

/// Column headings on terrain; the text columns (agent, stop) are
/// left-aligned, the numbers right-aligned.
const HEADINGS: [&str; 7] = [
    "agent",
    "steps",
    "stop",
    "end elevation (m)",
    "length",
    "descent (m)",
    "drop (m)",
];

/// Column headings on an analytic surface (no unit: the formula's own).
const FORMULA_HEADINGS: [&str; 7] = [
    "agent", "steps", "stop", "end z", "length", "descent", "drop",
];

/// Which columns hold text (left-aligned).
const TEXT_COLUMNS: [bool; 7] = [true, false, true, false, false, false, false];

/// Spaces between columns.
const GAP: &str = "  ";

/// An aligned plain-text table of `summaries`, one line per agent after a
/// heading line, every line ending in a newline.
///
/// Columns: agent, steps, stop reason, end elevation, path length, total
/// descent and net drop. In [`Units::Metres`]: elevations and descents in
/// metres with 1 decimal, lengths in metres below 1 km, else kilometres
/// with 2 decimals, unit shown. In [`Units::Formula`]: plain numbers to 6
/// significant digits, no unit.
pub fn summaries_table(summaries: &[Summary], units: Units) -> String {
    let rows: Vec<[String; 7]> = summaries
        .iter()
        .map(|s| {
            let number = |v: f64| match units {
                Units::Metres => format!("{v:.1}"),
                Units::Formula => plain_number(v),
            };
            [
                s.agent.name().to_owned(),
                s.steps.to_string(),
                s.stop_reason.as_str().to_owned(),
                number(s.end.elevation()),
                match units {
                    Units::Metres => length(s.length_m),
                    Units::Formula => plain_number(s.length_m),
                },
                number(s.descent_m),
                number(s.drop_m),
            ]
        })
        .collect();
    let headings = match units {
        Units::Metres => HEADINGS,
        Units::Formula => FORMULA_HEADINGS,
    };
    let mut widths = headings.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headings = headings.map(str::to_owned);
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

/// `v` to 6 significant digits, without trailing zeros (`2.25`, `0.000125`),
/// or in exponent form outside 1e-4..1e7 (`1.5e-9`).
fn plain_number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let magnitude = v.abs();
    if magnitude != 0.0 && !(1e-4..1e7).contains(&magnitude) {
        let text = format!("{v:.5e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("{}e{exponent}", trim_zeros(mantissa));
    }
    significant(v, 6)
}

/// `v` as a plain decimal to `digits` significant digits, without the
/// zeros that would end its fraction (`2.25`, `0.032`, `85.71`, `4`).
pub fn significant(v: f64, digits: u32) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let decimals = if v == 0.0 {
        0
    } else {
        (digits as i32 - 1 - v.abs().log10().floor() as i32).max(0) as usize
    };
    let text = trim_zeros(&format!("{v:.decimals$}"));
    if text == "-0" {
        "0".to_owned()
    } else {
        text
    }
}

/// A decimal without the zeros (and point) that end its fraction.
fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text.to_owned()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AgentKind, Endpoint, StopReason};

    fn summary(agent: AgentKind, steps: usize, stop: StopReason, length_m: f64) -> Summary {
        let at = |elevation| Endpoint::Geo {
            lon: -6.78,
            lat: 52.6177,
            elevation,
        };
        Summary {
            agent,
            steps,
            stop_reason: stop,
            start: at(795.0),
            end: at(60.25),
            length_m,
            descent_m: 740.5,
            ascent_m: 5.75,
            drop_m: 734.75,
            alpha: 10.0,
            beta: 0.0,
            dt: None,
            friction: None,
        }
    }

    #[test]
    fn columns_line_up_and_lengths_carry_their_unit() {
        let table = summaries_table(
            &[
                summary(AgentKind::Gd, 7, StopReason::Converged, 850.0),
                summary(AgentKind::Momentum, 123_456, StopReason::MaxSteps, 12_340.0),
            ],
            Units::Metres,
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        for heading in HEADINGS {
            assert!(lines[0].contains(heading), "{heading} missing");
        }
        // Hand-formatted cells.
        assert!(lines[1].starts_with("gd ") && lines[1].contains("850 m"));
        assert!(lines[2].starts_with("momentum ") && lines[2].contains("12.34 km"));
        for line in &lines[1..] {
            assert!(line.contains("60.2") || line.contains("60.3"));
            assert!(line.contains("740.5") && line.ends_with("734.8"), "{line}");
        }
        // Right-aligned last column: every line ends at the same place;
        // left-aligned stop column: every reason starts under "stop".
        assert!(lines.iter().all(|l| l.len() == lines[0].len()));
        let stop_at = lines[0].find("stop").unwrap();
        assert_eq!(lines[1].find("converged"), Some(stop_at));
        assert_eq!(lines[2].find("max-steps"), Some(stop_at));
        // The steps column is right-aligned: 7 ends where 123456 ends.
        let steps_end = |l: &str, s: &str| l.find(s).map(|i| i + s.len());
        assert_eq!(steps_end(lines[1], " 7 "), steps_end(lines[2], "123456 "));
    }

    #[test]
    fn formula_tables_carry_no_metres_and_keep_small_numbers() {
        let table = summaries_table(
            &[summary(AgentKind::Gd, 7, StopReason::Converged, 0.000125)],
            Units::Formula,
        );
        let lines: Vec<&str> = table.lines().collect();
        assert!(!table.contains("(m)") && !table.contains(" m ") && !table.contains("km"));
        assert!(lines[0].contains("end z") && lines[0].contains("descent"));
        // 60.25, 0.000125, 740.5 and 734.75 to 6 significant digits, by hand.
        assert!(lines[1].contains(" 60.25 "), "{}", lines[1]);
        assert!(lines[1].contains(" 0.000125 "), "{}", lines[1]);
        assert!(lines[1].ends_with(" 740.5  734.75"), "{}", lines[1]);
    }

    #[test]
    fn plain_numbers_by_hand() {
        assert_eq!(plain_number(2.25), "2.25");
        assert_eq!(plain_number(0.0), "0");
        assert_eq!(plain_number(-0.0), "0");
        assert_eq!(plain_number(1.0 / 3.0), "0.333333");
        assert_eq!(plain_number(123456.7), "123457");
        assert_eq!(plain_number(-1.5e-9), "-1.5e-9");
        assert_eq!(plain_number(2.5e8), "2.5e8");
    }

    #[test]
    fn no_summaries_give_just_the_heading() {
        assert_eq!(summaries_table(&[], Units::Metres).lines().count(), 1);
    }
}
