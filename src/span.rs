//! Source files and positions. Every node the loaders build keeps a [`Span`]: a file id and a
//! byte range. Lines and columns are computed only when something is reported.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Index of a file in the run's [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// A span shifted by `offset` bytes (for text embedded in another file, such as a heredoc).
    pub fn shifted(self, offset: usize) -> Span {
        Span::new(
            self.file,
            self.start as usize + offset,
            self.end as usize + offset,
        )
    }
}

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One loaded file: its path as given or found, its display path (relative to the current
/// directory, `/` separators) and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub display: String,
    pub text: Arc<str>,
    line_starts: Vec<usize>,
    /// `(byte offset, characters before it)` about every [`CHAR_MARK_EVERY`] bytes, for
    /// non-ASCII text (ASCII columns are byte differences).
    char_marks: Vec<(usize, usize)>,
}

/// Distance between two character-count marks of a [`SourceFile`].
const CHAR_MARK_EVERY: usize = 1024;

fn char_marks(text: &str) -> Vec<(usize, usize)> {
    let mut marks = vec![(0, 0)];
    let mut next = CHAR_MARK_EVERY;
    for (chars, (i, _)) in text.char_indices().enumerate() {
        if i >= next {
            marks.push((i, chars));
            next = i + CHAR_MARK_EVERY;
        }
    }
    marks
}

impl SourceFile {
    pub fn new(path: PathBuf, display: String, text: Arc<str>) -> SourceFile {
        // A line ends at LF, CRLF or a lone CR (YAML and JSON both count a lone CR as a line
        // break).
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i + 1),
                _ => {}
            }
        }
        let char_marks = if text.is_ascii() {
            Vec::new()
        } else {
            char_marks(&text)
        };
        SourceFile {
            path,
            display,
            text,
            line_starts,
            char_marks,
        }
    }

    /// The 1-based line and character column of a byte offset (clamped to the text). Takes
    /// logarithmic time plus at most one [`CHAR_MARK_EVERY`] stretch of text, whatever the
    /// length of the line, so that findings on a one-line file cost no more than elsewhere.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let mut offset = offset.min(self.text.len());
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = if self.char_marks.is_empty() {
            offset - start + 1
        } else {
            self.chars_before(offset) - self.chars_before(start) + 1
        };
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// Number of characters before a byte offset (a character boundary), from the nearest mark.
    fn chars_before(&self, offset: usize) -> usize {
        let i = match self.char_marks.binary_search_by_key(&offset, |m| m.0) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (byte, chars) = self.char_marks.get(i).copied().unwrap_or((0, 0));
        chars + self.text.get(byte..offset).map_or(0, |s| s.chars().count())
    }

    /// The byte offset at which a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// Byte range of a 0-based line, without checking it exists.
    pub fn line_range(&self, index: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        Some(start..end)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of a span, or "" when the span is out of range.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// All files of a run, addressed by [`FileId`]. Loaders add files from many threads; the map
/// hands out shared [`SourceFile`]s and loads each path once.
#[derive(Debug, Default)]
pub struct SourceMap {
    inner: Mutex<Files>,
}

#[derive(Debug, Default)]
struct Files {
    list: Vec<Arc<SourceFile>>,
    by_path: std::collections::HashMap<PathBuf, FileId>,
}

impl Files {
    fn push(&mut self, file: Arc<SourceFile>) -> FileId {
        let id = FileId(self.list.len() as u32);
        self.by_path.entry(file.path.clone()).or_insert(id);
        self.list.push(file);
        id
    }
}

/// Files larger than this are not read: no IaC file is this big, and a hostile one must not
/// exhaust memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Why a file could not be loaded. The caller turns it into an error at line 1, column 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    Io(String),
    TooLarge(u64),
    /// A NUL byte at this 1-based position: the file is binary.
    Nul {
        line: usize,
        column: usize,
    },
    /// UTF-16 text (with or without a byte order mark); `big_endian` tells which.
    Utf16 {
        big_endian: bool,
    },
    NotUtf8 {
        line: usize,
        column: usize,
    },
    /// A path found by the tool that resolves (symlinks followed) outside the repository root.
    OutsideRoot,
    /// A path found by the tool that is a FIFO, a device, a socket or a directory.
    NotRegular(&'static str),
}

impl LoadError {
    /// The 1-based line and column the error is reported at.
    pub fn position(&self) -> (usize, usize) {
        match self {
            LoadError::Nul { line, column } | LoadError::NotUtf8 { line, column } => {
                (*line, *column)
            }
            _ => (1, 1),
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read the file: {e}"),
            LoadError::TooLarge(n) => write!(
                f,
                "the file is {n} bytes, over the {MAX_FILE_BYTES}-byte limit; it was not read"
            ),
            LoadError::Nul { line, column } => write!(
                f,
                "the file is binary (a NUL byte at line {line}, column {column}); it was not read"
            ),
            LoadError::Utf16 { big_endian } => write!(
                f,
                "the file is UTF-16 ({}); iamlint reads UTF-8 only, convert it (e.g. `iconv -f UTF-16 -t UTF-8`)",
                if *big_endian {
                    "big-endian"
                } else {
                    "little-endian"
                }
            ),
            LoadError::OutsideRoot => write!(
                f,
                "the path resolves (through a symbolic link) outside the repository root; it was not read"
            ),
            LoadError::NotRegular(kind) => {
                write!(f, "the path is {kind}, not a regular file; it was not read")
            }
            LoadError::NotUtf8 { line, column } => {
                write!(
                    f,
                    "the file is not valid UTF-8 (at line {line}, column {column})"
                )
            }
        }
    }
}

impl SourceMap {
    fn lock(&self) -> std::sync::MutexGuard<'_, Files> {
        // A poisoned lock only means another thread panicked while pushing; the map is still
        // consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a file whose text the caller already has (tests, stdin).
    pub fn add(&self, file: SourceFile) -> FileId {
        self.lock().push(Arc::new(file))
    }

    /// Reads a file (once per path) through the guarded door
    /// ([`crate::source::read::read`]) with the size, binary and UTF-8 checks. A leading BOM is
    /// dropped, as Terraform and CloudFormation do.
    pub fn load(
        &self,
        path: &Path,
        display: String,
        access: crate::source::read::Access<'_>,
    ) -> Result<(FileId, Arc<SourceFile>), LoadError> {
        {
            let files = self.lock();
            if let Some(id) = files.by_path.get(path)
                && let Some(f) = files.list.get(id.0 as usize)
            {
                return Ok((*id, f.clone()));
            }
        }
        let bytes = crate::source::read::read(path, access)?;
        let text = decode(&bytes)?;
        let mut files = self.lock();
        // Another thread may have loaded it meanwhile.
        if let Some(id) = files.by_path.get(path).copied()
            && let Some(f) = files.list.get(id.0 as usize)
        {
            return Ok((id, f.clone()));
        }
        let file = Arc::new(SourceFile::new(path.to_path_buf(), display, text.into()));
        let id = files.push(file.clone());
        Ok((id, file))
    }

    pub fn get(&self, id: FileId) -> Option<Arc<SourceFile>> {
        self.lock().list.get(id.0 as usize).cloned()
    }

    pub fn all(&self) -> Vec<(FileId, Arc<SourceFile>)> {
        self.lock()
            .list
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f.clone()))
            .collect()
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.lock().by_path.get(path).copied()
    }

    /// Start and end positions of a span, 1-based.
    pub fn range(&self, span: Span) -> Option<(LineCol, LineCol)> {
        let f = self.get(span.file)?;
        Some((
            f.line_col(span.start as usize),
            f.line_col(span.end as usize),
        ))
    }

    pub fn display(&self, id: FileId) -> String {
        self.get(id)
            .map(|f| f.display.clone())
            .unwrap_or_else(|| "<unknown>".into())
    }
}

/// Checks and decodes file bytes: not UTF-16, no NUL, valid UTF-8, BOM removed.
pub fn decode(bytes: &[u8]) -> Result<String, LoadError> {
    if let Some(big_endian) = utf16(bytes) {
        return Err(LoadError::Utf16 { big_endian });
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        let (line, column) = position(bytes, at);
        return Err(LoadError::Nul { line, column });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let (line, column) = position(bytes, e.valid_up_to());
            Err(LoadError::NotUtf8 { line, column })
        }
    }
}

/// The 1-based line and character column of byte `at` (lines end at `\n`).
fn position(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// `Some(big_endian)` when the bytes are UTF-16: a byte order mark, or (without one) text whose
/// every other byte is NUL, as ASCII-range characters are in UTF-16.
fn utf16(bytes: &[u8]) -> Option<bool> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some(false),
        [0xFE, 0xFF, ..] => return Some(true),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let even_nul = head.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_nul = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    // Nearly every unit has a NUL high byte on one side and none on the other.
    let mostly = |n: usize| n * 10 >= pairs * 9;
    if mostly(odd_nul) && even_nul == 0 {
        Some(false)
    } else if mostly(even_nul) && odd_nul == 0 {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("a".into(), "a".into(), "ab\nçd\n".into());
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // 'd' is after the two-byte 'ç'
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_col(100), LineCol { line: 3, column: 1 });
    }

    #[test]
    fn lone_cr_and_crlf_end_lines() {
        let f = SourceFile::new("a".into(), "a".into(), "a\rbc\r\nd\ne".into());
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_col(6), LineCol { line: 3, column: 1 });
        assert_eq!(f.line_col(8), LineCol { line: 4, column: 1 });
        assert_eq!(f.line_count(), 4);
    }

    #[test]
    fn columns_on_a_long_non_ascii_line() {
        let text = "é".repeat(5000) + "x";
        let f = SourceFile::new("a".into(), "a".into(), text.as_str().into());
        assert_eq!(
            f.line_col(10_000),
            LineCol {
                line: 1,
                column: 5001
            }
        );
        assert_eq!(
            f.line_col(2049),
            LineCol {
                line: 1,
                column: 1025
            }
        );
    }
}
