//! Library errors in the command line's words: a structured
//! [`downhill::InvalidParameter`] names the library's parameter; the
//! user typed a flag, so the message names the flag.

use downhill::{Error, InvalidParameter};

/// The flag that sets the library parameter `parameter`, if the CLI has one.
///
/// Add a row when a library function starts returning
/// [`Error::invalid`] for a new parameter; the fallback prints the
/// library's name, which is still understandable.
pub fn flag_for(parameter: &str) -> Option<&'static str> {
    Some(match parameter {
        "alpha" => "--alpha",
        "beta" => "--beta",
        "dt" => "--dt",
        "friction" => "--friction",
        "patience" => "--patience",
        "stop_below" => "--stop-below",
        "bbox" => "--bbox",
        "max_steps" => "--max-steps",
        "tolerance" => "--tolerance",
        "snap_radius_m" => "--snap",
        "stride" => "--stride",
        "resolution" => "--resolution",
        "min_slope" => "--min-slope",
        "max_cells" => "--max-cells",
        "sea_level_m" => "--sea-level",
        "origin" => "--origin",
        "start" => "--at",
        "min_prominence_m" => "--min-prominence",
        "extent" => "--extent",
        "peak" => "--peak",
        "formula" => "--surface",
        "max_total_steps" => "--max-total-steps",
        "block" => "--block",
        "agent" => "--agent",
        "azimuth_deg" => "--azimuth",
        "altitude_deg" => "--altitude",
        "z_factor" => "--z-factor",
        _ => return None,
    })
}

/// The one-line message of `error` as the CLI prints it.
pub fn message(error: &anyhow::Error) -> String {
    let text = match error.downcast_ref::<Error>() {
        Some(Error::Invalid(invalid)) => in_flags(invalid),
        Some(Error::Refused { path, refusal }) => format!(
            "{}: {}",
            path.display(),
            refusal.in_words("choose another --out", "pass --force to replace it")
        ),
        _ => format!("{error:#}"),
    };
    text.replace('\n', " ")
}

fn in_flags(invalid: &InvalidParameter) -> String {
    match flag_for(invalid.parameter) {
        Some(flag) => invalid.render_as(flag),
        None => invalid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_parameter_is_named_by_its_flag() {
        let e = anyhow::Error::new(Error::invalid("alpha", -1.0, "must be positive"));
        assert_eq!(message(&e), "--alpha -1: must be positive");
    }

    #[test]
    fn a_formula_is_named_by_the_flag_that_gave_it_in_the_old_words() {
        let e = anyhow::Error::new(Error::invalid(
            "formula",
            "'x + t'",
            "unknown variable 't'; the formula may use only x and y",
        ));
        assert_eq!(
            message(&e),
            "--surface 'x + t': unknown variable 't'; the formula may use only x and y"
        );
    }

    #[test]
    fn an_unknown_parameter_keeps_the_library_name() {
        let e = anyhow::Error::new(Error::invalid("widget_count", 0, "must be at least 1"));
        assert_eq!(message(&e), "widget_count = 0: must be at least 1");
    }

    #[test]
    fn a_refused_output_names_the_out_and_force_flags() {
        let e = anyhow::Error::new(Error::Refused {
            path: "run/notes.txt".into(),
            refusal: downhill::Refusal::NotOurs,
        });
        assert_eq!(
            message(&e),
            "run/notes.txt: already exists and was not written by downhill; \
             pass --force to replace it, or choose another --out"
        );
        let library = Error::Refused {
            path: "run".into(),
            refusal: downhill::Refusal::NotADirectory,
        };
        assert!(!library.to_string().contains("--"), "{library}");
    }
}
