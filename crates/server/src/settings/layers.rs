//! The machinery behind the settings table: the `settings_group!` macro that turns one row per
//! setting into a field, its default, its names and its reader; the readers (with the messages a
//! bad value gets); and how a value is shown by `--print-config`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use vps_ingest::MediaAllowlist;

use super::{Secret, Storage};
use crate::api_key::ApiKey;

pub(super) const MIB: u64 = 1024 * 1024;
pub(super) const GIB: u64 = 1024 * MIB;

/// A setting's names: its TOML key, and its environment variables (ours first, then the
/// reference's, read only when ours is unset).
#[derive(Debug, Clone, Copy)]
pub(super) struct Key {
    pub(super) name: &'static str,
    pub(super) env: &'static [&'static str],
}

/// A group of settings, as the `settings_group!` macro writes it.
pub(super) trait Group {
    /// Every key of the group (and of its nested groups), in the order they are shown.
    fn keys(out: &mut Vec<Key>);
    /// Sets `key` from its text: `None` when the key is not one of this group's.
    fn set(&mut self, key: &str, value: &str) -> Option<Result<(), String>>;
    /// Every setting as `--print-config` shows it (`None`: left out).
    fn show(&self, out: &mut Vec<(&'static str, Option<toml::Value>)>);
}

/// Declares a group of settings, one row each:
///
/// ```text
/// /// What it does (the field's documentation).
/// field_name: Type = default, env ["OUR_NAME", "REFERENCE_ALIAS"], read reader;
/// ```
///
/// The TOML key is the field's name; `reader` is a function or closure `&str -> Result<Type,
/// String>` (the error is the message after the setting's source). An optional `groups { … }`
/// block nests other groups (their keys stay flat in the file and the environment).
macro_rules! settings_group {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident: $ty:ty = $default:expr, env [$($env:literal),+ $(,)?], read $read:expr;
            )*
        }
        $(groups {
            $(
                $(#[doc = $gdoc:literal])*
                $group:ident: $gty:ty,
            )*
        })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
            $($( $(#[doc = $gdoc])* pub $group: $gty, )*)?
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $( $field: $default, )*
                    $($( $group: <$gty>::default(), )*)?
                }
            }
        }

        impl $crate::settings::layers::Group for $name {
            fn keys(out: &mut Vec<$crate::settings::layers::Key>) {
                $( out.push($crate::settings::layers::Key { name: stringify!($field), env: &[$($env),+] }); )*
                $($( <$gty as $crate::settings::layers::Group>::keys(out); )*)?
            }

            fn set(&mut self, key: &str, value: &str) -> Option<Result<(), String>> {
                match key {
                    $( stringify!($field) => Some($crate::settings::layers::read(value, $read).map(|v| self.$field = v)), )*
                    _ => {
                        $($( if let Some(done) = $crate::settings::layers::Group::set(&mut self.$group, key, value) {
                            return Some(done);
                        } )*)?
                        None
                    }
                }
            }

            fn show(&self, out: &mut Vec<(&'static str, Option<toml::Value>)>) {
                $( out.push((stringify!($field), $crate::settings::layers::Show::show(&self.$field))); )*
                $($( $crate::settings::layers::Group::show(&self.$group, out); )*)?
            }
        }
    };
}

/// Declares the keys of a group defined elsewhere (its fields, documentation and defaults are
/// its own): `key => field, env [...], read reader;`.
macro_rules! settings_of {
    (
        impl Group for $name:ty {
            $( $key:ident => $field:ident, env [$($env:literal),+ $(,)?], read $read:expr; )*
        }
    ) => {
        impl $crate::settings::layers::Group for $name {
            fn keys(out: &mut Vec<$crate::settings::layers::Key>) {
                $( out.push($crate::settings::layers::Key { name: stringify!($key), env: &[$($env),+] }); )*
            }

            fn set(&mut self, key: &str, value: &str) -> Option<Result<(), String>> {
                match key {
                    $( stringify!($key) => Some($crate::settings::layers::read(value, $read).map(|v| self.$field = v)), )*
                    _ => None,
                }
            }

            fn show(&self, out: &mut Vec<(&'static str, Option<toml::Value>)>) {
                $( out.push((stringify!($key), $crate::settings::layers::Show::show(&self.$field))); )*
            }
        }
    };
}

/// Calls a row's reader (so that a closure's argument type is known).
pub(super) fn read<T>(value: &str, reader: impl FnOnce(&str) -> Result<T, String>) -> Result<T, String> {
    reader(value)
}

// The readers. Their messages follow the setting's source: "environment variable PORT: …".

pub(super) fn text(value: &str) -> Result<String, String> {
    Ok(value.to_owned())
}

pub(super) fn path(value: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(value))
}

pub(super) fn number(value: &str) -> Result<u64, String> {
    value.parse::<u64>().map_err(|_| format!("`{value}` is not a whole number"))
}

pub(super) fn size(value: &str) -> Result<u64, String> {
    parse_size(value).ok_or_else(|| format!("`{value}` is not a size (bytes, or 10kb, 50mb, 1gb)"))
}

pub(super) fn flag(value: &str) -> Result<bool, String> {
    parse_bool(value).ok_or_else(|| format!("`{value}` is not true or false"))
}

pub(super) fn ip(value: &str) -> Result<IpAddr, String> {
    value.parse().map_err(|_| format!("`{value}` is not an IP address"))
}

pub(super) fn port(value: &str) -> Result<u16, String> {
    value.parse().map_err(|_| format!("`{value}` is not a port number"))
}

pub(super) fn api_key(value: &str) -> Result<Option<ApiKey>, String> {
    ApiKey::new(value).map(Some).map_err(|e| e.to_string())
}

pub(super) fn media_types(value: &str) -> Result<MediaAllowlist, String> {
    MediaAllowlist::parse(value).map_err(|e| e.to_string())
}

pub(super) fn storage(value: &str) -> Result<Storage, String> {
    match value.to_ascii_lowercase().as_str() {
        "fs" | "filesystem" => Ok(Storage::Fs),
        "s3" => Ok(Storage::S3),
        _ => Err(format!("`{value}` is not a storage (fs or s3)")),
    }
}

pub(super) fn secret(value: &str) -> Result<Option<Secret>, String> {
    Ok(Some(Secret::new(value)))
}

pub(super) fn millis(value: &str) -> Result<Duration, String> {
    Ok(Duration::from_millis(number(value)?))
}

/// Variant widths: `480,960,1600` (or a TOML array), 1 to [`vps_core::image::MAX_VARIANT_WIDTHS`]
/// of them, each in [`vps_core::image::VARIANT_WIDTH_RANGE`]; sorted, duplicates dropped.
pub(super) fn variant_widths(value: &str) -> Result<Vec<u32>, String> {
    use vps_core::image::{MAX_VARIANT_WIDTHS, VARIANT_WIDTH_RANGE};
    let list = value.trim().trim_start_matches('[').trim_end_matches(']');
    let mut widths = Vec::new();
    for item in list.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        let width: u32 = item.parse().map_err(|_| format!("`{item}` is not a width in pixels"))?;
        if !VARIANT_WIDTH_RANGE.contains(&width) {
            let (min, max) = (VARIANT_WIDTH_RANGE.start(), VARIANT_WIDTH_RANGE.end());
            return Err(format!("the width {width} is not between {min} and {max}"));
        }
        widths.push(width);
    }
    widths.sort_unstable();
    widths.dedup();
    if widths.is_empty() || widths.len() > MAX_VARIANT_WIDTHS {
        return Err(format!(
            "`{value}` is not 1 to {MAX_VARIANT_WIDTHS} widths, comma-separated (turn variants off with IMAGE_VARIANTS=false)"
        ));
    }
    Ok(widths)
}

/// A lossy quality, 1 to 100.
pub(super) fn quality(value: &str) -> Result<u8, String> {
    match number(value)? {
        quality @ 1..=100 => Ok(quality as u8),
        _ => Err(format!("`{value}` is not a quality between 1 and 100")),
    }
}

/// A number of worker threads: at least 1, lowered to the machine's cores.
pub(super) fn workers(value: &str) -> Result<usize, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match number(value)? {
        0 => Err("there must be at least 1 worker".to_owned()),
        n => Ok((n as usize).min(cores)),
    }
}

/// A size capped at `max`, as a `usize` (the caps fit a 32-bit `usize`).
pub(super) fn size_upto(max: u64) -> impl Fn(&str) -> Result<usize, String> {
    move |value| Ok(size(value)?.min(max) as usize)
}

/// A whole number clamped into `min..=max`, as a `usize`.
pub(super) fn count_within(min: u64, max: u64) -> impl Fn(&str) -> Result<usize, String> {
    move |value| Ok(number(value)?.clamp(min, max) as usize)
}

/// A whole number of at least `min`.
pub(super) fn at_least(min: u64) -> impl Fn(&str) -> Result<u64, String> {
    move |value| Ok(number(value)?.max(min))
}

/// `Some` of what `reader` reads.
pub(super) fn some<T>(reader: impl Fn(&str) -> Result<T, String>) -> impl Fn(&str) -> Result<Option<T>, String> {
    move |value| reader(value).map(Some)
}

/// Trims the value and a leading byte-order mark, as the reference does; blank means unset.
pub(super) fn clean_env(value: Option<String>) -> Option<String> {
    let value = value?;
    let value = value.trim_start_matches('\u{FEFF}').trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// `1048576`, `512kb`, `50mb`, `1gb` (1024-based, as the reference reads `MAX_REQUEST_SIZE`).
pub(super) fn parse_size(value: &str) -> Option<u64> {
    let lower = value.trim().to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => lower.split_at(at),
        None => (lower.as_str(), ""),
    };
    let factor = match unit.trim() {
        "" | "b" => 1,
        "kb" | "k" | "kib" => 1024,
        "mb" | "m" | "mib" => MIB,
        "gb" | "g" | "gib" => GIB,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

/// A language tag, BCP 47-ish: ASCII letters, digits and `-`, at most 35 characters (empty:
/// unset).
pub(crate) fn parse_language(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    match vps_core::language::language_tag(value) {
        Some(tag) => Ok(tag.to_owned()),
        None => {
            let shown: String = value.trim().chars().take(40).collect();
            Err(format!(
                "`{shown}` is not a language tag (letters, digits and `-`, at most {}, as `ja` or `pt-BR`)",
                vps_core::language::MAX_LANGUAGE_TAG_LEN
            ))
        }
    }
}

/// A vault path (`Attachments/logo.svg`), cleaned as the CLI cleans it.
pub(super) fn vault_path(value: &str) -> Result<String, String> {
    let path = vps_core::look::clean_vault_path(value);
    if path.is_empty() { Err(format!("`{value}` is not a vault path")) } else { Ok(path) }
}

/// `light`, `dark` or `system`.
pub(super) fn theme(value: &str) -> Result<String, String> {
    vps_core::look::Theme::parse(value)
        .map(|theme| theme.as_str().to_owned())
        .ok_or_else(|| format!("`{value}` is not a theme (light, dark or system)"))
}

/// Vault paths: a list (`["Guides", "Guides/Start.md"]`, as the settings file writes it and
/// the environment may), else comma-separated; each cleaned; at most
/// [`vps_core::look::MAX_NAVIGATION_ENTRIES`].
pub(super) fn navigation_order(value: &str) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct List {
        v: Vec<String>,
    }
    let paths: Vec<String> = if value.trim_start().starts_with('[') {
        toml::from_str::<List>(&format!("v = {value}"))
            .map_err(|_| "is not a list of quoted vault paths (`[\"Guides\", \"Guides/Start.md\"]`)".to_owned())?
            .v
    } else {
        value.split(',').map(str::to_owned).collect()
    };
    let paths: Vec<String> =
        paths.iter().map(|path| vps_core::look::clean_vault_path(path)).filter(|path| !path.is_empty()).collect();
    if paths.len() > vps_core::look::MAX_NAVIGATION_ENTRIES {
        return Err(format!("has {} paths, over {}", paths.len(), vps_core::look::MAX_NAVIGATION_ENTRIES));
    }
    Ok(paths)
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// How a value is shown by `--print-config`: `None` leaves the key out; secrets are redacted.
pub(super) trait Show {
    fn show(&self) -> Option<toml::Value>;
}

pub(super) const REDACTED: &str = "<redacted>";

fn integer(value: u128) -> toml::Value {
    toml::Value::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

impl Show for u64 {
    fn show(&self) -> Option<toml::Value> {
        Some(integer(u128::from(*self)))
    }
}

impl Show for usize {
    fn show(&self) -> Option<toml::Value> {
        Some(integer(*self as u128))
    }
}

impl Show for u16 {
    fn show(&self) -> Option<toml::Value> {
        Some(integer(u128::from(*self)))
    }
}

impl Show for bool {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::Boolean(*self))
    }
}

impl Show for String {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::String(self.clone()))
    }
}

impl Show for PathBuf {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::String(self.display().to_string()))
    }
}

impl Show for IpAddr {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::String(self.to_string()))
    }
}

/// Milliseconds (the `_ms` keys).
impl Show for Duration {
    fn show(&self) -> Option<toml::Value> {
        Some(integer(self.as_millis()))
    }
}

impl Show for MediaAllowlist {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::String(self.entries().join(",")))
    }
}

impl Show for Storage {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::String(self.name().into()))
    }
}

impl Show for Secret {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::String(REDACTED.into()))
    }
}

impl Show for ApiKey {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::String(REDACTED.into()))
    }
}

impl Show for Vec<u32> {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::Array(self.iter().map(|&n| toml::Value::Integer(n.into())).collect()))
    }
}

impl Show for u8 {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::Integer((*self).into()))
    }
}

impl Show for Vec<String> {
    fn show(&self) -> Option<toml::Value> {
        Some(toml::Value::Array(self.iter().cloned().map(toml::Value::String).collect()))
    }
}

impl<T: Show> Show for Option<T> {
    fn show(&self) -> Option<toml::Value> {
        self.as_ref().and_then(Show::show)
    }
}
