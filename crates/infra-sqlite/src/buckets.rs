//! Deep pages through bucket counts: a table that counts the rows of a list per run of keys (events per
//! range of positions, a discussion's comments per 64 numbers) tells which run holds the row at an offset,
//! so a page steps over at most one run instead of every row before it.
//!
//! The counts are added up here rather than with a window function in SQL: SQLite sorts a window's output
//! again for the outer query, which cost more than reading the few hundred small rows.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;

/// One bucket's key and how many rows it holds; the query must name its columns `bucket` and `count`.
#[derive(QueryableByName, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BucketCount {
    #[diesel(sql_type = BigInt)]
    pub bucket: i64,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// The bucket holding the row at `offset` (counting from 0), and how many rows come before that bucket,
/// given every bucket's count in key order. `None` when the offset is past the last row.
pub(crate) fn locate(counts: &[BucketCount], offset: i64) -> Option<(i64, i64)> {
    let mut before = 0;
    for bucket in counts {
        if before + bucket.count > offset {
            return Some((bucket.bucket, before));
        }
        before += bucket.count;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(i64, i64)]) -> Vec<BucketCount> {
        pairs
            .iter()
            .map(|&(bucket, count)| BucketCount { bucket, count })
            .collect()
    }

    #[test]
    fn finds_the_bucket_holding_each_offset() {
        let counts = counts(&[(0, 3), (2, 1), (7, 4)]);
        let found: Vec<_> = (0..9).map(|offset| locate(&counts, offset)).collect();
        assert_eq!(
            found,
            [
                Some((0, 0)),
                Some((0, 0)),
                Some((0, 0)),
                Some((2, 3)),
                Some((7, 4)),
                Some((7, 4)),
                Some((7, 4)),
                Some((7, 4)),
                None
            ]
        );
    }

    #[test]
    fn empty_buckets_are_stepped_over_and_no_buckets_hold_nothing() {
        assert_eq!(locate(&counts(&[(0, 0), (1, 0), (5, 2)]), 1), Some((5, 0)));
        assert_eq!(locate(&[], 0), None);
    }
}
