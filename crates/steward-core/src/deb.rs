//! Reading a Debian package's control fields (name, version, architecture) from its bytes:
//! an `ar` archive whose `control.tar` (plain, gzip or xz) holds `./control`.

use std::io::Read;

/// What an uploaded package says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub package: String,
    pub version: String,
    pub architecture: String,
}

/// Largest control archive read (a control file is a few kilobytes).
const MAX_CONTROL: u64 = 4 << 20;

/// The control fields of a `.deb`, or what is wrong with it.
pub fn control(data: &[u8]) -> Result<Control, &'static str> {
    let mut archive = ar::Archive::new(data);
    let mut saw_debian_binary = false;
    while let Some(entry) = archive.next_entry() {
        let mut entry = entry.map_err(|_| "not a Debian package")?;
        let name = String::from_utf8_lossy(entry.header().identifier()).to_string();
        if name == "debian-binary" {
            let mut v = String::new();
            entry
                .by_ref()
                .take(16)
                .read_to_string(&mut v)
                .map_err(|_| "not a Debian package")?;
            if !v.starts_with("2.") {
                return Err("unsupported package format");
            }
            saw_debian_binary = true;
            continue;
        }
        if !name.starts_with("control.tar") {
            continue;
        }
        if !saw_debian_binary {
            return Err("not a Debian package");
        }
        let mut raw = Vec::new();
        entry
            .by_ref()
            .take(MAX_CONTROL)
            .read_to_end(&mut raw)
            .map_err(|_| "unreadable control archive")?;
        let tar_bytes = match name.as_str() {
            "control.tar" => raw,
            "control.tar.gz" => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .take(MAX_CONTROL)
                    .read_to_end(&mut out)
                    .map_err(|_| "unreadable control archive")?;
                out
            }
            "control.tar.xz" => {
                let mut out = Bounded(Vec::new());
                lzma_rs::xz_decompress(&mut &raw[..], &mut out)
                    .map_err(|_| "unreadable control archive")?;
                out.0
            }
            _ => return Err("unsupported control compression (use gzip or xz)"),
        };
        let mut tar = tar::Archive::new(&tar_bytes[..]);
        for file in tar.entries().map_err(|_| "unreadable control archive")? {
            let mut file = file.map_err(|_| "unreadable control archive")?;
            let path = file
                .path()
                .map(|p| p.to_string_lossy().to_string())
                .unwrap_or_default();
            if path == "./control" || path == "control" {
                let mut text = String::new();
                file.by_ref()
                    .take(1 << 20)
                    .read_to_string(&mut text)
                    .map_err(|_| "unreadable control file")?;
                return parse_control(&text);
            }
        }
        return Err("the package has no control file");
    }
    Err("not a Debian package")
}

/// A buffer that refuses to grow past [`MAX_CONTROL`] (a decompression bomb stops there).
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() as u64 + buf.len() as u64 > MAX_CONTROL {
            return Err(std::io::Error::other("control archive too large"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn parse_control(text: &str) -> Result<Control, &'static str> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .filter(|v| !v.is_empty())
    };
    let package = field("Package").ok_or("the control file names no package")?;
    let version = field("Version").ok_or("the control file gives no version")?;
    let architecture = field("Architecture").unwrap_or_else(|| "all".into());
    let valid_name = package.len() <= 200
        && package
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
    if !valid_name
        || version.len() > 100
        || version.contains(char::is_whitespace)
        || architecture.len() > 32
    {
        return Err("the control file's fields are not valid");
    }
    Ok(Control {
        package,
        version,
        architecture,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_fields_are_read_and_garbage_is_refused() {
        let c = parse_control(
            "Package: vpn-client\nVersion: 7.2.1-1\nArchitecture: amd64\nDescription: x\n",
        )
        .unwrap();
        assert_eq!(c.package, "vpn-client");
        assert_eq!(c.version, "7.2.1-1");
        assert_eq!(c.architecture, "amd64");
        assert!(parse_control("Version: 1\n").is_err());
        assert!(parse_control("Package: Bad Name\nVersion: 1\n").is_err());
        assert!(control(b"not an archive").is_err());
        assert!(control(b"!<arch>\n").is_err());
    }
}
