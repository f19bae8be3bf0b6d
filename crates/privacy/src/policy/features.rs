//! Where each [`Feature`] a promise may name lives in the code.
//!
//! The privacy page may only promise what a feature listed here keeps, and each feature points
//! at something real: a type or function of the code (named through `type_name`, so removing
//! it breaks the build), a route of the web router, a subcommand or a flag of the command
//! line. The routes, subcommands and flags live in crates above this one, so the integration
//! tests check them against the real router and command-line parser.

use std::any::{type_name, type_name_of_val};

use super::ids::Feature;

/// One place in the code that shows a feature exists.
#[derive(Debug, Clone, Copy)]
pub enum Evidence {
    /// A route the web router answers, with the method it answers (`GET`, `POST`).
    Route {
        method: &'static str,
        path: &'static str,
    },
    /// A subcommand of the `hanjinbi` command line, as its words (`["audit", "verify"]`).
    Command(&'static [&'static str]),
    /// A long flag of the `hanjinbi` command line (without the leading dashes), on any
    /// subcommand.
    Flag(&'static str),
    /// A type or function of the code, by its full name.
    Code(fn() -> &'static str),
}

fn vault() -> &'static str {
    type_name::<crate::vault::Vault>()
}

fn sealed() -> &'static str {
    type_name::<crate::sealed::Sealed>()
}

fn gate() -> &'static str {
    type_name::<crate::gate::Gate>()
}

fn record_consent() -> &'static str {
    type_name_of_val(&crate::records::record_consent)
}

fn destroy_key() -> &'static str {
    type_name_of_val(&hanjinbi_store::subjects::destroy_key)
}

fn account_sessions() -> &'static str {
    type_name_of_val(&hanjinbi_store::accounts::live_session)
}

fn processing_limit_check() -> &'static str {
    type_name_of_val(&hanjinbi_store::subjects::limited)
}

fn erase_address() -> &'static str {
    type_name_of_val(&hanjinbi_store::erasure::erase_address)
}

fn audit_verifier() -> &'static str {
    type_name::<crate::audit::Verifier>()
}

impl Feature {
    /// Where the feature lives: at least one place for every feature.
    pub fn evidence(self) -> &'static [Evidence] {
        match self {
            Feature::Sealing => &[Evidence::Code(vault), Evidence::Code(sealed)],
            Feature::Gate => &[Evidence::Code(gate)],
            Feature::AuditChain => &[
                Evidence::Code(audit_verifier),
                Evidence::Command(&["audit", "verify"]),
                Evidence::Command(&["audit", "head"]),
            ],
            Feature::ConsentLedger => &[
                Evidence::Code(record_consent),
                Evidence::Route {
                    method: "POST",
                    path: "/thanh-toan",
                },
            ],
            Feature::GuestCheckout => &[
                Evidence::Route {
                    method: "GET",
                    path: "/thanh-toan",
                },
                Evidence::Route {
                    method: "POST",
                    path: "/api/v1/checkout",
                },
            ],
            Feature::OrderLookup => &[Evidence::Route {
                method: "GET",
                path: "/don-hang/tra-cuu",
            }],
            Feature::EmailConfirmation => &[Evidence::Flag("smtp-url")],
            Feature::KeyDestruction => &[Evidence::Code(destroy_key)],
            Feature::KeyRotation => &[
                Evidence::Command(&["keys", "rotate"]),
                Evidence::Flag("retire-old"),
            ],
            Feature::ShopContact => &[Evidence::Flag("shop-email"), Evidence::Flag("shop-hotline")],
            Feature::BuyerAccounts => &[
                Evidence::Route {
                    method: "POST",
                    path: "/api/v1/auth/register",
                },
                Evidence::Route {
                    method: "GET",
                    path: "/tai-khoan",
                },
                Evidence::Code(account_sessions),
            ],
            Feature::ConsentCentre => &[
                Evidence::Route {
                    method: "GET",
                    path: "/tai-khoan/dong-y",
                },
                Evidence::Route {
                    method: "GET",
                    path: "/api/v1/me/consents",
                },
            ],
            Feature::ProcessingLimits => &[
                Evidence::Route {
                    method: "PUT",
                    path: "/api/v1/me/objections/{purpose}",
                },
                Evidence::Route {
                    method: "PUT",
                    path: "/api/v1/me/restrictions/{purpose}",
                },
                Evidence::Code(processing_limit_check),
            ],
            Feature::DataExport => &[
                Evidence::Route {
                    method: "GET",
                    path: "/tai-khoan/du-lieu",
                },
                Evidence::Route {
                    method: "GET",
                    path: "/api/v1/me/export",
                },
            ],
            Feature::SelfServiceErasure => &[
                Evidence::Route {
                    method: "GET",
                    path: "/xoa-du-lieu",
                },
                Evidence::Route {
                    method: "POST",
                    path: "/api/v1/me/erase",
                },
                Evidence::Route {
                    method: "POST",
                    path: "/api/v1/erasure-requests",
                },
                Evidence::Code(erase_address),
            ],
            Feature::PrivacyPage => &[
                Evidence::Route {
                    method: "GET",
                    path: "/chinh-sach-bao-mat",
                },
                Evidence::Route {
                    method: "GET",
                    path: "/privacy",
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_has_evidence_and_its_code_evidence_names_real_items() {
        for &feature in Feature::ALL {
            let evidence = feature.evidence();
            assert!(!evidence.is_empty(), "{feature} has no evidence");
            for item in evidence {
                if let Evidence::Code(name) = item {
                    let name = name();
                    assert!(
                        name.starts_with("hanjinbi_privacy::")
                            || name.starts_with("hanjinbi_store::"),
                        "{feature}: {name}"
                    );
                }
            }
        }
    }
}
