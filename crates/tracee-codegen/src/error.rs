use std::fmt;

/// What is wrong with an input, and where: the file and line where there
/// is one (`../../bpf/events.tbl:86: clone: ...`), else the file or the
/// enum it comes from. The build script fails with it as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// `return Err(Error(format!(...)))`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::Error(format!($($arg)*)))
    };
}
pub(crate) use bail;
