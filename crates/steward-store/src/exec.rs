//! Statements written once and run on either path to the database: through sqlx (either
//! backend, one hand-off to its worker per statement) or on a SQLite connection reached
//! directly ([`crate::native`], inside one blocking call). A batch of state-changing
//! check-ins is decided and written through [`Exec`] (`writer::apply_checkin`,
//! `writer::write_checkins`, and the alert and history statements under them), so the
//! direct path writes a check-in's alerts in the same blocking call as its row, with the
//! sqlx path's own code; so are a fleet job's rows whose firing rules move
//! (`policies::write_evaluations`) and the notifier's reads and decisions
//! (`notify::gather`, `notify::decide_group`).
//!
//! The direct implementation never waits: its futures finish on their first poll, and the
//! blocking call drives them with [`futures::executor::block_on`].

use std::borrow::Cow;

use sqlx::{Any, Row, Transaction};

use crate::{Backend, Result};

/// A value bound to a statement, as sqlx and SQLite reached directly both take it.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    Text(Option<Cow<'a, str>>),
    Int(Option<i64>),
}

impl<'a> Arg<'a> {
    pub(crate) fn text(s: &'a str) -> Arg<'a> {
        Arg::Text(Some(Cow::Borrowed(s)))
    }

    pub(crate) fn owned(s: String) -> Arg<'a> {
        Arg::Text(Some(Cow::Owned(s)))
    }

    pub(crate) fn int(i: i64) -> Arg<'a> {
        Arg::Int(Some(i))
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Arg::Text(Some(t)) => Ok(rusqlite::types::ToSqlOutput::Borrowed(
                rusqlite::types::ValueRef::Text(t.as_bytes()),
            )),
            Arg::Int(Some(i)) => i.to_sql(),
            Arg::Text(None) | Arg::Int(None) => Ok(rusqlite::types::ToSqlOutput::Owned(
                rusqlite::types::Value::Null,
            )),
        }
    }
}

/// `sql` with `args` bound, for sqlx.
fn query<'q>(
    sql: &'q str,
    args: &'q [Arg<'_>],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match a {
            Arg::Text(t) => q.bind(t.as_deref()),
            Arg::Int(i) => q.bind(*i),
        };
    }
    q
}

/// How a column read through [`Exec::rows`] is decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Text,
    Int,
}

/// A column's value read through [`Exec::rows`] (`None` for SQL's `NULL`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Text(Option<String>),
    Int(Option<i64>),
}

impl Val {
    pub(crate) fn text(self) -> Result<String> {
        match self {
            Val::Text(Some(t)) => Ok(t),
            other => Err(crate::StoreError::Native(format!("not text: {other:?}"))),
        }
    }

    pub(crate) fn opt_text(self) -> Result<Option<String>> {
        match self {
            Val::Text(t) => Ok(t),
            other => Err(crate::StoreError::Native(format!("not text: {other:?}"))),
        }
    }

    pub(crate) fn int(self) -> Result<Option<i64>> {
        match self {
            Val::Int(i) => Ok(i),
            other => Err(crate::StoreError::Native(format!(
                "not a number: {other:?}"
            ))),
        }
    }
}

/// A transaction that runs statements, on either path (see the module's documentation).
pub(crate) trait Exec {
    fn backend(&self) -> Backend;

    /// Runs a statement; how many rows it changed.
    async fn run(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64>;

    /// The rows of a statement, each column decoded as `kinds` says.
    async fn rows(&mut self, sql: &str, args: &[Arg<'_>], kinds: &[Kind]) -> Result<Vec<Vec<Val>>>;

    /// The integer in the first column of a statement's first row (`None` without a row, or
    /// for `NULL`).
    async fn int(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<i64>> {
        match self.rows(sql, args, &[Kind::Int]).await?.into_iter().next() {
            Some(row) => first(row)?.int(),
            None => Ok(None),
        }
    }
}

/// The first column of a row read through [`Exec::rows`].
pub(crate) fn first(row: Vec<Val>) -> Result<Val> {
    row.into_iter()
        .next()
        .ok_or_else(|| crate::StoreError::Native("a row without columns".into()))
}

impl Exec for Transaction<'_, Any> {
    fn backend(&self) -> Backend {
        Backend::of(self)
    }

    async fn run(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        any_run(self, sql, args).await
    }

    async fn rows(&mut self, sql: &str, args: &[Arg<'_>], kinds: &[Kind]) -> Result<Vec<Vec<Val>>> {
        any_rows(self, sql, args, kinds).await
    }
}

/// A connection of a pool, outside any transaction (reads on the read pool).
impl Exec for sqlx::pool::PoolConnection<Any> {
    fn backend(&self) -> Backend {
        Backend::named(self.backend_name())
    }

    async fn run(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        any_run(self, sql, args).await
    }

    async fn rows(&mut self, sql: &str, args: &[Arg<'_>], kinds: &[Kind]) -> Result<Vec<Vec<Val>>> {
        any_rows(self, sql, args, kinds).await
    }
}

async fn any_run(conn: &mut sqlx::AnyConnection, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
    Ok(query(sql, args).execute(conn).await?.rows_affected())
}

async fn any_rows(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    args: &[Arg<'_>],
    kinds: &[Kind],
) -> Result<Vec<Vec<Val>>> {
    let rows = query(sql, args).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            kinds
                .iter()
                .enumerate()
                .map(|(i, kind)| {
                    Ok(match kind {
                        Kind::Text => Val::Text(r.try_get(i)?),
                        Kind::Int => Val::Int(r.try_get(i)?),
                    })
                })
                .collect()
        })
        .collect()
}

/// The statement as SQLite reached directly reads it: each placeholder `$n` (a `$` before a
/// digit) as `?n`. sqlx maps `$n` to its `n`-th value by the parameter's name; SQLite itself
/// numbers named parameters by first use. A `$` before anything else is left as written.
fn numbered(sql: &str) -> Cow<'_, str> {
    let bytes = sql.as_bytes();
    let placeholder =
        |i: usize| bytes[i] == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
    if !(0..bytes.len()).any(placeholder) {
        return Cow::Borrowed(sql);
    }
    Cow::Owned(
        sql.char_indices()
            .map(|(i, c)| if placeholder(i) { '?' } else { c })
            .collect(),
    )
}

impl Exec for rusqlite::Transaction<'_> {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn run(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let n = self
            .prepare_cached(&numbered(sql))?
            .execute(rusqlite::params_from_iter(args))?;
        Ok(n as u64)
    }

    async fn rows(&mut self, sql: &str, args: &[Arg<'_>], kinds: &[Kind]) -> Result<Vec<Vec<Val>>> {
        let mut stmt = self.prepare_cached(&numbered(sql))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(kinds.len());
            for (i, kind) in kinds.iter().enumerate() {
                row.push(match kind {
                    Kind::Text => Val::Text(r.get(i)?),
                    Kind::Int => Val::Int(r.get(i)?),
                });
            }
            out.push(row);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_placeholders_are_numbered_for_sqlite() {
        assert_eq!(
            super::numbered("UPDATE t SET a = $2, b = '$.x' WHERE id = $1 AND c LIKE '%$'"),
            "UPDATE t SET a = ?2, b = '$.x' WHERE id = ?1 AND c LIKE '%$'"
        );
        assert!(matches!(
            super::numbered("SELECT ? FROM t"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
