//! Throttling of failed authentication, kept in memory.
//!
//! Sign-ins are counted per (account, address) and per address: after
//! `auth.lockout_after` failures for one account from one address, that pair waits a delay
//! that doubles with every further failure (1 s, 2 s, 4 s … up to `auth.lockout_secs`); an
//! address that fails against many accounts waits likewise after four times as many failures.
//! A throttled attempt is answered `429 too_many_attempts` with `Retry-After` whether the
//! account exists or not, and the account stays open from every other address, so nobody can
//! keep a known administrator out. Counts fade after `auth.lockout_secs` without a failure.
//!
//! Unknown API tokens are counted per address too: past twenty times `auth.lockout_after`
//! (delays of at most a minute) that address's unknown tokens are answered `429` and no longer
//! audited one by one, so a flood cannot fill the audit log. A valid token always works, so
//! the other clients behind the same address are spared. Session cookies are not counted: a
//! failing one is almost always a stale tab.
//!
//! Addresses are IPv4 addresses or IPv6 /64 networks (one host usually holds a whole /64);
//! the count of an address trying many accounts covers its IPv6 /48.
//! The table holds at most [`MAX_ENTRIES`] keys; when it is full the least recently failing
//! half is forgotten.
//!
//! Replicas: each server keeps its own table, so with N replicas behind a balancer an
//! attacker gets at most N times the attempts before the delays start; the delays still grow
//! on every replica.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Keys kept at most.
pub const MAX_ENTRIES: usize = 100_000;

/// The longest wait for an address that presented unknown API tokens.
const CREDENTIAL_MAX_DELAY_MS: i64 = 60_000;

/// What is being counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account { account: String, address: String },
    SignInAddress(String),
    Credential(String),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_ms: i64,
    blocked_until_ms: i64,
}

/// A refusal: how many seconds to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub secs: u64,
}

pub struct Throttle {
    entries: Mutex<HashMap<Key, Entry>>,
    /// Failures allowed before the first delay (per account and address).
    after: u32,
    /// The longest delay, and how long counts last without a failure.
    max_ms: i64,
}

/// The part of an address that identifies a client: the IPv4 address, or the IPv6 /64.
pub fn client_key(remote: &str) -> String {
    match remote.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => remote.to_string(),
    }
}

/// The network an address-wide count covers: the IPv4 address, or the IPv6 /48 (a site; one
/// holder of a /48 has 65,536 /64s to spread a flood over).
pub fn network_key(remote: &str) -> String {
    match remote.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        _ => client_key(remote),
    }
}

impl Throttle {
    pub fn new(after: u32, max_secs: u32) -> Throttle {
        Throttle {
            entries: Mutex::new(HashMap::new()),
            after: after.max(1),
            max_ms: i64::from(max_secs.max(1)) * 1000,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait_in(&self, map: &HashMap<Key, Entry>, keys: &[Key], now: i64) -> Result<(), Wait> {
        let until = keys
            .iter()
            .filter_map(|k| map.get(k))
            .filter(|e| now - e.last_ms < self.max_ms)
            .map(|e| e.blocked_until_ms)
            .max()
            .unwrap_or(0);
        if until > now {
            Err(Wait {
                secs: ((until - now + 999) / 1000) as u64,
            })
        } else {
            Ok(())
        }
    }

    fn fail_in(
        &self,
        map: &mut HashMap<Key, Entry>,
        key: Key,
        allowed: u32,
        max_delay_ms: i64,
        now: i64,
    ) {
        if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
            forget_oldest_half(map);
        }
        let e = map.entry(key).or_insert(Entry {
            failures: 0,
            last_ms: now,
            blocked_until_ms: 0,
        });
        if now - e.last_ms >= self.max_ms {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last_ms = now;
        if e.failures >= allowed {
            let doublings = (e.failures - allowed).min(30);
            let delay = (1000i64 << doublings).min(max_delay_ms);
            e.blocked_until_ms = now + delay;
        }
    }

    fn sign_in_keys(account: &str, remote: &str) -> [Key; 2] {
        [
            Key::Account {
                account: account.to_string(),
                address: client_key(remote),
            },
            Key::SignInAddress(network_key(remote)),
        ]
    }

    /// A sign-in for `account` from `remote` may be checked now: it is counted as a failure
    /// at once (in the same step as the check, so a burst cannot slip past it, and a client
    /// that hangs up before the answer is counted too), undone by [`Throttle::sign_in_succeeded`].
    pub fn begin_sign_in(&self, account: &str, remote: &str, now: i64) -> Result<(), Wait> {
        let [pair, address] = Self::sign_in_keys(account, remote);
        let mut map = self.lock();
        self.wait_in(&map, &[pair.clone(), address.clone()], now)?;
        self.fail_in(&mut map, pair, self.after, self.max_ms, now);
        self.fail_in(
            &mut map,
            address,
            self.after.saturating_mul(4),
            self.max_ms,
            now,
        );
        Ok(())
    }

    /// The sign-in begun was right: that pair's failures are forgotten and the address's
    /// count loses the attempt.
    pub fn sign_in_succeeded(&self, account: &str, remote: &str) {
        let [pair, address] = Self::sign_in_keys(account, remote);
        let mut map = self.lock();
        map.remove(&pair);
        if let Some(e) = map.get_mut(&address) {
            e.failures = e.failures.saturating_sub(1);
            if e.failures < self.after.saturating_mul(4) {
                e.blocked_until_ms = 0;
            }
        }
    }

    /// Whether `remote` is waiting after unknown API tokens.
    pub fn check_credential(&self, remote: &str, now: i64) -> Result<(), Wait> {
        let map = self.lock();
        self.wait_in(&map, &[Key::Credential(client_key(remote))], now)
    }

    /// A token that matched nothing.
    pub fn credential_failed(&self, remote: &str, now: i64) {
        let mut map = self.lock();
        self.fail_in(
            &mut map,
            Key::Credential(client_key(remote)),
            self.after.saturating_mul(20),
            CREDENTIAL_MAX_DELAY_MS.min(self.max_ms),
            now,
        );
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn forget_oldest_half(map: &mut HashMap<Key, Entry>) {
    let mut lasts: Vec<i64> = map.values().map(|e| e.last_ms).collect();
    let mid = lasts.len() / 2;
    let (_, cut, _) = lasts.select_nth_unstable(mid);
    let cut = *cut;
    map.retain(|_, e| e.last_ms > cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn delays_grow_per_pair_and_leave_other_addresses_alone() {
        let t = Throttle::new(5, 900);
        for i in 0..5 {
            assert_eq!(t.begin_sign_in("admin@x", "10.0.0.9", T0 + i), Ok(()));
        }
        assert_eq!(
            t.begin_sign_in("admin@x", "10.0.0.9", T0 + 10),
            Err(Wait { secs: 1 }),
            "the sixth try waits"
        );
        assert_eq!(
            t.begin_sign_in("admin@x", "192.0.2.1", T0 + 10),
            Ok(()),
            "the administrator signs in from elsewhere"
        );
        t.sign_in_succeeded("admin@x", "192.0.2.1");
        assert_eq!(t.begin_sign_in("admin@x", "10.0.0.9", T0 + 1500), Ok(()));
        assert_eq!(
            t.begin_sign_in("admin@x", "10.0.0.9", T0 + 1600),
            Err(Wait { secs: 2 }),
            "each further failure doubles the wait"
        );
        // Trying again as soon as allowed: the waits double up to lockout_secs and stay there.
        let (mut now, mut longest) = (T0 + 1600, 0);
        for _ in 0..40 {
            match t.begin_sign_in("admin@x", "10.0.0.9", now) {
                Ok(()) => now += 1,
                Err(w) => {
                    longest = longest.max(w.secs);
                    now += w.secs as i64 * 1000;
                }
            }
        }
        assert_eq!(longest, 900, "capped at lockout_secs");
    }

    #[test]
    fn a_burst_cannot_slip_past_and_success_forgets() {
        let t = Throttle::new(5, 900);
        // 40 tries at the same instant: only the first five go through.
        let through = (0..40)
            .filter(|_| t.begin_sign_in("carol@x", "10.0.0.5", T0).is_ok())
            .count();
        assert_eq!(through, 5);
        let t = Throttle::new(5, 900);
        for _ in 0..4 {
            assert_eq!(t.begin_sign_in("dan@x", "10.0.0.6", T0), Ok(()));
        }
        assert_eq!(t.begin_sign_in("dan@x", "10.0.0.6", T0), Ok(()));
        t.sign_in_succeeded("dan@x", "10.0.0.6");
        assert_eq!(
            t.begin_sign_in("dan@x", "10.0.0.6", T0),
            Ok(()),
            "forgotten"
        );
    }

    #[test]
    fn an_address_trying_many_accounts_is_slowed_down() {
        let t = Throttle::new(5, 900);
        for i in 0..20 {
            assert_eq!(t.begin_sign_in(&format!("u{i}@x"), "10.0.0.7", T0), Ok(()));
        }
        assert!(t.begin_sign_in("new@x", "10.0.0.7", T0).is_err());
        assert_eq!(t.begin_sign_in("new@x", "10.0.0.8", T0), Ok(()));
        // An IPv6 site is one address-wide count, whichever /64 the tries come from.
        for i in 0..20 {
            let from = format!("2001:db8:1:{i:x}::1");
            assert_eq!(t.begin_sign_in(&format!("v{i}@x"), &from, T0), Ok(()));
        }
        assert!(t.begin_sign_in("w@x", "2001:db8:1:ff::1", T0).is_err());
    }

    #[test]
    fn ipv6_counts_per_network_and_the_table_stays_bounded() {
        assert_eq!(client_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(client_key("::ffff:192.0.2.4"), "192.0.2.4");
        let t = Throttle::new(5, 900);
        assert_eq!(network_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1::/48");
        for i in 0..(MAX_ENTRIES as i64 + 10) {
            t.credential_failed(
                &format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
                T0 + i,
            );
        }
        assert!(t.len() <= MAX_ENTRIES);
    }
}
