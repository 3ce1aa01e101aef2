//! Text from the plugin or the model, made safe for a terminal.
//!
//! A model's answer and a plugin's diagnostics are text someone else chose:
//! a prompt injection can make a model emit escape sequences that rewrite
//! the screen, hide text, or set the clipboard (OSC 52). Everything that
//! reaches a terminal from them goes through [`sanitize`] first.

use std::borrow::Cow;

/// `text` without control characters: C0 (ESC, BEL, carriage return,
/// backspace...), DEL and C1 (the 8-bit CSI and OSC introducers included).
/// Newlines and tabs are kept. Removing the introducer defeats the whole
/// sequence: what follows it is shown as the harmless text it is.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.contains(unsafe_char) {
        Cow::Owned(text.chars().filter(|c| !unsafe_char(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// [`sanitize`] for bytes that should be UTF-8 (a plugin's stderr): invalid
/// sequences become U+FFFD.
pub fn sanitize_bytes(bytes: &[u8]) -> String {
    sanitize(&String::from_utf8_lossy(bytes)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_lose_their_introducer() {
        let osc52 = "copy \x1b]52;c;ZWNobyBwd25lZAo=\x07done";
        assert_eq!(sanitize(osc52), "copy ]52;c;ZWNobyBwd25lZAo=done");
        assert_eq!(sanitize("\x1b[2J\x1b[31mred\x1b[0m"), "[2J[31mred[0m");
        assert_eq!(sanitize("over\rwrite\x08\x7f"), "overwrite");
        assert_eq!(sanitize("c1 \u{9b}31m \u{9d}52;c;x"), "c1 31m 52;c;x");
    }

    #[test]
    fn ordinary_text_is_untouched_and_not_copied() {
        let text = "line one\n\tindented — ünïcödé 🦀\n";
        assert!(matches!(sanitize(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_replaced() {
        assert_eq!(sanitize_bytes(b"ok\xff\x1b[1m\n"), "ok\u{fffd}[1m\n");
    }
}
