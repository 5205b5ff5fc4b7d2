//! An 8-bit sRGB colour.

use std::str::FromStr;

/// An 8-bit sRGB colour, written and parsed as `#rrggbb` (as in CSS,
/// GeoJSON styling and the viewer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb {
    /// Red, 0..=255.
    pub r: u8,
    /// Green, 0..=255.
    pub g: u8,
    /// Blue, 0..=255.
    pub b: u8,
}

impl Rgb {
    /// The colour from its three 8-bit channels.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Rgb { r, g, b }
    }

    /// The channels as `[r, g, b]`.
    pub const fn to_array(self) -> [u8; 3] {
        [self.r, self.g, self.b]
    }

    /// The colour of three channels in 0..=1, each scaled by 255 and
    /// truncated (values outside 0..=1 are clamped).
    pub fn from_unit([r, g, b]: [f64; 3]) -> Self {
        let q = |v: f64| (v.clamp(0.0, 1.0) * 255.0) as u8;
        Rgb::new(q(r), q(g), q(b))
    }

    /// `#rrggbb`, lower-case hex.
    pub fn hex(self) -> String {
        self.to_string()
    }
}

impl std::fmt::Display for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// Why a string is not an `#rrggbb` colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseRgbError(String);

impl std::fmt::Display for ParseRgbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} is not a colour: expected # and six hex digits, like #1f77b4",
            self.0
        )
    }
}

impl std::error::Error for ParseRgbError {}

impl FromStr for Rgb {
    type Err = ParseRgbError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseRgbError(s.to_string());
        let digits = s.strip_prefix('#').ok_or_else(bad)?;
        if digits.len() != 6 || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let channel = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| bad());
        Ok(Rgb::new(channel(0)?, channel(2)?, channel(4)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_hand() {
        assert_eq!("#1f77b4".parse(), Ok(Rgb::new(0x1f, 0x77, 0xb4)));
        assert_eq!("#D62728".parse(), Ok(Rgb::new(214, 39, 40)));
        assert_eq!("#000000".parse(), Ok(Rgb::new(0, 0, 0)));
        assert_eq!("#ffffff".parse(), Ok(Rgb::new(255, 255, 255)));
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(Rgb::new(214, 39, 40).to_string(), "#d62728");
        assert_eq!(Rgb::new(0, 10, 255).hex(), "#000aff");
        for c in [
            Rgb::new(1, 2, 3),
            Rgb::new(255, 0, 128),
            Rgb::new(0x9a, 0xbc, 0xde),
        ] {
            assert_eq!(c.to_string().parse::<Rgb>(), Ok(c));
        }
    }

    #[test]
    fn rejects_bad_strings() {
        for bad in [
            "", "#", "1f77b4", "#1f77b", "#1f77b4a", "#1g77b4", "# 1f77b", "#+f77b4", "#é77b4",
        ] {
            assert!(bad.parse::<Rgb>().is_err(), "{bad:?} parsed");
        }
        let e = "blue".parse::<Rgb>().unwrap_err().to_string();
        assert!(e.contains("\"blue\"") && e.contains("#1f77b4"), "{e}");
    }

    #[test]
    fn from_unit_truncates_and_clamps() {
        assert_eq!(Rgb::from_unit([1.0, 0.0, 0.5]), Rgb::new(255, 0, 127));
        assert_eq!(
            Rgb::from_unit([2.0, -1.0, f64::NAN]).to_array()[..2],
            [255, 0]
        );
    }
}
