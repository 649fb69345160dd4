//! The client's address behind a load balancer: with `proxy.trusted` naming the balancers, a
//! request that comes from one of them is taken to come from the last address of its
//! `X-Forwarded-For` that is not one of them. Everything that records or limits by address
//! (the audit log, refused enrollments, the sign-in throttle) reads it through
//! [`crate::agent::Remote`] and the agent's peer, which ask here.

use std::net::IpAddr;

use ipnet::IpNet;

/// The balancers whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct Trusted(Vec<IpNet>);

impl Trusted {
    /// Comma-separated addresses and CIDRs; empty trusts no one.
    pub fn parse(list: &str) -> Result<Trusted, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an address or CIDR"))
            })
            .collect::<Result<_, _>>()
            .map(Trusted)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client seen through an IPv6 socket is the IPv4 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client of a request that came from `peer` with these `X-Forwarded-For` values.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        // Right to left: each hop was added by the one after it; the first one not trusted
        // is the client (what is left of it, anyone could have written).
        for entry in forwarded.iter().rev().flat_map(|v| v.rsplit(',')) {
            let Ok(ip) = entry.trim().parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn only_trusted_balancers_are_believed() {
        let t = Trusted::parse("10.0.0.0/8, 127.0.0.1").expect("parse");
        // Not from a balancer: the header is ignored.
        assert_eq!(
            t.client(ip("198.51.100.9"), &["203.0.113.7"]),
            ip("198.51.100.9")
        );
        // From a balancer: the last address it did not add itself.
        assert_eq!(
            t.client(ip("10.1.2.3"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        // A client writing its own header cannot hide behind it.
        assert_eq!(
            t.client(ip("10.1.2.3"), &["1.2.3.4, 203.0.113.7, 10.9.9.9"]),
            ip("203.0.113.7")
        );
        assert_eq!(
            t.client(ip("127.0.0.1"), &["1.2.3.4", "203.0.113.7"]),
            ip("203.0.113.7")
        );
        // Garbage stops the walk at the last good hop.
        assert_eq!(t.client(ip("10.1.2.3"), &["nonsense"]), ip("10.1.2.3"));
        assert_eq!(
            t.client(ip("::ffff:10.1.2.3"), &["2001:db8::1"]),
            ip("2001:db8::1")
        );
        // Nobody trusted: nobody believed.
        let none = Trusted::parse("").expect("parse");
        assert_eq!(
            none.client(ip("10.1.2.3"), &["203.0.113.7"]),
            ip("10.1.2.3")
        );
        assert!(Trusted::parse("10.0.0.0/33").is_err());
        assert!(Trusted::parse("balancer.lan").is_err());
    }
}
