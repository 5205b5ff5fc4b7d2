//! Folding peak names so that lookups ignore case, accents and punctuation.

/// The comparison key of a name: ASCII (accents folded), lower case, words
/// separated by single spaces, punctuation dropped, and the abbreviations
/// `Mt`/`Mt.` read as "mount", `Mte` as "monte", `Pk` as "peak".
///
/// ```
/// assert_eq!(downhill::peaks::normalise("  Mt. Férion "), "mount ferion");
/// ```
pub fn normalise(name: &str) -> String {
    let ascii = deunicode::deunicode(name).to_lowercase();
    let words: Vec<String> = ascii
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
        .map(|w| w.replace('\'', ""))
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| match (i, w.as_str()) {
            (0, "mt") => "mount".to_string(),
            (0, "mte") => "monte".to_string(),
            (_, "pk") => "peak".to_string(),
            _ => w.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A directory name for a peak (or any start label): NFKC-normalised
/// first (so full-width letters and dots, `․`, `‥` and their kin become
/// plain ASCII), then transliterated to ASCII, lower case, with runs of
/// anything but letters, digits and inner dots turned into single `-`.
///
/// The result is never empty, never `.` or `..`, never starts with a dot
/// (no hidden directories) and never holds a path separator: names that
/// would be are replaced by `peak`, and the slug is at most
/// [`MAX_SLUG_CHARS`] characters.
///
/// ```
/// use downhill::peaks::slug;
/// assert_eq!(slug("Mount Leinster"), "mount-leinster");
/// assert_eq!(slug(".."), "peak");
/// assert_eq!(slug("\u{2025}"), "peak"); // ‥ TWO DOT LEADER
/// ```
pub fn slug(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name.nfkc().collect();
    let ascii = deunicode::deunicode(&folded).to_lowercase();
    let mapped: String = ascii
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let joined = mapped
        .split('-')
        .map(|part| part.trim_matches('.'))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let cut: String = joined.chars().take(MAX_SLUG_CHARS).collect();
    let cut = cut.trim_matches(|c| c == '-' || c == '.');
    if cut.is_empty() || cut.chars().all(|c| c == '.') {
        "peak".to_string()
    } else {
        cut.to_string()
    }
}

/// The longest slug [`slug`] returns, characters.
pub const MAX_SLUG_CHARS: usize = 80;

#[cfg(test)]
mod tests {
    use super::{normalise, slug, MAX_SLUG_CHARS};

    #[test]
    fn slugs_never_leave_their_directory_whatever_the_unicode() {
        // Dots in every disguise: ASCII, full-width (U+FF0E), one dot
        // leader (U+2024), two dot leader (U+2025), ellipsis (U+2026).
        for name in [
            "",
            ".",
            "..",
            "...",
            "\u{FF0E}\u{FF0E}",
            "\u{2024}\u{2024}",
            "\u{2025}",
            "\u{2026}",
            " .. ",
            "/",
            "../..",
            "\u{FF0F}",
            "-",
            ".-.",
            "\u{0000}",
        ] {
            let s = slug(name);
            assert!(!s.is_empty() && s != "." && s != "..", "{name:?} -> {s:?}");
            assert!(!s.starts_with('.') && !s.contains('/'), "{name:?} -> {s:?}");
            assert_eq!(
                std::path::Path::new(&s).components().count(),
                1,
                "{name:?} -> {s:?}"
            );
        }
        assert_eq!(slug("Mont Férion"), "mont-ferion");
        assert_eq!(slug("Ｍｏｕｎｔ　Ｌｅｉｎｓｔｅｒ"), "mount-leinster");
        assert_eq!(slug("St. Kevin's .. Peak"), "st-kevin-s-peak");
        assert_eq!(slug("Pic 2.5"), "pic-2.5");
        assert!(slug(&"x".repeat(500)).len() <= MAX_SLUG_CHARS);
    }

    #[test]
    fn case_accents_punctuation_and_abbreviations_fold() {
        assert_eq!(normalise("MOUNT  leinster"), normalise("Mount Leinster"));
        assert_eq!(normalise("Mt Leinster"), "mount leinster");
        assert_eq!(normalise("Mont Férion"), "mont ferion");
        assert_eq!(normalise("Pic de l'Ours"), "pic de lours");
        assert_eq!(normalise("Mte Toraggio"), "monte toraggio");
        assert_eq!(normalise("Croagh-Patrick!"), "croagh patrick");
        assert_ne!(
            normalise("Mount Leinster"),
            normalise("Mount Leinster West")
        );
    }
}
