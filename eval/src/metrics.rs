//! Agreement between a scorer's scores and the labels.
//!
//! Scores are integers 1..=10, so ties are common and every figure here handles them:
//! ranks are averaged (Spearman), τ is τ-b, and NDCG gives each position of a group of
//! tied scores the group's average gain (McSherry & Najork, 2008), so neither the order
//! of the file nor luck decides how a tie is broken.

/// The label at which a posting is worth the user's time; the band the figures look at.
pub const GOOD: u8 = 7;

/// Pearson correlation of the average ranks. `None` when either side is constant.
pub fn spearman(labels: &[f64], scores: &[f64]) -> Option<f64> {
    pearson(&ranks(labels), &ranks(scores))
}

/// Kendall's τ-b. `None` when either side is constant.
pub fn kendall(labels: &[f64], scores: &[f64]) -> Option<f64> {
    let (mut concordant, mut discordant, mut tied_l, mut tied_s) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..labels.len() {
        for j in i + 1..labels.len() {
            let dl = labels[i] - labels[j];
            let ds = scores[i] - scores[j];
            match (dl == 0.0, ds == 0.0) {
                (true, true) => {}
                (true, false) => tied_l += 1,
                (false, true) => tied_s += 1,
                (false, false) if (dl > 0.0) == (ds > 0.0) => concordant += 1,
                (false, false) => discordant += 1,
            }
        }
    }
    let n_l = (concordant + discordant + tied_s) as f64;
    let n_s = (concordant + discordant + tied_l) as f64;
    let denominator = (n_l * n_s).sqrt();
    (denominator > 0.0).then(|| (concordant - discordant) as f64 / denominator)
}

/// NDCG at `k` of the ranking by score, gain `2^label - 1`, ties averaged.
pub fn ndcg_at(k: usize, labels: &[f64], scores: &[f64]) -> Option<f64> {
    let gain = |label: f64| 2f64.powf(label) - 1.0;
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut dcg = 0.0;
    let mut position = 0;
    let mut start = 0;
    while start < order.len() && position < k {
        let end = (start..order.len())
            .find(|&i| scores[order[i]] != scores[order[start]])
            .unwrap_or(order.len());
        let group = &order[start..end];
        let average = group.iter().map(|&i| gain(labels[i])).sum::<f64>() / group.len() as f64;
        for _ in group {
            if position < k {
                dcg += average / ((position + 2) as f64).log2();
                position += 1;
            }
        }
        start = end;
    }
    let mut ideal: Vec<f64> = labels.iter().map(|&l| gain(l)).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| g / ((i + 2) as f64).log2())
        .sum();
    (idcg > 0.0).then(|| dcg / idcg)
}

/// Counts of the ≥ [`GOOD`] band: scored good and labelled good, scored good, labelled good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Band {
    pub hits: usize,
    pub scored: usize,
    pub labelled: usize,
}

impl Band {
    pub fn of(labels: &[f64], scores: &[f64]) -> Self {
        let good = |v: f64| v >= f64::from(GOOD);
        let mut band = Self::default();
        for (&l, &s) in labels.iter().zip(scores) {
            band.hits += usize::from(good(l) && good(s));
            band.scored += usize::from(good(s));
            band.labelled += usize::from(good(l));
        }
        band
    }

    pub fn add(&mut self, other: Band) {
        self.hits += other.hits;
        self.scored += other.scored;
        self.labelled += other.labelled;
    }

    /// `None` when nothing was scored good (no precision to speak of).
    pub fn precision(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.hits as f64 / self.scored as f64)
    }

    pub fn recall(&self) -> Option<f64> {
        (self.labelled > 0).then(|| self.hits as f64 / self.labelled as f64)
    }
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let end = (start..order.len())
            .find(|&i| values[order[i]] != values[order[start]])
            .unwrap_or(order.len());
        // Ranks start + 1 ..= end share their average.
        let average = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = average;
        }
        start = end;
    }
    ranks
}

fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    if x.len() < 2 {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn perfect_and_reversed_orders() {
        let labels = [1.0, 2.0, 3.0, 4.0];
        assert!(close(spearman(&labels, &[10.0, 20.0, 30.0, 40.0]), 1.0));
        assert!(close(spearman(&labels, &[4.0, 3.0, 2.0, 1.0]), -1.0));
        assert!(close(kendall(&labels, &[1.0, 2.0, 3.0, 4.0]), 1.0));
        assert!(close(kendall(&labels, &[4.0, 3.0, 2.0, 1.0]), -1.0));
        assert!(close(ndcg_at(10, &labels, &labels), 1.0));
        assert_eq!(spearman(&labels, &[5.0; 4]), None);
        assert_eq!(kendall(&labels, &[5.0; 4]), None);
    }

    #[test]
    fn ties_are_averaged_not_broken_by_position() {
        // Known values (scipy.stats.spearmanr / kendalltau with ties).
        let labels = [1.0, 2.0, 3.0, 4.0, 5.0];
        let scores = [1.0, 1.0, 2.0, 2.0, 3.0];
        assert!(close(spearman(&labels, &scores), 0.9486832980505138));
        assert!(close(kendall(&labels, &scores), 0.8944271909999159));
        // A constant scorer: every order is as likely, so NDCG is the average gain's.
        let flat = ndcg_at(2, &[3.0, 1.0], &[5.0, 5.0]).unwrap();
        let expected = 4.0 * (1.0 + 1.0 / 3f64.log2()) / (7.0 + 1.0 / 3f64.log2());
        assert!((flat - expected).abs() < 1e-9, "{flat} vs {expected}");
        // The same ranking in any file order gives the same figure.
        assert_eq!(
            ndcg_at(1, &[9.0, 2.0], &[5.0, 5.0]),
            ndcg_at(1, &[2.0, 9.0], &[5.0, 5.0])
        );
    }

    #[test]
    fn ndcg_prefers_the_good_ones_on_top() {
        let labels = [9.0, 1.0, 5.0];
        let good = ndcg_at(2, &labels, &[8.0, 1.0, 4.0]).unwrap();
        let bad = ndcg_at(2, &labels, &[1.0, 8.0, 4.0]).unwrap();
        assert!(close(Some(good), 1.0));
        assert!(bad < 0.2, "{bad}");
    }

    #[test]
    fn band_counts_precision_and_recall() {
        let band = Band::of(&[9.0, 8.0, 3.0, 7.0], &[7.0, 2.0, 8.0, 10.0]);
        assert_eq!(
            band,
            Band {
                hits: 2,
                scored: 3,
                labelled: 3
            }
        );
        assert!(close(band.precision(), 2.0 / 3.0));
        assert!(close(band.recall(), 2.0 / 3.0));
        assert_eq!(Band::default().precision(), None);
    }
}
