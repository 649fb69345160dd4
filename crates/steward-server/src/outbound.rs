//! Requests the server makes to addresses operators give it (webhook and chat channels, vendor
//! feeds). They may reach only public addresses: loopback, private, link-local (cloud
//! metadata at 169.254.169.254), shared and other special ranges are refused unless
//! `outbound.allow` names them (CIDRs or host names). Names are checked when they are
//! resolved, and the connection goes to exactly the addresses checked, so DNS cannot swap in
//! another; literal addresses and every redirect are checked before they are followed. A
//! refused target is never connected to, so the error says nothing about which ports are open.
//! Every response is read under the request's timeout and up to a size cap.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Error bodies are read this far at most (they end up in a delivery's error text).
pub const ERROR_BODY_CAP: usize = 4096;

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// What `outbound.allow` names.
#[derive(Debug, Clone, Default)]
pub struct Allow {
    nets: Vec<IpNet>,
    hosts: Vec<String>,
}

impl Allow {
    /// `"10.1.0.0/16, 127.0.0.1, hooks.internal"`.
    pub fn parse(list: &str) -> Result<Allow, String> {
        let mut allow = Allow::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Ok(net) = item.parse::<IpNet>() {
                allow.nets.push(net);
            } else if let Ok(ip) = item.parse::<IpAddr>() {
                allow.nets.push(IpNet::from(ip));
            } else if item
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                allow
                    .hosts
                    .push(item.trim_end_matches('.').to_ascii_lowercase());
            } else {
                return Err(format!("{item:?} is neither a CIDR nor a host name"));
            }
        }
        Ok(allow)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Whether the server may connect to `ip`.
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.nets.iter().any(|n| n.contains(&ip))
    }
}

/// Whether an address is an ordinary public one (not loopback, private, link-local, shared,
/// multicast, documentation or otherwise reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_v4(v4);
            }
            let s = v6.segments();
            let o = v6.octets();
            // NAT64 (64:ff9b::/96) and IPv4-compatible (::/96) addresses reach the IPv4
            // address they embed in the last four bytes.
            if matches!(
                s,
                [0x64, 0xff9b, 0, 0, 0, 0, _, _] | [0, 0, 0, 0, 0, 0, _, _]
            ) {
                return !v6.is_loopback()
                    && !v6.is_unspecified()
                    && public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            // 6to4 (2002::/16) embeds it in bytes 2 to 5.
            if s[0] == 0x2002 {
                return public_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
            }
            !(v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside sites)
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 (64:ff9b:1::/48)
                || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
        }
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared (carrier-grade NAT)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking
        || o[0] >= 240)
}

fn refusal(host: &str) -> String {
    format!(
        "refused: {host} is a loopback, private or link-local address (allow it with outbound.allow)"
    )
}

/// Checks a URL before any request: http or https, and a literal address must be allowed.
pub fn check_url(allow: &Allow, url: &Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("refused: {} is not http or https", url.scheme()));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(d)) => {
            // Names that mean this machine whatever DNS says.
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if (d == "localhost" || d.ends_with(".localhost")) && !allow.host_allowed(&d) {
                return Err(refusal(&d));
            }
            return Ok(());
        }
        None => return Err("refused: the address has no host".into()),
    };
    if allow.ip_allowed(ip) {
        Ok(())
    } else {
        Err(refusal(&ip.to_string()))
    }
}

/// Resolves names and keeps only the addresses that may be reached.
struct GuardedResolver {
    allow: Arc<Allow>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let named = allow.host_allowed(&host);
            let ok: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| named || allow.ip_allowed(a.ip()))
                .collect();
            if ok.is_empty() {
                return Err(refusal(&host).into());
            }
            let addrs: Addrs = Box::new(ok.into_iter());
            Ok(addrs)
        })
    }
}

/// The server's one client for outbound requests.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow: Arc<Allow>,
    /// `outbound.enabled`.
    enabled: bool,
    /// Largest body read from a successful response.
    pub max_body: usize,
}

impl Outbound {
    pub fn new(allow: Allow, timeout: Duration, max_body: u64, enabled: bool) -> Outbound {
        let allow = Arc::new(allow);
        let redirects = allow.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error("too many redirects");
            }
            match check_url(&redirects, attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(policy)
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .user_agent(concat!("Steward/", env!("CARGO_PKG_VERSION")))
            .build();
        // A client without the guarded resolver must never be used: without a client,
        // outbound requests are refused as if turned off.
        let (client, enabled) = match client {
            Ok(c) => (c, enabled),
            Err(e) => {
                tracing::error!(error = %describe(&e), "no outbound HTTP client; outbound requests refused");
                (reqwest::Client::default(), false)
            }
        };
        Outbound {
            client,
            allow,
            enabled,
            max_body: usize::try_from(max_body).unwrap_or(usize::MAX),
        }
    }

    pub fn allow(&self) -> &Allow {
        &self.allow
    }

    /// Whether `url` may be a target at all (checked when a channel or feed is saved).
    pub fn check(&self, url: &str) -> Result<Url, String> {
        let url = Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        check_url(&self.allow, &url)?;
        Ok(url)
    }

    /// The check made before every request: outbound requests on, and the target allowed.
    fn before_sending(&self, url: &str) -> Result<Url, String> {
        if !self.enabled {
            return Err("refused: outbound requests are off (outbound.enabled)".into());
        }
        self.check(url)
    }

    /// A GET whose body (of a 2xx answer) is read up to `max_body`.
    pub async fn get(&self, url: &str) -> Result<Bytes, String> {
        let url = self.before_sending(url)?;
        let resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        read_capped(resp, self.max_body, Over::Fail).await
    }

    /// A POST of `body` with `headers`; an answer other than 2xx is an error carrying the
    /// start of its body.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> Result<(), String> {
        let url = self.before_sending(url)?;
        let mut req = self.client.post(url).body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.map_err(|e| describe(&e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let start = read_capped(resp, ERROR_BODY_CAP, Over::Cut)
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&start);
        let text: String = text.chars().take(200).collect();
        Err(format!("HTTP {}: {text}", status.as_u16()))
    }
}

/// What to do with a body longer than the cap.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Over {
    /// Refuse it: the whole body was wanted.
    Fail,
    /// Keep its start (an error reply, quoted in a delivery log).
    Cut,
}

/// The body of `resp`, at most `cap` bytes; the rest is never read.
async fn read_capped(mut resp: reqwest::Response, cap: usize, over: Over) -> Result<Bytes, String> {
    let too_long = || format!("response larger than {cap} bytes");
    if over == Over::Fail && resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_long());
    }
    let mut out = BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        let room = cap - out.len();
        if chunk.len() > room {
            if over == Over::Fail {
                return Err(too_long());
            }
            out.extend_from_slice(chunk.get(..room).unwrap_or_default());
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// An error with its causes, as one line.
pub fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s = format!("{s}: {inner}");
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn special_addresses_are_refused_unless_allowed() {
        let none = Allow::default();
        for bad in [
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:8080/",
            "http://2130706433/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1]/",
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "http://172.16.0.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[::a9fe:a9fe]/",
            "http://[::]/",
            "http://[2002:a00:1::1]/",
            "http://[2002:7f00:1::]/",
            "http://[64:ff9b:1::8.8.8.8]/",
            "http://[fec0::1]/",
            "http://localhost:9000/",
            "http://api.localhost/",
            "file:///etc/passwd",
            "gopher://example.org/",
        ] {
            assert!(check_url(&none, &url(bad)).is_err(), "{bad}");
        }
        for good in [
            "https://hooks.slack.com/services/x",
            "http://93.184.215.14/",
            "http://[2606:4700::1111]/",
            "http://[2002:5db8:d70e::1]/",
            "http://[64:ff9b::5db8:d70e]/",
        ] {
            assert_eq!(check_url(&none, &url(good)), Ok(()), "{good}");
        }
        let allow = Allow::parse("127.0.0.0/8, ::1, hooks.lan").expect("parse");
        assert_eq!(check_url(&allow, &url("http://127.0.0.1:9/")), Ok(()));
        assert_eq!(check_url(&allow, &url("http://[::1]:9/")), Ok(()));
        assert!(check_url(&allow, &url("http://10.0.0.1/")).is_err());
        assert!(allow.host_allowed("HOOKS.LAN."));
        assert!(Allow::parse("10.0.0.0/8, not a host!").is_err());
    }
}
