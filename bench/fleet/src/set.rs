//! Sets of workload clusters, so that the generator can prove, before writing anything, that
//! every reference lands wherever its user lands (the invariant `topoc check` enforces).

/// A bit set over workload-cluster indexes. The management cluster is never a member: nothing
/// the generator writes is placed there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSet {
    words: Vec<u64>,
}

impl ClusterSet {
    pub fn empty(n: usize) -> Self {
        ClusterSet {
            words: vec![0; n.div_ceil(64)],
        }
    }

    pub fn from_indexes(n: usize, indexes: impl IntoIterator<Item = usize>) -> Self {
        let mut set = Self::empty(n);
        for i in indexes {
            set.insert(i);
        }
        set
    }

    pub fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    pub fn contains(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    pub fn is_subset(&self, other: &ClusterSet) -> bool {
        self.words
            .iter()
            .zip(&other.words)
            .all(|(a, b)| a & !b == 0)
    }

    pub fn intersection(&self, other: &ClusterSet) -> ClusterSet {
        ClusterSet {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & b)
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// Members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.words.len() * 64).filter(|&i| self.contains(i))
    }
}

#[cfg(test)]
mod tests {
    use super::ClusterSet;

    #[test]
    fn subset_and_intersection() {
        let a = ClusterSet::from_indexes(100, [1, 70]);
        let b = ClusterSet::from_indexes(100, [1, 2, 70, 99]);
        assert!(a.is_subset(&b));
        assert!(!b.is_subset(&a));
        assert_eq!(b.intersection(&a), a);
        assert_eq!(b.len(), 4);
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![1, 2, 70, 99]);
    }
}
