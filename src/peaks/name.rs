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

#[cfg(test)]
mod tests {
    use super::normalise;

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
