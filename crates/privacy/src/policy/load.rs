//! Turns policy TOML into a validated [`Policy`].
//!
//! Parsing is two steps on purpose. Serde reads the text into loose `Raw*` structs whose keys
//! are mostly optional and whose names are plain strings; then this module checks every entry
//! itself. That way a mistake is reported as `purpose "marketing": missing `basis`` instead of
//! a bare serde message, and the resulting [`Policy`] can only hold names the code knows.
//! Unknown keys are still refused by serde (`deny_unknown_fields`): a misspelt key must not be
//! silently ignored in a document that grants access to personal data.

use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroU32;

use serde::Deserialize;

use super::error::PolicyError;
use super::ids::{
    Actor, BuyerNotice, DataCategory, DisclosureBasis, Field, Language, LegalBasis, PurposeId,
    RecipientKind, Vocabulary,
};
use super::{
    ActorRule, CategoryRule, Controller, Localized, Policy, PurposeRule, RecipientRule, Retention,
    Table,
};

/// The placeholder a per-partner consent wording must contain.
pub(super) const PARTNER_PLACEHOLDER: &str = "{partner}";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: Option<String>,
    effective_date: Option<String>,
    controller: Option<RawController>,
    #[serde(default)]
    categories: Vec<RawCategory>,
    #[serde(default)]
    actors: Vec<RawActor>,
    #[serde(default)]
    purposes: Vec<RawPurpose>,
    #[serde(default)]
    recipients: Vec<RawRecipient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawController {
    name: Option<String>,
    website: Option<String>,
    email: Option<String>,
    hotline: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    vi: Option<String>,
    en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Option<String>,
    label: Option<RawText>,
    description: Option<RawText>,
    retention: Option<RawRetention>,
    retention_reason: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActor {
    id: Option<String>,
    label: Option<RawText>,
    description: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPurpose {
    id: Option<String>,
    basis: Option<LegalBasis>,
    label: Option<RawText>,
    description: Option<RawText>,
    categories: Option<Vec<String>>,
    actors: Option<Vec<String>>,
    consent: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    id: Option<String>,
    basis: Option<DisclosureBasis>,
    buyer_notice: Option<BuyerNotice>,
    fields: Option<Vec<String>>,
    label: Option<RawText>,
    description: Option<RawText>,
    consent: Option<RawText>,
}

/// `retention = 3650` or `retention = "until_erasure"`. Kept signed and unchecked here so that
/// a zero or negative value reaches validation, which can name the category.
enum RawRetention {
    Days(i64),
    UntilErasure,
}

impl<'de> Deserialize<'de> for RawRetention {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RetentionVisitor;

        impl serde::de::Visitor<'_> for RetentionVisitor {
            type Value = RawRetention;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of days or \"until_erasure\"")
            }

            fn visit_i64<E: serde::de::Error>(self, days: i64) -> Result<RawRetention, E> {
                Ok(RawRetention::Days(days))
            }

            fn visit_u64<E: serde::de::Error>(self, days: u64) -> Result<RawRetention, E> {
                // Beyond i64 it is out of range anyway; saturate so validation reports it.
                Ok(RawRetention::Days(i64::try_from(days).unwrap_or(i64::MAX)))
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<RawRetention, E> {
                if value == "until_erasure" {
                    Ok(RawRetention::UntilErasure)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(value), &self))
                }
            }
        }

        deserializer.deserialize_any(RetentionVisitor)
    }
}

/// Parses and validates a whole policy.
pub(super) fn parse(text: &str) -> Result<Policy, PolicyError> {
    let raw: RawPolicy = toml::from_str(text)?;
    let owner = "the policy";

    let version = required_string(owner, "version", raw.version)?;
    let effective_date = required_string(owner, "effective_date", raw.effective_date)?;
    if !is_iso_date(&effective_date) {
        return Err(PolicyError::InvalidDate {
            value: effective_date,
        });
    }
    let controller = controller(raw.controller.ok_or(PolicyError::MissingKey {
        owner: owner.to_owned(),
        key: "controller",
    })?)?;

    let categories = table(
        "categories",
        raw.categories
            .into_iter()
            .enumerate()
            .map(|(position, raw)| category(position, raw))
            .collect::<Result<Vec<_>, _>>()?,
        |rule: &CategoryRule| rule.category,
    )?;
    let actors = table(
        "actors",
        raw.actors
            .into_iter()
            .enumerate()
            .map(|(position, raw)| actor(position, raw))
            .collect::<Result<Vec<_>, _>>()?,
        |rule: &ActorRule| rule.actor,
    )?;
    let purposes = table(
        "purposes",
        raw.purposes
            .into_iter()
            .enumerate()
            .map(|(position, raw)| purpose(position, raw))
            .collect::<Result<Vec<_>, _>>()?,
        |rule: &PurposeRule| rule.id,
    )?;
    let recipients = table(
        "recipients",
        raw.recipients
            .into_iter()
            .enumerate()
            .map(|(position, raw)| recipient(position, raw))
            .collect::<Result<Vec<_>, _>>()?,
        |rule: &RecipientRule| rule.kind,
    )?;

    Ok(Policy {
        version,
        effective_date,
        controller,
        categories,
        actors,
        purposes,
        recipients,
    })
}

fn controller(raw: RawController) -> Result<Controller, PolicyError> {
    let owner = "[controller]";
    Ok(Controller {
        name: required_string(owner, "name", raw.name)?,
        website: required_string(owner, "website", raw.website)?,
        email: required_string(owner, "email", raw.email)?,
        hotline: required_string(owner, "hotline", raw.hotline)?,
    })
}

fn category(position: usize, raw: RawCategory) -> Result<CategoryRule, PolicyError> {
    let category: DataCategory = entry_id("categories", position, raw.id)?;
    let owner = format!("category {:?}", category.code());
    let retention = match raw.retention {
        None => {
            return Err(PolicyError::MissingKey {
                owner,
                key: "retention",
            })
        }
        Some(RawRetention::UntilErasure) => Retention::UntilErasure,
        Some(RawRetention::Days(days)) => u32::try_from(days)
            .ok()
            .and_then(NonZeroU32::new)
            .map(Retention::Days)
            .ok_or_else(|| PolicyError::InvalidRetention {
                owner: owner.clone(),
                days,
            })?,
    };
    Ok(CategoryRule {
        category,
        label: text(&owner, "label", raw.label)?,
        description: text(&owner, "description", raw.description)?,
        retention,
        retention_reason: text(&owner, "retention_reason", raw.retention_reason)?,
    })
}

fn actor(position: usize, raw: RawActor) -> Result<ActorRule, PolicyError> {
    let actor: Actor = entry_id("actors", position, raw.id)?;
    let owner = format!("actor {:?}", actor.code());
    Ok(ActorRule {
        actor,
        label: text(&owner, "label", raw.label)?,
        description: text(&owner, "description", raw.description)?,
    })
}

fn purpose(position: usize, raw: RawPurpose) -> Result<PurposeRule, PolicyError> {
    let id: PurposeId = entry_id("purposes", position, raw.id)?;
    let owner = format!("purpose {:?}", id.code());
    let basis = raw.basis.ok_or_else(|| PolicyError::MissingKey {
        owner: owner.clone(),
        key: "basis",
    })?;
    // A purpose may read no personal category at all (it then works on anonymous aggregates),
    // but the list must be written out so that "reads nothing" is a decision, not an omission.
    let categories: Vec<DataCategory> = code_list(&owner, "categories", raw.categories, false)?;
    let actors: Vec<Actor> = code_list(&owner, "actors", raw.actors, true)?;
    let consent = consent_wording(
        &owner,
        basis == LegalBasis::Consent,
        basis.code(),
        raw.consent,
    )?;
    Ok(PurposeRule {
        id,
        basis,
        label: text(&owner, "label", raw.label)?,
        description: text(&owner, "description", raw.description)?,
        category_mask: mask(&categories),
        actor_mask: mask(&actors),
        categories,
        actors,
        consent,
    })
}

fn recipient(position: usize, raw: RawRecipient) -> Result<RecipientRule, PolicyError> {
    let kind: RecipientKind = entry_id("recipients", position, raw.id)?;
    let owner = format!("recipient {:?}", kind.code());
    let basis = raw.basis.ok_or_else(|| PolicyError::MissingKey {
        owner: owner.clone(),
        key: "basis",
    })?;
    let buyer_notice = raw.buyer_notice.ok_or_else(|| PolicyError::MissingKey {
        owner: owner.clone(),
        key: "buyer_notice",
    })?;
    let fields: Vec<Field> = code_list(&owner, "fields", raw.fields, true)?;
    let consent = consent_wording(
        &owner,
        basis == DisclosureBasis::Consent,
        basis.code(),
        raw.consent,
    )?;
    // Recipient consent is given per partner, so the wording must say which partner.
    if let Some(wording) = &consent {
        for &language in Language::ALL {
            if !wording.get(language).contains(PARTNER_PLACEHOLDER) {
                return Err(PolicyError::MissingPartnerPlaceholder {
                    owner: owner.clone(),
                    language,
                });
            }
        }
    }
    Ok(RecipientRule {
        kind,
        basis,
        buyer_notice,
        fields,
        label: text(&owner, "label", raw.label)?,
        description: text(&owner, "description", raw.description)?,
        consent,
    })
}

/// Checks the id of the `position`-th entry of `[[section]]`.
fn entry_id<K: Vocabulary>(
    section: &'static str,
    position: usize,
    id: Option<String>,
) -> Result<K, PolicyError> {
    let owner = || format!("entry {} of [[{section}]]", position + 1);
    let id = id.ok_or_else(|| PolicyError::MissingKey {
        owner: owner(),
        key: "id",
    })?;
    K::from_code(&id).ok_or_else(|| PolicyError::Unknown {
        owner: owner(),
        key: "id",
        what: K::WHAT,
        code: id,
        expected: expected::<K>(),
    })
}

/// Indexes validated entries by id, refusing duplicates and requiring every known id, so that
/// lookups by id can never miss.
fn table<K: Vocabulary, V>(
    section: &'static str,
    entries: Vec<V>,
    key_of: impl Fn(&V) -> K,
) -> Result<Table<K, V>, PolicyError> {
    let mut index: Vec<Option<usize>> = vec![None; K::variants().len()];
    for (position, entry) in entries.iter().enumerate() {
        let key = key_of(entry);
        let slot = &mut index[key.position()];
        if slot.is_some() {
            return Err(PolicyError::Duplicate {
                owner: "the policy".to_owned(),
                key: section,
                id: key.code_str().to_owned(),
            });
        }
        *slot = Some(position);
    }
    let index = K::variants()
        .iter()
        .zip(index)
        .map(|(key, slot)| {
            slot.ok_or(PolicyError::MissingEntry {
                section,
                what: K::WHAT,
                id: key.code_str(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Table {
        entries,
        index,
        key: PhantomData,
    })
}

fn code_list<K: Vocabulary>(
    owner: &str,
    key: &'static str,
    raw: Option<Vec<String>>,
    at_least_one: bool,
) -> Result<Vec<K>, PolicyError> {
    let raw = raw.ok_or_else(|| PolicyError::MissingKey {
        owner: owner.to_owned(),
        key,
    })?;
    if at_least_one && raw.is_empty() {
        return Err(PolicyError::EmptyList {
            owner: owner.to_owned(),
            key,
            what: K::WHAT,
        });
    }
    let mut items: Vec<K> = Vec::with_capacity(raw.len());
    for code in raw {
        let item = K::from_code(&code).ok_or_else(|| PolicyError::Unknown {
            owner: owner.to_owned(),
            key,
            what: K::WHAT,
            code: code.clone(),
            expected: expected::<K>(),
        })?;
        if items.contains(&item) {
            return Err(PolicyError::Duplicate {
                owner: owner.to_owned(),
                key,
                id: code,
            });
        }
        items.push(item);
    }
    Ok(items)
}

fn consent_wording(
    owner: &str,
    is_consent: bool,
    basis: &'static str,
    raw: Option<RawText>,
) -> Result<Option<Localized>, PolicyError> {
    match (is_consent, raw) {
        (true, None) => Err(PolicyError::MissingConsentWording {
            owner: owner.to_owned(),
        }),
        (true, Some(raw)) => localized(owner, "consent", raw).map(Some),
        (false, Some(_)) => Err(PolicyError::UnexpectedConsentWording {
            owner: owner.to_owned(),
            basis,
        }),
        (false, None) => Ok(None),
    }
}

fn text(owner: &str, key: &'static str, raw: Option<RawText>) -> Result<Localized, PolicyError> {
    let raw = raw.ok_or_else(|| PolicyError::MissingKey {
        owner: owner.to_owned(),
        key,
    })?;
    localized(owner, key, raw)
}

fn localized(owner: &str, key: &'static str, raw: RawText) -> Result<Localized, PolicyError> {
    let one = |value: Option<String>, language: Language| {
        non_blank(value).ok_or_else(|| PolicyError::MissingText {
            owner: owner.to_owned(),
            key,
            language,
        })
    };
    Ok(Localized {
        vi: one(raw.vi, Language::Vi)?,
        en: one(raw.en, Language::En)?,
    })
}

fn required_string(
    owner: &str,
    key: &'static str,
    value: Option<String>,
) -> Result<String, PolicyError> {
    non_blank(value).ok_or_else(|| PolicyError::MissingKey {
        owner: owner.to_owned(),
        key,
    })
}

/// Trims the value; a blank value counts as absent, since an empty label or version is as
/// useless to a reader as a missing one.
fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn expected<K: Vocabulary>() -> String {
    K::variants()
        .iter()
        .map(|item| item.code_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn mask<K: Vocabulary>(items: &[K]) -> u32 {
    items
        .iter()
        .fold(0, |mask, item| mask | (1u32 << item.position()))
}

/// A calendar date written YYYY-MM-DD (checked down to the length of the month), because the
/// effective date is shown to buyers and recorded with their consents.
fn is_iso_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

// Bit masks hold one bit per variant.
const _: () = assert!(DataCategory::COUNT <= 32 && Actor::COUNT <= 32);
