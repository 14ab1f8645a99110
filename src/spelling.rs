//! Did you mean: the nearest of a set of words to one that is not in it, for suggestions in diagnostics.

/// The Levenshtein distance of two texts, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate nearest to `word`, ignoring case, when it is a likely slip: at most a third of the word's
/// length away (and at least one edit), the first of equals winning.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let most = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= most)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_words_are_suggested_and_far_ones_are_not() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let kinds = ["on_demand", "provisioned"];
        assert_eq!(nearest("provisoned", kinds), Some("provisioned"));
        assert_eq!(nearest("ON_DEMAND", kinds), Some("on_demand"));
        assert_eq!(nearest("fixed", kinds), None);
        assert_eq!(nearest("PS3O5", ["PS301", "PS305"]), Some("PS305"));
    }
}
