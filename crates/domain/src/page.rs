//! Pagination: which slice of a list a client wants, and the slice with the total it came from.

use crate::error::ValidationErrors;

/// A validated `skip`/`limit` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    skip: u64,
    limit: u32,
}

impl PageRequest {
    /// How many items a page holds when the client does not say.
    pub const DEFAULT_LIMIT: u32 = 10;
    /// The most items one page may hold.
    pub const MAX_LIMIT: u32 = 100;

    /// `skip >= 0`, `1 <= limit <= 100`; both fields are reported when both are wrong.
    pub fn new(skip: Option<i64>, limit: Option<i64>) -> Result<Self, ValidationErrors> {
        Self::with_default_limit(skip, limit, Self::DEFAULT_LIMIT)
    }

    /// As [`new`](Self::new) with another default for an absent `limit`.
    pub fn with_default_limit(
        skip: Option<i64>,
        limit: Option<i64>,
        default_limit: u32,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let skip = skip.unwrap_or(0);
        let limit = limit.unwrap_or(i64::from(default_limit));
        if skip < 0 {
            errors.push("skip", "must be greater than or equal to 0");
        }
        if !(1..=i64::from(Self::MAX_LIMIT)).contains(&limit) {
            errors.push("limit", format!("must be between 1 and {}", Self::MAX_LIMIT));
        }
        if errors.is_empty() {
            Ok(Self {
                skip: skip.unsigned_abs(),
                limit: limit.unsigned_abs() as u32,
            })
        } else {
            Err(errors)
        }
    }

    /// The first `limit` items (at least one), for a use case that answers more than a client's page at
    /// once (a calendar feed): [`MAX_LIMIT`](Self::MAX_LIMIT) bounds what clients ask for, not this.
    pub fn first(limit: u32) -> Self {
        Self {
            skip: 0,
            limit: limit.max(1),
        }
    }

    /// How many items of the ordered list come before the page.
    pub fn skip(&self) -> u64 {
        self.skip
    }

    /// The most items the page holds: `1..=MAX_LIMIT`.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The page as an SQL `OFFSET` and `LIMIT` (a skip past `i64::MAX` is clamped: nothing is there).
    pub fn offset_and_limit(&self) -> (i64, i64) {
        (
            i64::try_from(self.skip).unwrap_or(i64::MAX),
            i64::from(self.limit),
        )
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            skip: 0,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// One page of a list, and how many items the whole list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of the slice asked for, in the list's order; empty past the end.
    pub items: Vec<T>,
    /// How many items the whole list holds, whatever the slice.
    pub total: u64,
}

impl<T> Page<T> {
    /// The same page with each item converted; the total is kept.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_first_ten() {
        let page = PageRequest::new(None, None).unwrap();
        assert_eq!((page.skip(), page.limit()), (0, 10));
    }

    #[test]
    fn accepts_the_bounds() {
        let page = PageRequest::new(Some(0), Some(100)).unwrap();
        assert_eq!(page.limit(), 100);
        assert_eq!(PageRequest::new(Some(5), Some(1)).unwrap().skip(), 5);
    }

    #[test]
    fn rejects_out_of_range_values_field_by_field() {
        for limit in [0, 101, -1] {
            let errors = PageRequest::new(None, Some(limit)).unwrap_err();
            assert_eq!(errors.0.len(), 1);
            assert_eq!(errors.0[0].field, "limit");
        }
        let errors = PageRequest::new(Some(-1), Some(0)).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["skip", "limit"]);
    }
}
