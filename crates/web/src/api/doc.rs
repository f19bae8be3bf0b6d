//! The parts of the OpenAPI document that are not a handler's own types: the document's
//! header, the problem answers each route can give, and the list query's parameters.

use crate::error::Problem;
use hanjinbi_domain::openapi::search_text_schema;
use hanjinbi_domain::{catalog::SLUG_MAX, catalog::SLUG_PATTERN, Page, PerPage, SortOrder};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, Response};
use utoipa::{IntoParams, IntoResponses, OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hanjinbi API",
        version = "1.0.0",
        description = "The shop's catalog, carts, checkout, order lookup and buyer accounts. Prices are whole numbers of \
            Vietnamese đồng (VND). Errors are application/problem+json (RFC 9457) with a stable \
            `code` and a `detail` that never repeats submitted values. The language of `detail`, \
            and the one a product search reads, follows Accept-Language (or `lang=vi|en` in the \
            query): Vietnamese by default, English available. Checkout seals the buyer's \
            details at rest; reading them back is audited. This document is generated from the \
            handlers' own types and parsers.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    servers((url = "/")),
    components(schemas(Problem))
)]
pub struct ApiDoc;

/// Every price in the API is in Vietnamese đồng.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum Currency {
    VND,
}

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(Problem::name())))
                .build(),
        )
        .build()
        .into()
}

/// A set of problem answers an operation documents, by status.
macro_rules! problems {
    ($(#[$doc:meta])* $name:ident { $($status:literal => $description:literal),* $(,)? }) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$(($status, $description)),*]
                    .into_iter()
                    .map(|(status, description)| (status.to_owned(), problem(description)))
                    .collect()
            }
        }
    };
}

problems!(
    /// What any operation that reads the database can answer.
    ProblemsServer {
        "500" => "Something broke on the shop's side (code internal)",
        "503" => "The database is not answering (code unavailable)",
    }
);
problems!(
    /// Creating a cart.
    ProblemsCartCreate {
        "429" => "Too many writes, or too many new carts, from this client address; see Retry-After (too_many_requests, too_many_carts)",
    }
);
problems!(
    /// An unknown resource.
    Problems404 {
        "404" => "No such resource",
    }
);
problems!(
    /// A product list's parameters.
    Problems4xxList {
        "400" => "A parameter is not valid (invalid_page, invalid_per_page, invalid_sort, query_too_long, invalid_encoding)",
        "404" => "No such category (unknown_category)",
        "414" => "The query string is longer than 4096 bytes",
    }
);
problems!(
    /// Reading a cart.
    ProblemsCartRead {
        "401" => "No cart token (cart_token_missing)",
        "403" => "The token does not open this cart (cart_token_invalid)",
        "404" => "No such cart (unknown_cart)",
    }
);
problems!(
    /// Changing a cart.
    ProblemsCartWrite {
        "400" => "Malformed JSON or an invalid SKU (malformed_json, invalid_sku)",
        "401" => "No cart token (cart_token_missing)",
        "403" => "The token does not open this cart (cart_token_invalid)",
        "404" => "No such cart, SKU or cart line (unknown_cart, unknown_sku, not_in_cart)",
        "408" => "The body arrived too slowly (body_timeout)",
        "409" => "Not enough stock (not_enough_stock)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, or the quantity is out of range or above the per-order limit (invalid_body, invalid_quantity)",
        "429" => "Too many writes from this client address; see Retry-After (too_many_requests)",
    }
);
problems!(
    /// Removing a cart line.
    ProblemsCartRemove {
        "400" => "An invalid SKU (invalid_sku)",
        "401" => "No cart token (cart_token_missing)",
        "403" => "The token does not open this cart (cart_token_invalid)",
        "404" => "No such cart or cart line (unknown_cart, not_in_cart)",
        "429" => "Too many writes from this client address; see Retry-After (too_many_requests)",
    }
);
problems!(
    /// Placing an order.
    ProblemsCheckout {
        "400" => "Malformed JSON (malformed_json)",
        "401" => "No cart token (cart_token_missing)",
        "403" => "The token does not open this cart (cart_token_invalid)",
        "404" => "No such cart (unknown_cart)",
        "408" => "The body arrived too slowly (body_timeout)",
        "409" => "The cart is empty, changed, or out of stock, or the Idempotency-Key was used for another request (empty_cart, cart_changed, out_of_stock, idempotency_key_reused)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, details are not valid (`fields` names them), or the order is above a per-order limit (invalid_body, invalid_checkout, line_too_large, cash_on_delivery_too_large, amount_too_large)",
        "429" => "Too many writes from this client address; see Retry-After (too_many_requests)",
    }
);
problems!(
    /// Reading an order.
    ProblemsOrder {
        "401" => "No order token (order_token_missing)",
        "404" => "No order matches this number and token (order_not_found)",
        "409" => "The buyer has objected to or restricted order fulfilment, so the order's details are not opened (processing_limited)",
        "429" => "This order was opened too often in the last minute (too_many_views)",
    }
);
problems!(
    /// Asking for a one-time lookup code.
    ProblemsLookupCode {
        "400" => "Malformed JSON (malformed_json)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "404" => "The path is not a valid address (not_found)",
        "422" => "The JSON has another shape, the number is not written as order numbers are, or the contact is neither an email address nor a Vietnamese phone number (invalid_body, invalid_order_number, invalid_contact)",
        "429" => "A code was asked for with this number and contact less than a minute ago, too many codes were asked for, or too many writes; see Retry-After (code_requested_too_soon, lookup_locked, too_many_requests)",
    }
);
problems!(
    /// Exchanging a one-time code for the order's lookup token.
    ProblemsLookupToken {
        "400" => "Malformed JSON (malformed_json)",
        "408" => "The body arrived too slowly (body_timeout)",
        "404" => "The path is not a valid address (not_found)",
        "410" => "The code has expired, was already used, or too many wrong codes were tried; ask for a new one (code_expired, code_already_used, code_tries_used_up)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, the number or code is not written as they are, or the code is wrong (`tries_left` says how many more are accepted) (invalid_body, invalid_order_number, invalid_code, code_wrong)",
        "429" => "Too many wrong codes, or too many writes; see Retry-After (lookup_locked, too_many_requests)",
    }
);
problems!(
    /// Registering an account.
    ProblemsRegister {
        "400" => "Malformed JSON (malformed_json)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, the address is not an email address, or the password breaks a rule (`detail` says which) (invalid_body, invalid_email, weak_password)",
        "429" => "Too many registrations for this address or from this client, or too many writes; see Retry-After (too_many_attempts, too_many_requests)",
    }
);
problems!(
    /// Verifying an address.
    ProblemsVerify {
        "400" => "Malformed JSON (malformed_json)",
        "401" => "The password is wrong (wrong_credentials)",
        "404" => "No link has this token (link_invalid)",
        "408" => "The body arrived too slowly (body_timeout)",
        "410" => "The link has expired or was already used (link_expired, link_used)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape (invalid_body)",
        "429" => "Too many attempts; see Retry-After (too_many_attempts, too_many_requests)",
    }
);
problems!(
    /// Signing in.
    ProblemsLogin {
        "400" => "Malformed JSON (malformed_json)",
        "401" => "The address or the password is wrong: one answer for both (wrong_credentials)",
        "403" => "The right password, but the address is not verified yet (email_not_verified)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape (invalid_body)",
        "429" => "Too many attempts for this address or from this client; see Retry-After (too_many_attempts, too_many_requests)",
    }
);
problems!(
    /// An operation of the signed-in buyer without a body.
    ProblemsSignedIn {
        "401" => "Not signed in, or the session has ended (not_signed_in)",
        "403" => "A cookie session without its X-CSRF-Token (form_token_invalid)",
        "429" => "Too many writes from this client address; see Retry-After (too_many_requests)",
    }
);
problems!(
    /// Asking for a reset link.
    ProblemsResetRequest {
        "400" => "Malformed JSON (malformed_json)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, or the address is not an email address (invalid_body, invalid_email)",
        "429" => "Too many reset requests for this address or from this client; see Retry-After (too_many_attempts, too_many_requests)",
    }
);
problems!(
    /// Setting a new password with a reset link.
    ProblemsResetConfirm {
        "400" => "Malformed JSON (malformed_json)",
        "404" => "No link has this token (link_invalid)",
        "408" => "The body arrived too slowly (body_timeout)",
        "410" => "The link has expired or was already used (link_expired, link_used)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, or the password breaks a rule (invalid_body, weak_password)",
        "429" => "Too many writes from this client address; see Retry-After (too_many_requests)",
    }
);
problems!(
    /// Changing the password.
    ProblemsPasswordChange {
        "400" => "Malformed JSON (malformed_json)",
        "401" => "Not signed in, or the current password is wrong (not_signed_in, wrong_credentials)",
        "403" => "A cookie session without its X-CSRF-Token (form_token_invalid)",
        "409" => "The buyer restricted or objected to answering their own requests, so the address is not opened (processing_limited)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, or the new password breaks a rule (invalid_body, weak_password)",
        "429" => "Too many attempts; see Retry-After (too_many_attempts, too_many_requests)",
    }
);
problems!(
    /// Erasing the signed-in buyer.
    ProblemsErase {
        "400" => "Malformed JSON (malformed_json)",
        "401" => "Not signed in, or the password is wrong (not_signed_in, wrong_credentials)",
        "403" => "A cookie session without its X-CSRF-Token (form_token_invalid)",
        "409" => "The buyer restricted or objected to answering their own requests, so the address is not opened (processing_limited)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape (invalid_body)",
        "429" => "Too many attempts; see Retry-After (too_many_attempts, too_many_requests)",
    }
);
problems!(
    /// Asking for an erasure link.
    ProblemsErasureRequest {
        "400" => "Malformed JSON (malformed_json)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, or the address is not an email address (invalid_body, invalid_email)",
        "429" => "Too many requests for this address or from this client; see Retry-After (too_many_attempts, too_many_requests)",
    }
);
problems!(
    /// Confirming an erasure with its link.
    ProblemsErasureConfirm {
        "400" => "Malformed JSON (malformed_json)",
        "404" => "No link has this token (link_invalid)",
        "408" => "The body arrived too slowly (body_timeout)",
        "410" => "The link has expired or was already used (link_expired, link_used)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape (invalid_body)",
        "429" => "Too many writes from this client address; see Retry-After (too_many_requests)",
    }
);
problems!(
    /// Granting or withdrawing consent.
    ProblemsConsentDecision {
        "400" => "Malformed JSON (malformed_json)",
        "401" => "Not signed in, or the session has ended (not_signed_in)",
        "403" => "A cookie session without its X-CSRF-Token (form_token_invalid)",
        "404" => "The privacy policy has no such purpose (unknown_purpose)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, or the purpose does not rest on consent (invalid_body, not_a_consent_purpose)",
        "429" => "Too many writes from this client address; see Retry-After (too_many_requests)",
    }
);
problems!(
    /// Objecting to or restricting a purpose, or lifting it.
    ProblemsLimit {
        "400" => "Malformed JSON (malformed_json)",
        "401" => "Not signed in, or the session has ended (not_signed_in)",
        "403" => "A cookie session without its X-CSRF-Token (form_token_invalid)",
        "404" => "The privacy policy has no such purpose (unknown_purpose)",
        "408" => "The body arrived too slowly (body_timeout)",
        "413" => "The body is larger than 1 MiB (body_too_large)",
        "415" => "The body is not JSON (unsupported_media_type)",
        "422" => "The JSON has another shape, or the law requires the purpose (invalid_body, cannot_be_limited)",
        "429" => "Too many writes from this client address; see Retry-After (too_many_requests)",
    }
);
problems!(
    /// A read of the signed-in buyer's own data.
    ProblemsSignedInRead {
        "401" => "Not signed in, or the session has ended (not_signed_in)",
    }
);
problems!(
    /// The signed-in buyer's data export.
    ProblemsExport {
        "400" => "format is neither json nor csv, or the query string is not valid (unknown_format, invalid_encoding)",
        "401" => "Not signed in, or the session has ended (not_signed_in)",
        "403" => "A browser says another site started the download (cross_site_request)",
        "409" => "The buyer objected to or restricted processing for answering their requests, so nothing is opened (processing_limited)",
        "414" => "The query string is longer than 4096 bytes (query_too_long)",
    }
);
problems!(
    /// An unknown province.
    ProblemsProvince {
        "404" => "No province has this code (unknown_province)",
    }
);

/// The query of `GET /api/v1/products`, documented from the parsers `ListQuery::parse` uses.
pub struct ProductListParams;

fn query_param(name: &str, schema: RefOr<utoipa::openapi::Schema>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(schema))
        .build()
}

/// A category filter: a category slug, or empty for every category.
fn category_filter_schema() -> RefOr<utoipa::openapi::Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^$|{SLUG_PATTERN}")))
        .max_length(Some(SLUG_MAX))
        .description(Some(
            "A category's slug. Empty or absent: every category. An unknown category answers 404.",
        ))
        .into()
}

/// `schema`, or an empty value, which the list parser reads as "not given" (the storefront's
/// forms send empty fields).
fn or_empty(schema: RefOr<utoipa::openapi::Schema>) -> RefOr<utoipa::openapi::Schema> {
    AnyOfBuilder::new()
        .item(schema)
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([""]))
                .description(Some("Empty: the default.")),
        )
        .into()
}

impl IntoParams for ProductListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            query_param("q", search_text_schema()),
            query_param("category", category_filter_schema()),
            query_param("sort", or_empty(SortOrder::schema())),
            query_param("page", or_empty(Page::schema())),
            query_param("per_page", or_empty(PerPage::schema())),
        ]
    }
}
