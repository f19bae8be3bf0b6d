//! The closed vocabularies of the privacy policy: data categories, actors, purposes, legal
//! bases, recipients and fields.
//!
//! Each is an enum with one snake_case code per variant. The code is the single spelling used
//! in the policy file, in serde (de)serialisation and in `Display`, so the file, the database
//! and the logs can never disagree about what a name means. Code elsewhere names a purpose as
//! `PurposeId::Marketing`, never as a free string.

use std::fmt;
use std::str::FromStr;

/// A code that names no variant of the vocabulary it was parsed as.
///
/// The offending code is printed quoted and escaped (`{:?}`), because it may come from a
/// request or a command line and must not be able to forge log lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {code:?}; expected one of: {expected}")]
pub struct UnknownCode {
    /// Which vocabulary was asked, e.g. "actor".
    pub what: &'static str,
    /// The code that was not recognised.
    pub code: String,
    /// The known codes, comma separated.
    pub expected: String,
}

/// What the policy loader needs from every vocabulary, so it can parse names, index tables
/// and check completeness with one generic code path.
pub(crate) trait Vocabulary: Copy + Eq + fmt::Debug + 'static {
    /// What one item is called in messages, e.g. "actor".
    const WHAT: &'static str;
    /// Every variant, in declaration order.
    fn variants() -> &'static [Self];
    /// The snake_case code.
    fn code_str(self) -> &'static str;
    /// Position in `variants()`.
    fn position(self) -> usize;
    /// The variant with this code, if any.
    fn from_code(code: &str) -> Option<Self>;
}

/// Declares a closed vocabulary: the enum, its codes, `ALL`, `code()`, `parse()`, `Display`,
/// `FromStr` and serde impls, all from one list so they cannot drift apart.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every code, in declaration order.
            pub const CODES: &'static [&'static str] = &[$($code),+];

            /// The snake_case code used in the policy file, storage and logs.
            pub const fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The variant with this exact code, if any.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// How many variants there are.
            pub const COUNT: usize = Self::CODES.len();

            fn unknown(code: &str) -> UnknownCode {
                UnknownCode {
                    what: $what,
                    code: code.to_owned(),
                    expected: Self::CODES.join(", "),
                }
            }
        }

        impl Vocabulary for $name {
            const WHAT: &'static str = $what;

            fn variants() -> &'static [Self] {
                Self::ALL
            }

            fn code_str(self) -> &'static str {
                self.code()
            }

            fn position(self) -> usize {
                // Variants carry no explicit discriminants, so this is the position in `ALL`.
                self as usize
            }

            fn from_code(code: &str) -> Option<Self> {
                Self::parse(code)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;

            fn from_str(code: &str) -> Result<Self, Self::Err> {
                Self::parse(code).ok_or_else(|| Self::unknown(code))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct CodeVisitor;

                impl serde::de::Visitor<'_> for CodeVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a {} code", $what)
                    }

                    fn visit_str<E: serde::de::Error>(self, code: &str) -> Result<$name, E> {
                        $name::parse(code).ok_or_else(|| E::unknown_variant(code, $name::CODES))
                    }
                }

                deserializer.deserialize_str(CodeVisitor)
            }
        }
    };
}

code_enum! {
    /// A kind of personal data the shop keeps. Every sealed value belongs to exactly one.
    pub enum DataCategory as "data category" {
        /// Email address and phone number.
        Contact = "contact",
        /// Full name (of the buyer or the recipient).
        Identity = "identity",
        /// Delivery address.
        Address = "address",
        /// Sign-in details, settings and consent choices.
        Account = "account",
        /// Items, amounts, shipping and payment method, dates.
        Transaction = "transaction",
        /// Messages and support requests the buyer sends.
        Support = "support",
        /// Browsing and searches tied to a buyer.
        Behaviour = "behaviour",
    }
}

code_enum! {
    /// Who acts: the buyer themself, an automatic process, or a staff role.
    pub enum Actor as "actor" {
        /// The buyer acting on their own data.
        Buyer = "buyer",
        /// An automatic process of the shop (checkout, mailer, fraud checks, retention jobs).
        System = "system",
        /// Customer care staff (chăm sóc khách hàng).
        CustomerCare = "customer_care",
        /// Marketing staff.
        Marketing = "marketing",
        /// Fulfilment staff (giao vận).
        Fulfilment = "fulfilment",
        /// Legal staff (pháp chế).
        Legal = "legal",
        /// The shop owner.
        Owner = "owner",
    }
}

impl Actor {
    /// Whether this actor is a member of staff (as opposed to the buyer or the system).
    pub const fn is_staff(self) -> bool {
        !matches!(self, Actor::Buyer | Actor::System)
    }
}

code_enum! {
    /// A purpose the policy names. Code asks for personal data only for one of these.
    pub enum PurposeId as "purpose" {
        /// Taking payment and delivering the order.
        OrderFulfilment = "order_fulfilment",
        /// Answering the buyer's questions and requests, including data-rights requests.
        AnsweringRequests = "answering_requests",
        /// Suggesting fitting products (consent).
        Suggestions = "suggestions",
        /// Emails about new products and promotions (consent).
        Marketing = "marketing",
        /// Improving goods and service from anonymous aggregates.
        ServiceImprovement = "service_improvement",
        /// Settling complaints and disputes.
        DisputeResolution = "dispute_resolution",
        /// Preventing fraud and other unlawful activity.
        PreventingUnlawfulActivity = "preventing_unlawful_activity",
        /// Accounting, invoicing, lawful requests from authorities.
        LegalObligations = "legal_obligations",
    }
}

code_enum! {
    /// The legal ground on which a purpose processes personal data.
    pub enum LegalBasis as "legal basis" {
        /// Needed to perform the sale the buyer asked for.
        Contract = "contract",
        /// The buyer's explicit, withdrawable consent for this purpose.
        Consent = "consent",
        /// Required by law.
        LegalObligation = "legal_obligation",
        /// Protecting the rights and property of the shop, its users and third parties.
        LegitimateProtection = "legitimate_protection",
    }
}

code_enum! {
    /// The ground on which personal data may leave the shop to a recipient.
    pub enum DisclosureBasis as "disclosure basis" {
        /// A recorded legal request from a government agency.
        LegalRequest = "legal_request",
        /// Protecting the shop, its users or third parties; needs a recorded justification.
        Protection = "protection",
        /// The buyer's consent to this particular recipient.
        Consent = "consent",
        /// Needed to perform the sale; the buyer is told before placing the order.
        Contract = "contract",
    }
}

impl DisclosureBasis {
    /// Whether an authorised staff member must record why the disclosure is justified.
    pub const fn needs_justification(self) -> bool {
        matches!(self, DisclosureBasis::Protection)
    }

    /// Whether a legal-request record (agency, legal basis, document, scope) must precede it.
    pub const fn needs_legal_request(self) -> bool {
        matches!(self, DisclosureBasis::LegalRequest)
    }
}

code_enum! {
    /// A kind of outside party that may receive personal data through the sharing gate.
    pub enum RecipientKind as "recipient kind" {
        /// Delivery carriers.
        Carrier = "carrier",
        /// Payment gateways (online payment, bank-transfer QR).
        PaymentGateway = "payment_gateway",
        /// Partners in a joint promotion; consent is per partner.
        CoPromotionPartner = "co_promotion_partner",
        /// Government agencies with a legal request.
        GovernmentAgency = "government_agency",
        /// A party that needs data to protect the rights or property of the shop, its users or
        /// third parties (e.g. a bank investigating a fraudulent payment).
        ProtectionRecipient = "protection_recipient",
    }
}

code_enum! {
    /// A personal field that may be handed to a recipient.
    pub enum Field as "field" {
        /// Email address.
        Email = "email",
        /// Phone number.
        Phone = "phone",
        /// Full name.
        Name = "name",
        /// Delivery address.
        Address = "address",
        /// Amount the carrier collects on delivery.
        CodAmount = "cod_amount",
        /// The order's reference number.
        OrderReference = "order_reference",
        /// The order's total amount.
        OrderTotal = "order_total",
        /// Purchase history: items, amounts, shipping and payment methods, dates.
        OrderHistory = "order_history",
        /// Account details (sign-in name, settings, consent choices; never the password hash).
        AccountDetails = "account_details",
        /// Messages and support requests.
        SupportMessages = "support_messages",
        /// Browsing and search history.
        BrowsingHistory = "browsing_history",
    }
}

impl Field {
    /// The data category this field belongs to, so the sharing gate can also ask the policy
    /// whether the category may be read.
    pub const fn category(self) -> DataCategory {
        match self {
            Field::Email | Field::Phone => DataCategory::Contact,
            Field::Name => DataCategory::Identity,
            Field::Address => DataCategory::Address,
            Field::CodAmount | Field::OrderReference | Field::OrderTotal | Field::OrderHistory => {
                DataCategory::Transaction
            }
            Field::AccountDetails => DataCategory::Account,
            Field::SupportMessages => DataCategory::Support,
            Field::BrowsingHistory => DataCategory::Behaviour,
        }
    }
}

code_enum! {
    /// When the buyer is told about a disclosure.
    pub enum BuyerNotice as "buyer notice" {
        /// Every disclosure is notified to the buyer.
        Always = "always",
        /// Notified unless the legal request itself forbids telling the buyer.
        UnlessRequestForbids = "unless_request_forbids",
    }
}

code_enum! {
    /// A language the policy is written in.
    pub enum Language as "language" {
        /// Vietnamese, the default.
        Vi = "vi",
        /// English.
        En = "en",
    }
}

code_enum! {
    /// A feature of the shop that exists today and keeps a promise of the privacy page. A
    /// promise names the features that keep it (`kept_by`); a name that is not here is refused
    /// when the policy loads, and [`Feature::evidence`] says where each feature lives, which the
    /// tests check against the real router and command line.
    pub enum Feature as "feature" {
        /// Personal data sealed at rest under a per-buyer data key (the vault).
        Sealing = "sealing",
        /// The one gate to plaintext: principal, purpose, policy, consent re-check, audit.
        Gate = "gate",
        /// The hash-chained audit log and the commands that verify it and print its head.
        AuditChain = "audit_chain",
        /// Consents recorded per purpose with wording, policy version, channel and time.
        ConsentLedger = "consent_ledger",
        /// Buying without an account: the checkout form and its API.
        GuestCheckout = "guest_checkout",
        /// Reading an order with its link or a one-time code sent by email.
        OrderLookup = "order_lookup",
        /// The order confirmation email, sent through the shop's outbox.
        EmailConfirmation = "email_confirmation",
        /// Erasure by destroying a buyer's data key, after which the gate answers "erased".
        KeyDestruction = "key_destruction",
        /// New master keys and retirement of old ones (`keys rotate [--retire-old]`).
        KeyRotation = "key_rotation",
        /// The shop's contact email and hotline, shown on every page, where requests arrive.
        ShopContact = "shop_contact",
        /// Buyer accounts: registration verified by email and password, sessions.
        BuyerAccounts = "buyer_accounts",
        /// The consent centre: every consent purpose with its history, given or withdrawn in
        /// one click.
        ConsentCentre = "consent_centre",
        /// Objections and restrictions per purpose, honoured by the gate.
        ProcessingLimits = "processing_limits",
        /// The access view and the download of everything held (JSON, ZIP of CSV).
        DataExport = "data_export",
        /// Erasure from the account, or with a link sent to the address.
        SelfServiceErasure = "self_service_erasure",
        /// The privacy page itself, with every published version at its own address.
        PrivacyPage = "privacy_page",
    }
}

code_enum! {
    /// A kind of processor: a party that handles personal data on the shop's behalf and only
    /// on its instructions (bên xử lý dữ liệu cá nhân).
    pub enum ProcessorKind as "processor" {
        /// The SMTP relay the operator configures, which carries the shop's emails.
        MailRelay = "mail_relay",
        /// Whoever runs the machines the shop and its database run on.
        Hosting = "hosting",
        /// Wherever the operator keeps copies of the database and the key file.
        Backups = "backups",
    }
}

code_enum! {
    /// A group of promises, shown together by a `show = "promises"` block of the page.
    pub enum PromiseGroup as "promise group" {
        /// The buyer's rights and how to use them today.
        Rights = "rights",
        /// What erasure does, in the database and in backups.
        Erasure = "erasure",
        /// What the software does to protect the data.
        Protection = "protection",
        /// What leaves the shop, to whom.
        Sharing = "sharing",
    }
}

code_enum! {
    /// A part of the page built from the policy's data rather than from a paragraph.
    pub enum PageBlock as "page block" {
        /// The table of data categories, with use and retention.
        Categories = "categories",
        /// Every purpose with its basis, data and actors.
        Purposes = "purposes",
        /// The actors named by the purposes.
        Roles = "roles",
        /// The recipients with what they receive and on what ground.
        Recipients = "recipients",
        /// The same, also saying when the buyer is told.
        RecipientsWithNotice = "recipients_with_notice",
        /// The processors, with what they receive and why.
        Processors = "processors",
        /// The laws the policy follows.
        Laws = "laws",
        /// One group of promises (`group`), each with the features that keep it.
        Promises = "promises",
        /// The shop's email, hotline and postal address.
        Contact = "contact",
        /// Links to every published version.
        Versions = "versions",
    }
}

code_enum! {
    /// A word or short phrase the page needs around the policy's data (column headings, labels,
    /// notes). Every one must be given in `[page.words]`, in both languages.
    pub enum PageWord as "page word" {
        Contents = "contents",
        Version = "version",
        EffectiveFrom = "effective_from",
        ReadCurrent = "read_current",
        EarlierNotice = "earlier_notice",
        CollectCaption = "collect_caption",
        ColCategory = "col_category",
        ColHolds = "col_holds",
        ColUsedFor = "col_used_for",
        ColKept = "col_kept",
        NoPurpose = "no_purpose",
        NotCollected = "not_collected",
        CollectedBy = "collected_by",
        Optional = "optional",
        Basis = "basis",
        DataUsed = "data_used",
        NoPersonalData = "no_personal_data",
        WhoMayAct = "who_may_act",
        ConsentNote = "consent_note",
        ConsentWording = "consent_wording",
        RolesHeading = "roles_heading",
        Receives = "receives",
        Ground = "ground",
        Told = "told",
        PartnerConsentNote = "partner_consent_note",
        PartnerConsentWording = "partner_consent_wording",
        PartnerBlank = "partner_blank",
        ProcessorReceives = "processor_receives",
        ProcessorWhy = "processor_why",
        ProcessorData = "processor_data",
        LawInForceSince = "law_in_force_since",
        KeptBy = "kept_by",
        Email = "email",
        Hotline = "hotline",
        PostalAddress = "postal_address",
        VersionsLabel = "versions_label",
        InForce = "in_force",
        RetentionUntilErasure = "retention_until_erasure",
        RetentionDays = "retention_days",
        RetentionDaysOneYear = "retention_days_one_year",
        RetentionDaysYears = "retention_days_years",
        RetentionAfterFinancialYear = "retention_after_financial_year",
    }
}

code_enum! {
    /// A data subject's request that the shop must answer within a term the policy sets in
    /// `[rights_deadlines]` (Law 91/2025/QH15; Decree 356/2025/NĐ-CP Art. 5). The codes are
    /// also those of the `rights_requests.kind` column.
    pub enum RightsKind as "kind of request" {
        /// To see the personal data the shop keeps.
        Access = "access",
        /// To correct it.
        Rectification = "rectification",
        /// To be given it in a form another service can read.
        Portability = "portability",
        /// To have it deleted.
        Erasure = "erasure",
        /// To withdraw a consent.
        Withdrawal = "withdrawal",
        /// To have its processing restricted.
        Restriction = "restriction",
        /// To object to its processing.
        Objection = "objection",
    }
}
