//! [`TextTerm`]: an in-memory terminal a progress bar can draw on, for tests and logs.

use indicatif::TermLike;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

/// An in-memory [`TermLike`]: keeps every line drawn on it, for tests and logs.
/// Clones share the text.
///
/// ```
/// use spillway::observe::progress::TextTerm;
/// use indicatif::TermLike;
/// let term = TextTerm::new(40);
/// term.clone().write_line("hello").unwrap();
/// assert_eq!(term.contents(), "hello\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct TextTerm {
    width: u16,
    text: Arc<Mutex<String>>,
}

impl TextTerm {
    /// An empty terminal `width` columns wide.
    ///
    /// ```
    /// use indicatif::TermLike;
    /// assert_eq!(spillway::observe::progress::TextTerm::new(80).width(), 80);
    /// ```
    pub fn new(width: u16) -> Self {
        TextTerm {
            width,
            text: Arc::default(),
        }
    }

    /// Everything written so far (cursor moves and clears are not recorded).
    ///
    /// ```
    /// assert_eq!(spillway::observe::progress::TextTerm::new(80).contents(), "");
    /// ```
    pub fn contents(&self) -> String {
        self.text
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn push(&self, s: &str) {
        self.text
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_str(s);
    }
}

impl TermLike for TextTerm {
    fn width(&self) -> u16 {
        self.width
    }
    fn move_cursor_up(&self, _n: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _n: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _n: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _n: usize) -> io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> io::Result<()> {
        self.push(s);
        self.push("\n");
        Ok(())
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        self.push(s);
        Ok(())
    }
    fn clear_line(&self) -> io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}
