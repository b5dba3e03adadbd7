//! An error with its causes, on one line: for logs and for the messages of the command line.

use std::error::Error;

/// The sources of `error`, outermost first, `error` itself excluded.
pub fn causes<'a>(error: &'a (dyn Error + 'a)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(error.source(), |&cause: &&'a (dyn Error + 'static)| cause.source())
}

/// `error`, then each of its [`causes`], each after `separator` (`": "` in logs,
/// `"\n  caused by: "` on the command line).
pub fn chain(error: &dyn Error, separator: &str) -> String {
    let mut out = error.to_string();
    for cause in causes(error) {
        out.push_str(separator);
        out.push_str(&cause.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot publish")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read x.png")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn a_chain_lists_every_cause_after_the_error() {
        let error = Outer(Middle(std::io::Error::other("permission denied")));
        assert_eq!(chain(&error, ": "), "cannot publish: cannot read x.png: permission denied");
        assert_eq!(
            chain(&error, "\n  caused by: "),
            "cannot publish\n  caused by: cannot read x.png\n  caused by: permission denied"
        );
        assert_eq!(causes(&error).count(), 2);
        assert_eq!(chain(&std::io::Error::other("alone"), ": "), "alone");
    }
}
