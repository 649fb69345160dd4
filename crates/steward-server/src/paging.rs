//! `?limit=&cursor=` for every list, as the API contract says: `limit` from 1 to 1000
//! (default 50), `cursor` the opaque `next_cursor` of the previous page.
//!
//! Lists the server holds whole (users, channels, rules, tokens …; tens to thousands of rows)
//! are ordered by a unique key and cut here: a cursor names the last key shown, so a page
//! never repeats or skips an item when others are added or removed meanwhile. Ranked results
//! (search) page by position instead.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use steward_proto::{ErrorCode, Page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};

use crate::error::ApiError;

/// The paging part of a list's query string.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PageQuery {
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A parsed page request.
#[derive(Debug, Clone)]
pub struct Paging {
    pub limit: usize,
    /// The key (or position) after which the page starts.
    pub after: Option<String>,
}

/// Which way a list runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Smallest key first.
    Asc,
    /// Largest key first (newest first, for time-ordered ids).
    Desc,
}

impl Paging {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Paging, ApiError> {
        let limit = match limit {
            None => DEFAULT_PAGE_LIMIT,
            Some(l) => l
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_LIMIT).contains(n))
                .ok_or(ApiError(ErrorCode::InvalidQuery))?,
        };
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or(ApiError(ErrorCode::InvalidCursor))?,
            ),
        };
        Ok(Paging {
            limit: limit as usize,
            after,
        })
    }

    pub fn from_query(q: &PageQuery) -> Result<Paging, ApiError> {
        Paging::parse(q.limit.as_deref(), q.cursor.as_deref())
    }

    /// The largest page from the start (what console pages show).
    pub fn first(limit: u32) -> Paging {
        Paging {
            limit: limit.clamp(1, MAX_PAGE_LIMIT) as usize,
            after: None,
        }
    }

    /// Orders `items` by `key` and cuts the page after the cursor's key.
    pub fn page<T>(&self, mut items: Vec<T>, order: Order, key: impl Fn(&T) -> String) -> Page<T> {
        let total = items.len() as u64;
        items.sort_by_key(|a| key(a));
        if order == Order::Desc {
            items.reverse();
        }
        let start = match &self.after {
            None => 0,
            Some(after) => items
                .iter()
                .position(|i| match order {
                    Order::Asc => key(i).as_str() > after.as_str(),
                    Order::Desc => key(i).as_str() < after.as_str(),
                })
                .unwrap_or(items.len()),
        };
        let mut rest: Vec<T> = items.into_iter().skip(start).collect();
        let next_cursor = if rest.len() > self.limit {
            rest.truncate(self.limit);
            rest.last().map(|l| encode(&key(l)))
        } else {
            None
        };
        Page {
            items: rest,
            next_cursor,
            total: Some(total),
        }
    }

    /// Cuts a ranked list (search results) by position.
    pub fn page_ranked<T>(&self, items: Vec<T>) -> Result<Page<T>, ApiError> {
        let total = items.len() as u64;
        let start = match &self.after {
            None => 0,
            Some(a) => a
                .parse::<usize>()
                .map_err(|_| ApiError(ErrorCode::InvalidCursor))?,
        };
        let mut rest: Vec<T> = items.into_iter().skip(start).collect();
        let next_cursor = if rest.len() > self.limit {
            rest.truncate(self.limit);
            Some(encode(&(start + self.limit).to_string()))
        } else {
            None
        };
        Ok(Page {
            items: rest,
            next_cursor,
            total: Some(total),
        })
    }
}

/// A cursor for `key`.
pub fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// The extractor: a handler's `Pages(p)` is its parsed `?limit=&cursor=`.
pub struct Pages(pub Paging);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Pages {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        let q: PageQuery = serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
            .map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
        Ok(Pages(Paging::from_query(&q)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_keys_and_survive_changes() {
        let items: Vec<u32> = (0..25).collect();
        let key = |i: &u32| format!("{i:04}");
        let p = Paging::parse(Some("10"), None).expect("parse");
        let first = p.page(items.clone(), Order::Asc, key);
        assert_eq!(first.items, (0..10).collect::<Vec<_>>());
        assert_eq!(first.total, Some(25));
        let next = Paging::parse(Some("10"), first.next_cursor.as_deref()).expect("parse");
        // Item 3 (already shown) and item 12 are removed meanwhile: nothing repeats or skips.
        let changed: Vec<u32> = items
            .iter()
            .copied()
            .filter(|i| *i != 3 && *i != 12)
            .collect();
        let second = next.page(changed.clone(), Order::Asc, key);
        assert_eq!(second.items, [10, 11, 13, 14, 15, 16, 17, 18, 19, 20]);
        let third = Paging::parse(Some("10"), second.next_cursor.as_deref())
            .expect("parse")
            .page(changed, Order::Asc, key);
        assert_eq!(third.items, [21, 22, 23, 24]);
        assert_eq!(third.next_cursor, None);
        let newest = Paging::parse(Some("2"), None)
            .expect("parse")
            .page(items, Order::Desc, key);
        assert_eq!(newest.items, [24, 23]);
    }

    #[test]
    fn bad_limits_and_cursors_are_refused() {
        for bad in ["0", "1001", "-1", "ten"] {
            assert_eq!(
                Paging::parse(Some(bad), None).map(|_| ()),
                Err(ApiError(ErrorCode::InvalidQuery)),
                "{bad}"
            );
        }
        assert_eq!(
            Paging::parse(None, Some("!!")).map(|_| ()),
            Err(ApiError(ErrorCode::InvalidCursor))
        );
        let ranked = Paging::parse(Some("2"), None)
            .expect("parse")
            .page_ranked(vec!['a', 'b', 'c'])
            .expect("page");
        assert_eq!(ranked.items, ['a', 'b']);
        let rest = Paging::parse(Some("2"), ranked.next_cursor.as_deref())
            .expect("parse")
            .page_ranked(vec!['a', 'b', 'c'])
            .expect("page");
        assert_eq!(rest.items, ['c']);
    }
}
