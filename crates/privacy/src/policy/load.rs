//! Turns policy TOML into a validated [`Policy`].
//!
//! Parsing is two steps on purpose. Serde reads the text into loose `Raw*` structs whose keys
//! are mostly optional and whose names are plain strings; then this module checks every entry
//! itself. That way a mistake is reported as `purpose "marketing": missing `basis`` instead of
//! a bare serde message, and the resulting [`Policy`] can only hold names the code knows.
//! Unknown keys are still refused by serde (`deny_unknown_fields`): a misspelt key must not be
//! silently ignored in a document that grants access to personal data.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroU32;

use hanjinbi_domain::deadline::Term;
use serde::Deserialize;

use super::error::PolicyError;
use super::ids::{
    Actor, BuyerNotice, DataCategory, DisclosureBasis, Feature, Field, Language, LegalBasis,
    PageBlock, PageWord, ProcessorKind, PromiseGroup, PurposeId, RecipientKind, RightsKind,
    Vocabulary,
};
use super::{
    ActorRule, Block, CategoryRule, Controller, FeatureRule, FinancialYearEnd, LawRule, Localized,
    Page, Policy, ProcessorRule, PromiseRule, PurposeRule, RecipientRule, Retention,
    RightsDeadlines, Section, Table, PLACEHOLDERS, RETENTION_AFTER_LAST_ORDER,
};

/// Which rules apply: all of them to the policy in force; a few are relaxed for an earlier
/// version (see [`Policy::archived_from_toml`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Current,
    Archived,
}

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
    #[serde(default)]
    laws: Vec<RawLaw>,
    /// Kept as text: the loader reads each term itself, so that a bad one is reported with
    /// its key rather than as a bare serde message.
    rights_deadlines: Option<BTreeMap<String, String>>,
    #[serde(default)]
    features: Vec<RawFeature>,
    #[serde(default)]
    processors: Vec<RawProcessor>,
    #[serde(default)]
    promises: Vec<RawPromise>,
    page: Option<RawPage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLaw {
    id: Option<String>,
    name: Option<RawText>,
    role: Option<RawText>,
    in_force_since: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeature {
    id: Option<String>,
    label: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcessor {
    id: Option<String>,
    label: Option<RawText>,
    receives: Option<RawText>,
    why: Option<RawText>,
    categories: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPromise {
    id: Option<String>,
    group: Option<String>,
    title: Option<RawText>,
    text: Option<RawText>,
    kept_by: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPage {
    title: Option<RawText>,
    lead: Option<RawText>,
    #[serde(default)]
    words: BTreeMap<String, RawText>,
    #[serde(default)]
    legal_bases: BTreeMap<String, RawText>,
    #[serde(default)]
    fields: BTreeMap<String, RawText>,
    #[serde(default)]
    notices: BTreeMap<String, RawText>,
    #[serde(default)]
    sections: Vec<RawSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    anchor: Option<String>,
    heading: Option<RawText>,
    #[serde(default)]
    blocks: Vec<RawBlock>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    text: Option<RawText>,
    subheading: Option<RawText>,
    list: Option<Vec<RawText>>,
    show: Option<String>,
    group: Option<String>,
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
    collected_by: Option<Vec<String>>,
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
    ground: Option<RawText>,
    consent: Option<RawText>,
}

/// `retention = 365`, `retention = "until_erasure"`,
/// `retention = { from = "end_of_financial_year", years = 10 }` or
/// `retention = { from = "last_order", years = 3 }`. Numbers are kept signed and
/// unchecked here so that a zero or negative value reaches validation, which can name the
/// category.
enum RawRetention {
    Days(i64),
    UntilErasure,
    Period(RawPeriod),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: Option<String>,
    years: Option<i64>,
    financial_year_ends: Option<String>,
}

impl<'de> Deserialize<'de> for RawRetention {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RetentionVisitor;

        impl<'de> serde::de::Visitor<'de> for RetentionVisitor {
            type Value = RawRetention;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number of days, \"until_erasure\" or { from = \"end_of_financial_year\" \
                     or \"last_order\", years = N }",
                )
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

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawRetention, A::Error> {
                RawPeriod::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawRetention::Period)
            }
        }

        deserializer.deserialize_any(RetentionVisitor)
    }
}

/// Parses and validates a whole policy.
pub(super) fn parse(text: &str, mode: Mode) -> Result<Policy, PolicyError> {
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
            .map(|(position, raw)| category(position, raw, mode))
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

    let laws = raw
        .laws
        .into_iter()
        .enumerate()
        .map(|(position, raw)| law(position, raw, &effective_date, mode))
        .collect::<Result<Vec<_>, _>>()?;
    if mode == Mode::Current && laws.is_empty() {
        return Err(PolicyError::MissingSection { section: "laws" });
    }
    let mut law_ids: Vec<&str> = Vec::with_capacity(laws.len());
    for id in laws.iter().filter_map(|law| law.id.as_deref()) {
        if law_ids.contains(&id) {
            return Err(PolicyError::Duplicate {
                owner: "the policy".to_owned(),
                key: "laws",
                id: id.to_owned(),
            });
        }
        law_ids.push(id);
    }
    // Earlier versions were published before the terms were part of the policy; the policy
    // in force must state them, since requests are recorded with the due dates they give.
    let rights_deadlines = match (mode, raw.rights_deadlines) {
        (Mode::Current, None) => {
            return Err(PolicyError::MissingKey {
                owner: owner.to_owned(),
                key: "rights_deadlines",
            })
        }
        (_, raw) => raw.map(|raw| rights_deadlines(raw, &laws)).transpose()?,
    };
    let features = raw
        .features
        .into_iter()
        .enumerate()
        .map(|(position, raw)| feature(position, raw))
        .collect::<Result<Vec<_>, _>>()?;
    unique_and_complete("features", &features, |rule| rule.feature, mode)?;
    let processors = raw
        .processors
        .into_iter()
        .enumerate()
        .map(|(position, raw)| processor(position, raw))
        .collect::<Result<Vec<_>, _>>()?;
    unique_and_complete("processors", &processors, |rule| rule.kind, mode)?;
    let promises = raw
        .promises
        .into_iter()
        .enumerate()
        .map(|(position, raw)| promise(position, raw, mode))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ids: Vec<&str> = Vec::with_capacity(promises.len());
    for promise in &promises {
        if ids.contains(&promise.id.as_str()) {
            return Err(PolicyError::Duplicate {
                owner: "the policy".to_owned(),
                key: "promises",
                id: promise.id.clone(),
            });
        }
        ids.push(&promise.id);
    }
    // Every feature a promise or a category names must have words for the page.
    let named = promises
        .iter()
        .map(|p| (format!("promise {:?}", p.id), p.kept_by.as_slice()))
        .chain(categories.iter().filter_map(|c| {
            c.collected_by
                .as_deref()
                .map(|by| (format!("category {:?}", c.category.code()), by))
        }));
    for (owner, list) in named {
        if let Some(&missing) = list
            .iter()
            .find(|&&f| !features.iter().any(|rule| rule.feature == f))
        {
            return Err(PolicyError::FeatureWithoutEntry {
                owner,
                feature: missing.code(),
            });
        }
    }
    let page = page(
        raw.page.ok_or(PolicyError::MissingKey {
            owner: owner.to_owned(),
            key: "page",
        })?,
        &promises,
        mode,
    )?;
    // The page describes every category's retention in its own words.
    if page.retention_after_last_order.is_none() {
        if let Some(rule) = categories
            .iter()
            .find(|rule| matches!(rule.retention, Retention::AfterLastOrder { .. }))
        {
            return Err(PolicyError::MissingRetentionWords {
                owner: format!("category {:?}", rule.category.code()),
                key: RETENTION_AFTER_LAST_ORDER,
            });
        }
    }

    Ok(Policy {
        version,
        effective_date,
        controller,
        categories,
        actors,
        purposes,
        recipients,
        laws,
        rights_deadlines,
        features,
        processors,
        promises,
        page,
    })
}

/// `[rights_deadlines]`: `first_answer`, one term per [`RightsKind`] (all of them, no other
/// key) and `law`, the id of the `[[laws]]` entry the terms come from.
fn rights_deadlines(
    raw: BTreeMap<String, String>,
    laws: &[LawRule],
) -> Result<RightsDeadlines, PolicyError> {
    const OWNER: &str = "[rights_deadlines]";
    let parse_term = |key: &'static str, text: String| {
        text.parse::<Term>()
            .map_err(|source| PolicyError::InvalidTerm {
                owner: OWNER.to_owned(),
                key,
                source,
            })
    };
    let mut first_answer = None;
    let mut law = None;
    let mut terms: Vec<Option<Term>> = vec![None; RightsKind::COUNT];
    for (key, value) in raw {
        match key.as_str() {
            "first_answer" => first_answer = Some(parse_term("first_answer", value)?),
            "law" => law = Some(value),
            code => {
                let kind = RightsKind::from_code(code).ok_or_else(|| PolicyError::Unknown {
                    owner: OWNER.to_owned(),
                    key: "keys",
                    what: "key",
                    code: key.clone(),
                    expected: format!("first_answer, law, {}", expected::<RightsKind>()),
                })?;
                terms[kind.position()] = Some(parse_term(kind.code(), value)?);
            }
        }
    }
    let missing = |key: &'static str| PolicyError::MissingKey {
        owner: OWNER.to_owned(),
        key,
    };
    let first_answer = first_answer.ok_or_else(|| missing("first_answer"))?;
    let terms = RightsKind::ALL
        .iter()
        .zip(terms)
        .map(|(kind, term)| term.ok_or_else(|| missing(kind.code())))
        .collect::<Result<Vec<_>, _>>()?;
    let law = non_blank(law).ok_or_else(|| missing("law"))?;
    if !laws
        .iter()
        .any(|rule| rule.id.as_deref() == Some(law.as_str()))
    {
        return Err(PolicyError::UnknownLaw {
            owner: OWNER.to_owned(),
            key: "law",
            id: law,
            known: laws
                .iter()
                .filter_map(|rule| rule.id.as_deref())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(RightsDeadlines {
        first_answer,
        terms,
        law,
    })
}

fn law(
    position: usize,
    raw: RawLaw,
    effective_date: &str,
    mode: Mode,
) -> Result<LawRule, PolicyError> {
    let owner = format!("entry {} of [[laws]]", position + 1);
    // The policy in force names each law, so that other sections can cite it by id; earlier
    // versions had no ids.
    let id = match (mode, non_blank(raw.id)) {
        (Mode::Current, None) => return Err(PolicyError::MissingKey { owner, key: "id" }),
        (_, id) => id,
    };
    if let Some(id) = &id {
        let well_formed = id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(PolicyError::InvalidLawId {
                owner,
                id: id.clone(),
            });
        }
    }
    let in_force_since = required_string(&owner, "in_force_since", raw.in_force_since)?;
    if !is_iso_date(&in_force_since) {
        return Err(PolicyError::InvalidLawDate {
            owner,
            value: in_force_since,
        });
    }
    // Both are YYYY-MM-DD, so comparing the text compares the dates.
    if in_force_since.as_str() > effective_date {
        return Err(PolicyError::LawNotYetInForce {
            owner,
            since: in_force_since,
            effective_date: effective_date.to_owned(),
        });
    }
    Ok(LawRule {
        id,
        name: text(&owner, "name", raw.name)?,
        role: text(&owner, "role", raw.role)?,
        in_force_since,
    })
}

fn feature(position: usize, raw: RawFeature) -> Result<FeatureRule, PolicyError> {
    let feature: Feature = entry_id("features", position, raw.id)?;
    let owner = format!("feature {:?}", feature.code());
    Ok(FeatureRule {
        feature,
        label: text(&owner, "label", raw.label)?,
    })
}

fn processor(position: usize, raw: RawProcessor) -> Result<ProcessorRule, PolicyError> {
    let kind: ProcessorKind = entry_id("processors", position, raw.id)?;
    let owner = format!("processor {:?}", kind.code());
    Ok(ProcessorRule {
        kind,
        categories: code_list(&owner, "categories", raw.categories, true)?,
        label: text(&owner, "label", raw.label)?,
        receives: text(&owner, "receives", raw.receives)?,
        why: text(&owner, "why", raw.why)?,
    })
}

fn promise(position: usize, raw: RawPromise, mode: Mode) -> Result<PromiseRule, PolicyError> {
    let id = required_string(
        &format!("entry {} of [[promises]]", position + 1),
        "id",
        raw.id,
    )?;
    let owner = format!("promise {id:?}");
    let group = parse_code::<PromiseGroup>(&owner, "group", raw.group)?;
    let kept_by: Vec<Feature> = code_list(&owner, "kept_by", raw.kept_by, mode == Mode::Current)?;
    Ok(PromiseRule {
        group,
        title: raw
            .title
            .map(|title| localized(&owner, "title", title))
            .transpose()?,
        text: text(&owner, "text", raw.text)?,
        kept_by,
        id,
    })
}

fn page(mut raw: RawPage, promises: &[PromiseRule], mode: Mode) -> Result<Page, PolicyError> {
    let owner = "[page]";
    // Versions published before retention from the last order existed lack its words; the
    // policy in force must have them.
    let retention_after_last_order = match (mode, raw.words.remove(RETENTION_AFTER_LAST_ORDER)) {
        (Mode::Current, None) => {
            return Err(PolicyError::MissingKey {
                owner: "[page.words]".to_owned(),
                key: RETENTION_AFTER_LAST_ORDER,
            })
        }
        (_, words) => words
            .map(|words| {
                localized(
                    &format!("[page.words] {RETENTION_AFTER_LAST_ORDER:?}"),
                    "text",
                    words,
                )
            })
            .transpose()?,
    };
    let mut anchors: Vec<String> = Vec::with_capacity(raw.sections.len());
    let mut sections = Vec::with_capacity(raw.sections.len());
    for (position, section) in raw.sections.into_iter().enumerate() {
        let section_owner = format!("entry {} of [[page.sections]]", position + 1);
        let anchor = required_string(&section_owner, "anchor", section.anchor)?;
        let well_formed = anchor
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(PolicyError::InvalidAnchor {
                owner: section_owner,
                anchor,
            });
        }
        if anchors.contains(&anchor) {
            return Err(PolicyError::Duplicate {
                owner: owner.to_owned(),
                key: "sections",
                id: anchor,
            });
        }
        let section_owner = format!("section {anchor:?}");
        let heading = text(&section_owner, "heading", section.heading)?;
        if section.blocks.is_empty() {
            return Err(PolicyError::EmptyList {
                owner: section_owner,
                key: "blocks",
                what: "block",
            });
        }
        let blocks = section
            .blocks
            .into_iter()
            .enumerate()
            .map(|(n, raw)| {
                block(
                    &format!("block {} of {section_owner}", n + 1),
                    raw,
                    promises,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        anchors.push(anchor.clone());
        sections.push(Section {
            anchor,
            heading,
            blocks,
        });
    }
    if sections.is_empty() {
        return Err(PolicyError::EmptyList {
            owner: owner.to_owned(),
            key: "sections",
            what: "section",
        });
    }
    Ok(Page {
        title: text(owner, "title", raw.title)?,
        lead: text(owner, "lead", raw.lead)?,
        words: complete_texts::<PageWord>("[page.words]", raw.words)?,
        legal_bases: complete_texts::<LegalBasis>("[page.legal_bases]", raw.legal_bases)?,
        fields: complete_texts::<Field>("[page.fields]", raw.fields)?,
        notices: complete_texts::<BuyerNotice>("[page.notices]", raw.notices)?,
        retention_after_last_order,
        sections,
    })
}

fn block(owner: &str, raw: RawBlock, promises: &[PromiseRule]) -> Result<Block, PolicyError> {
    let RawBlock {
        text: paragraph,
        subheading,
        list,
        show,
        group,
    } = raw;
    let kinds = [
        paragraph.is_some(),
        subheading.is_some(),
        list.is_some(),
        show.is_some(),
    ];
    if kinds.iter().filter(|&&given| given).count() != 1 {
        return Err(PolicyError::AmbiguousBlock {
            owner: owner.to_owned(),
        });
    }
    if group.is_some() && show.as_deref() != Some(PageBlock::Promises.code()) {
        return Err(PolicyError::UnexpectedGroup {
            owner: owner.to_owned(),
        });
    }
    if let Some(raw) = paragraph {
        return localized(owner, "text", raw).map(Block::Text);
    }
    if let Some(raw) = subheading {
        return localized(owner, "subheading", raw).map(Block::Subheading);
    }
    if let Some(items) = list {
        if items.is_empty() {
            return Err(PolicyError::EmptyList {
                owner: owner.to_owned(),
                key: "list",
                what: "item",
            });
        }
        return items
            .into_iter()
            .map(|raw| localized(owner, "list", raw))
            .collect::<Result<Vec<_>, _>>()
            .map(Block::List);
    }
    let what = parse_code::<PageBlock>(owner, "show", show)?;
    if what != PageBlock::Promises {
        return Ok(Block::Show(what));
    }
    let group = parse_code::<PromiseGroup>(owner, "group", group)?;
    if !promises.iter().any(|promise| promise.group == group) {
        return Err(PolicyError::EmptyPromiseGroup {
            owner: owner.to_owned(),
            group: group.code(),
        });
    }
    Ok(Block::Promises(group))
}

/// One text per name of a vocabulary, every name present, no other name.
fn complete_texts<K: Vocabulary>(
    owner: &'static str,
    raw: BTreeMap<String, RawText>,
) -> Result<Vec<Localized>, PolicyError> {
    let mut slots: Vec<Option<Localized>> = vec![None; K::variants().len()];
    for (code, raw) in raw {
        let key = K::from_code(&code).ok_or_else(|| PolicyError::Unknown {
            owner: owner.to_owned(),
            key: "keys",
            what: K::WHAT,
            code: code.clone(),
            expected: expected::<K>(),
        })?;
        slots[key.position()] = Some(localized(&format!("{owner} {code:?}"), "text", raw)?);
    }
    K::variants()
        .iter()
        .zip(slots)
        .map(|(key, slot)| {
            slot.ok_or(PolicyError::MissingKey {
                owner: owner.to_owned(),
                key: key.code_str(),
            })
        })
        .collect()
}

/// Refuses an id given twice; in the policy in force, also one of the vocabulary left out.
fn unique_and_complete<K: Vocabulary, V>(
    section: &'static str,
    entries: &[V],
    key_of: impl Fn(&V) -> K,
    mode: Mode,
) -> Result<(), PolicyError> {
    let mut seen: Vec<K> = Vec::with_capacity(entries.len());
    for entry in entries {
        let key = key_of(entry);
        if seen.contains(&key) {
            return Err(PolicyError::Duplicate {
                owner: "the policy".to_owned(),
                key: section,
                id: key.code_str().to_owned(),
            });
        }
        seen.push(key);
    }
    if mode == Mode::Current {
        if let Some(missing) = K::variants().iter().find(|key| !seen.contains(key)) {
            return Err(PolicyError::MissingEntry {
                section,
                what: K::WHAT,
                id: missing.code_str(),
            });
        }
    }
    Ok(())
}

fn parse_code<K: Vocabulary>(
    owner: &str,
    key: &'static str,
    raw: Option<String>,
) -> Result<K, PolicyError> {
    let code = raw.ok_or_else(|| PolicyError::MissingKey {
        owner: owner.to_owned(),
        key,
    })?;
    K::from_code(&code).ok_or_else(|| PolicyError::Unknown {
        owner: owner.to_owned(),
        key,
        what: K::WHAT,
        code,
        expected: expected::<K>(),
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

fn category(position: usize, raw: RawCategory, mode: Mode) -> Result<CategoryRule, PolicyError> {
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
        Some(RawRetention::Period(period)) => retention_period(&owner, category, period)?,
    };
    // Which features collect it is for the policy in force to say; earlier versions did not.
    let collected_by = match (mode, raw.collected_by) {
        (Mode::Current, None) => {
            return Err(PolicyError::MissingKey {
                owner,
                key: "collected_by",
            })
        }
        (_, raw) => raw
            .map(|raw| code_list::<Feature>(&owner, "collected_by", Some(raw), false))
            .transpose()?,
    };
    Ok(CategoryRule {
        collected_by,
        category,
        label: text(&owner, "label", raw.label)?,
        description: text(&owner, "description", raw.description)?,
        retention,
        retention_reason: text(&owner, "retention_reason", raw.retention_reason)?,
    })
}

/// The categories a guest's buyer record holds: what a retention from the last order erases.
const GUEST_RECORD_CATEGORIES: [DataCategory; 3] = [
    DataCategory::Contact,
    DataCategory::Identity,
    DataCategory::Address,
];

/// `{ from = "end_of_financial_year", years = N }`, with an optional `financial_year_ends =
/// "MM-DD"` (31 December when absent: the financial year is the calendar year); or
/// `{ from = "last_order", years = N }`, only for the categories of a guest's buyer record,
/// which are what the erasure of an address removes.
fn retention_period(
    owner: &str,
    category: DataCategory,
    raw: RawPeriod,
) -> Result<Retention, PolicyError> {
    let from = required_string(owner, "retention.from", raw.from)?;
    let from_last_order = match from.as_str() {
        "end_of_financial_year" => false,
        "last_order" => true,
        _ => {
            return Err(PolicyError::UnknownRetentionStart {
                owner: owner.to_owned(),
                from,
            })
        }
    };
    let years = raw.years.ok_or_else(|| PolicyError::MissingKey {
        owner: owner.to_owned(),
        key: "retention.years",
    })?;
    let years = u32::try_from(years)
        .ok()
        .filter(|&years| years <= 1000)
        .and_then(NonZeroU32::new)
        .ok_or_else(|| PolicyError::InvalidRetentionYears {
            owner: owner.to_owned(),
            years,
        })?;
    if from_last_order {
        if raw.financial_year_ends.is_some() {
            return Err(PolicyError::FinancialYearEndWithoutFinancialYear {
                owner: owner.to_owned(),
            });
        }
        if !GUEST_RECORD_CATEGORIES.contains(&category) {
            return Err(PolicyError::LastOrderRetentionOutsideGuestRecords {
                owner: owner.to_owned(),
            });
        }
        return Ok(Retention::AfterLastOrder { years });
    }
    let year_end = match raw.financial_year_ends {
        None => FinancialYearEnd::CALENDAR,
        Some(value) => parse_month_day(&value)
            .and_then(|(month, day)| FinancialYearEnd::new(month, day))
            .ok_or_else(|| PolicyError::InvalidFinancialYearEnd {
                owner: owner.to_owned(),
                value,
            })?,
    };
    Ok(Retention::AfterFinancialYear { years, year_end })
}

/// "MM-DD" as two numbers; whether that day exists is checked by the caller.
fn parse_month_day(value: &str) -> Option<(u8, u8)> {
    let (month, day) = value.split_once('-')?;
    let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(month) || !two_digits(day) {
        return None;
    }
    Some((month.parse().ok()?, day.parse().ok()?))
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
        ground: text(&owner, "ground", raw.ground)?,
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
    let text = Localized {
        vi: one(raw.vi, Language::Vi)?,
        en: one(raw.en, Language::En)?,
    };
    for &language in Language::ALL {
        if let Some(name) = unknown_placeholder(text.get(language)) {
            return Err(PolicyError::UnknownPlaceholder {
                owner: owner.to_owned(),
                key,
                language,
                name,
            });
        }
    }
    Ok(text)
}

/// The first `{…}` in `text` that is not one of [`PLACEHOLDERS`] (an unclosed `{` counts as
/// one), so that a misspelt name is refused instead of shown to buyers in braces.
fn unknown_placeholder(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            return Some(after.chars().take(20).collect());
        };
        let name = &after[..end];
        if !PLACEHOLDERS.contains(&name) {
            return Some(name.to_owned());
        }
        rest = &after[end + 1..];
    }
    None
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
const _: () = assert!(Feature::COUNT > 0 && ProcessorKind::COUNT > 0);
const _: () = assert!(DataCategory::COUNT <= 32 && Actor::COUNT <= 32);
