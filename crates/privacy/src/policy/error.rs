//! Why a privacy policy file was refused.
//!
//! Every message names the offending entry (e.g. `purpose "marketing"`) and the key, so the
//! person editing the policy can find the mistake without a debugger. Messages quote names with
//! `{:?}` so that a stray control character in the file cannot garble a log line.

use super::ids::Language;

/// A privacy policy file that cannot be used. Loading fails whole: a half-valid policy would
/// silently deny (or worse, allow) things nobody decided.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The text is not TOML, has a key the policy does not know, or a value of the wrong shape.
    #[error("privacy policy is not valid: {0}")]
    Toml(#[from] toml::de::Error),

    /// A required key is absent.
    #[error("{owner}: missing `{key}`")]
    MissingKey { owner: String, key: &'static str },

    /// A text is absent or blank in one language; every text the buyer may read is needed in
    /// both, or the page in that language would show a hole.
    #[error("{owner}: `{key}` has no {language} text (both \"vi\" and \"en\" are required)")]
    MissingText {
        owner: String,
        key: &'static str,
        language: Language,
    },

    /// A name that the code does not know (a category, actor, purpose, recipient kind or field).
    #[error("{owner}: unknown {what} {code:?} in `{key}`; expected one of: {expected}")]
    Unknown {
        owner: String,
        key: &'static str,
        what: &'static str,
        code: String,
        expected: String,
    },

    /// The same id declared twice, or the same name listed twice in one list.
    #[error("{owner}: {id:?} appears more than once in `{key}`")]
    Duplicate {
        owner: String,
        key: &'static str,
        id: String,
    },

    /// A name the code relies on has no entry in the file.
    #[error("the policy does not declare {what} {id:?}; every {what} the code knows must have an entry in [[{section}]]")]
    MissingEntry {
        section: &'static str,
        what: &'static str,
        id: &'static str,
    },

    /// A list that must name at least one item is empty.
    #[error("{owner}: `{key}` is empty; it must name at least one {what}")]
    EmptyList {
        owner: String,
        key: &'static str,
        what: &'static str,
    },

    /// A consent-based purpose or recipient without the wording the buyer ticks.
    #[error(
        "{owner}: basis is consent, so it needs the checkbox wording in `consent` (vi and en)"
    )]
    MissingConsentWording { owner: String },

    /// Consent wording on an entry whose basis is not consent: it would show a checkbox that
    /// decides nothing.
    #[error("{owner}: has `consent` wording but its basis is {basis}, not consent")]
    UnexpectedConsentWording { owner: String, basis: &'static str },

    /// A per-partner consent wording that does not name the partner.
    #[error("{owner}: the {language} consent wording must contain the placeholder {{partner}}, so the buyer sees which partner they agree to")]
    MissingPartnerPlaceholder { owner: String, language: Language },

    /// A retention that is not a positive number of days.
    #[error("{owner}: retention must be between 1 and {max} days or \"until_erasure\", found {days}", max = u32::MAX)]
    InvalidRetention { owner: String, days: i64 },

    /// A malformed effective date.
    #[error("the policy: `effective_date` must be a date written YYYY-MM-DD, found {value:?}")]
    InvalidDate { value: String },
}
