//! A summit chosen by its place among a DEM's summits: the highest, or the
//! N-th most prominent.

use super::{Summit, DEFAULT_MIN_PROMINENCE_M};
use crate::error::{Error, Result};

/// A summit chosen among a DEM's summits rather than by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummitChoice {
    /// The highest summit (ties: the more prominent).
    Highest,
    /// The N-th most prominent summit, from 1, as [`Summit::rank`] numbers them.
    Rank(usize),
}

impl SummitChoice {
    /// The choice `name` spells (`highest`, any case, or `#N`), `None` for
    /// a plain peak name. A `#` without a rank of 1 or more is an
    /// [`Error::Invalid`] of the parameter `peak`.
    pub fn parse(name: &str) -> Result<Option<SummitChoice>> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("highest") {
            return Ok(Some(SummitChoice::Highest));
        }
        let Some(n) = name.strip_prefix('#') else {
            return Ok(None);
        };
        match n.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(SummitChoice::Rank(n))),
            _ => Err(Error::invalid(
                "peak",
                format!("'{name}'"),
                "after # give a summit's rank by prominence, 1 or more (see downhill peaks DEM)",
            )),
        }
    }

    /// The chosen summit among `summits` (most prominent first); an error
    /// when there is none.
    pub fn pick(self, summits: &[Summit]) -> Result<Summit> {
        let count = summits.len();
        let picked = match self {
            SummitChoice::Highest => summits.iter().min_by(|a, b| {
                b.summit
                    .elevation_m
                    .total_cmp(&a.summit.elevation_m)
                    .then(a.rank.cmp(&b.rank))
            }),
            SummitChoice::Rank(n) => summits.get(n.saturating_sub(1)),
        };
        picked.cloned().ok_or_else(|| match self {
            SummitChoice::Highest => {
                Error::BadStart("the elevation data holds no summit (every sample is void?)".into())
            }
            SummitChoice::Rank(n) => Error::invalid(
                "peak",
                format!("'#{n}'"),
                format!(
                    "the elevation data has {count} summits with at least \
                     {DEFAULT_MIN_PROMINENCE_M} m of prominence; choose '#1' to '#{count}' \
                     (downhill peaks DEM lists them)"
                ),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_and_ranks_are_recognised_and_names_are_not() {
        assert_eq!(
            SummitChoice::parse(" HIGHEST ").ok(),
            Some(Some(SummitChoice::Highest))
        );
        assert_eq!(
            SummitChoice::parse("# 3").ok(),
            Some(Some(SummitChoice::Rank(3)))
        );
        assert_eq!(SummitChoice::parse("Mount Leinster").ok(), Some(None));
    }

    #[test]
    fn a_rank_below_one_is_refused_as_the_peak_parameter() {
        for bad in ["#0", "#x", "#"] {
            match SummitChoice::parse(bad) {
                Err(Error::Invalid(e)) => {
                    assert_eq!(e.parameter, "peak");
                    assert_eq!(e.value, format!("'{bad}'"));
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn no_summit_to_pick_is_an_error_not_a_panic() {
        assert!(SummitChoice::Highest.pick(&[]).is_err());
        assert!(SummitChoice::Rank(1).pick(&[]).is_err());
        assert!(SummitChoice::Rank(0).pick(&[]).is_err());
    }
}
