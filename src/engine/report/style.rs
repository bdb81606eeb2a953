//! The console palette — every colour gatecheck prints lives here, as plain ANSI SGR codes:
//!
//! ```text
//! \x1b[32m✓\x1b[0m passed   \x1b[31m✗\x1b[0m failed   \x1b[33m!\x1b[0m warning   \x1b[2m-\x1b[0m skipped
//! ```
//!
//! With colour off every function returns its text unchanged, so the same code writes the
//! snapshot-tested plain output.

use std::fmt::Display;

/// A role a piece of console text plays; the palette maps each to one style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Pass,
    Fail,
    Warn,
    Skip,
    /// Phase names, table headers, the verdict.
    Heading,
    /// Secondary information: sections, durations, reasons.
    Dim,
}

impl Role {
    fn sgr(self) -> &'static str {
        match self {
            Role::Pass => "32",
            Role::Fail => "1;31",
            Role::Warn => "33",
            Role::Skip => "2",
            Role::Heading => "1",
            Role::Dim => "2",
        }
    }
}

/// Paints text when colour is on.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    color: bool,
}

impl Palette {
    pub fn new(color: bool) -> Palette {
        Palette { color }
    }

    pub fn paint(&self, role: Role, text: impl Display) -> String {
        if self.color {
            format!("\x1b[{}m{text}\x1b[0m", role.sgr())
        } else {
            text.to_string()
        }
    }

    /// The verdict line: bold green when it passed, bold red when it failed.
    pub fn verdict(&self, passed: bool, text: impl Display) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = if passed { "1;32" } else { "1;31" };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// Whether the environment forbids colour (<https://no-color.org>: `NO_COLOR` set and
/// non-empty).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_off_returns_the_text_unchanged() {
        let plain = Palette::new(false);
        assert_eq!(plain.paint(Role::Fail, "✗"), "✗");
        assert_eq!(plain.verdict(false, "FAIL"), "FAIL");
    }

    #[test]
    fn colour_on_wraps_the_text_in_sgr_codes() {
        let colored = Palette::new(true);
        assert_eq!(colored.paint(Role::Pass, "✓"), "\x1b[32m✓\x1b[0m");
    }
}
