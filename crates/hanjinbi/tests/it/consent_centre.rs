//! The consent centre of a signed-in account, through the API: consent given and withdrawn as
//! easily, per purpose, with the policy version and exact wording; objections and
//! restrictions of any purpose the law does not require; each reaching every record of the
//! address at once, refused by the gate from that moment, and audited.

use crate::accounts::verified_account;
use crate::checkout::{buyer, checkout};
use crate::privacy_proofs::assert_audit_intact;
use crate::support::{assert_problem, cart_with, spawn, TestApp};
use hanjinbi_privacy::gate::{items, GateError, PersonalItem};
use hanjinbi_privacy::policy::{LegalBasis, Policy, PurposeId};
use hanjinbi_privacy::Principal;
use serde_json::{json, Value};

const EMAIL: &str = "thu.trang@example.vn";

fn policy(app: &TestApp) -> &Policy {
    app.server.services.gate.policy()
}

/// Every purpose a buyer may object to or restrict: all but those the law requires.
fn limitable(policy: &Policy) -> Vec<PurposeId> {
    policy
        .purposes()
        .filter(|p| p.basis() != LegalBasis::LegalObligation)
        .map(|p| p.id())
        .collect()
}

async fn centre(app: &TestApp, bearer: &str) -> Value {
    let r = app
        .http
        .get(app.url("/api/v1/me/consents"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

async fn put(app: &TestApp, bearer: &str, path: &str, body: Value) -> reqwest::Response {
    app.http
        .put(app.url(path))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// `PUT` that must succeed; the consent centre it answers with.
async fn put_ok(app: &TestApp, bearer: &str, path: &str, body: Value) -> Value {
    let r = put(app, bearer, path, body).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.json().await.unwrap()
}

async fn set_consent(app: &TestApp, bearer: &str, purpose: PurposeId, granted: bool) -> Value {
    put_ok(
        app,
        bearer,
        &format!("/api/v1/me/consents/{}", purpose.code()),
        json!({ "granted": granted }),
    )
    .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Objection,
    Restriction,
}

impl Limit {
    fn path(self, purpose: PurposeId) -> String {
        match self {
            Limit::Objection => format!("/api/v1/me/objections/{}", purpose.code()),
            Limit::Restriction => format!("/api/v1/me/restrictions/{}", purpose.code()),
        }
    }

    fn body(self, on: bool) -> Value {
        match self {
            Limit::Objection => json!({ "objected": on }),
            Limit::Restriction => json!({ "restricted": on }),
        }
    }

    /// The flag of the consent centre's `limits` entry.
    fn flag(self) -> &'static str {
        match self {
            Limit::Objection => "objected",
            Limit::Restriction => "restricted",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Limit::Objection => "objection",
            Limit::Restriction => "restriction",
        }
    }
}

async fn set_limit(
    app: &TestApp,
    bearer: &str,
    kind: Limit,
    purpose: PurposeId,
    on: bool,
) -> Value {
    put_ok(app, bearer, &kind.path(purpose), kind.body(on)).await
}

fn entry(list: &Value, purpose: PurposeId) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["purpose"] == purpose.code())
        .unwrap_or_else(|| panic!("{} is listed", purpose.code()))
}

/// The account holder of the session `bearer`.
async fn holder(app: &TestApp, bearer: &str) -> Principal {
    app.server
        .services
        .accounts
        .session(bearer)
        .await
        .unwrap()
        .principal
}

/// A guest order placed through the API.
struct Guest {
    number: String,
    token: String,
    id: String,
    subject: String,
}

async fn guest_order(app: &TestApp, email: &str) -> Guest {
    let cart = cart_with(app, "AKG2L-DEN-M", 1).await;
    let r = checkout(app, &cart, buyer(email)).await;
    assert_eq!(r.status().as_u16(), 201);
    let placed: Value = r.json().await.unwrap();
    let number = placed["number"].as_str().unwrap().to_owned();
    let row = app
        .server
        .services
        .db
        .raw_row(
            "SELECT id, buyer_id FROM orders WHERE number = $1",
            &[(&number).into()],
        )
        .await
        .unwrap();
    Guest {
        number,
        token: placed["lookup_token"].as_str().unwrap().to_owned(),
        id: row.get("id").unwrap(),
        subject: row.get("buyer_id").unwrap(),
    }
}

async fn as_guest(app: &TestApp, order: &Guest) -> Principal {
    app.server
        .services
        .gate
        .buyer_of_order(&order.number, &order.token)
        .await
        .unwrap()
        .0
}

/// The mailer of the order's confirmation, still waiting: the system acting for the guest
/// record.
async fn as_order_mailer(app: &TestApp, order: &Guest) -> Principal {
    let id: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT id FROM outbox WHERE order_id = $1 AND sent_at IS NULL",
            &[(&order.id).into()],
        )
        .await
        .unwrap();
    app.server.services.gate.mailer_for(id).await.unwrap().0
}

/// The mailer of a password-reset link asked for now: the system acting for the account.
async fn as_account_mailer(app: &TestApp, email: &str, subject: &str) -> Principal {
    let r = app
        .http
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let id: i64 = app
        .server
        .services
        .db
        .raw_one(
            "SELECT o.id FROM outbox o JOIN accounts a ON a.id = o.account_id \
             WHERE a.subject_id = $1 AND o.sent_at IS NULL ORDER BY o.id DESC LIMIT 1",
            &[subject.into()],
        )
        .await
        .unwrap();
    app.server.services.gate.mailer_for(id).await.unwrap().0
}

/// A verified grant on a guest record. No feature confirms a guest record's grant yet; this
/// row stands for one, so that what a withdrawal or a limit does to the guest record shows at
/// the gate rather than being hidden by the missing consent.
async fn confirmed_guest_grant(app: &TestApp, subject: &str, purpose: PurposeId) {
    let policy = policy(app);
    let wording = policy
        .purpose(purpose)
        .consent_wording()
        .unwrap()
        .vi()
        .to_owned();
    app.server
        .services
        .db
        .raw_execute(
            "INSERT INTO consents (subject_id, purpose, granted, policy_version, wording, \
             channel, at, verified) VALUES ($1, $2, $3, $4, $5, 'web', 1, $6)",
            &[
                subject.into(),
                purpose.code().into(),
                true.into(),
                policy.version().into(),
                wording.into(),
                true.into(),
            ],
        )
        .await
        .unwrap();
}

/// What the gate answers `principal` asking for `item` for `purpose`, in a word.
async fn outcome(
    app: &TestApp,
    principal: &Principal,
    purpose: PurposeId,
    item: PersonalItem,
) -> String {
    let gate = &app.server.services.gate;
    let result = match item {
        PersonalItem::BuyerEmail => gate
            .open::<items::BuyerEmail>(principal, purpose, 0)
            .await
            .map(drop),
        PersonalItem::BuyerName => gate
            .open::<items::BuyerName>(principal, purpose, 0)
            .await
            .map(drop),
        PersonalItem::BuyerPhone => gate
            .open::<items::BuyerPhone>(principal, purpose, 0)
            .await
            .map(drop),
        PersonalItem::ShipTo => gate
            .open::<items::ShipTo>(principal, purpose, 0)
            .await
            .map(drop),
        PersonalItem::OrderNote => gate
            .open::<items::Note>(principal, purpose, 0)
            .await
            .map(drop),
        PersonalItem::AccountEmail => gate
            .open::<items::AccountEmail>(principal, purpose, 0)
            .await
            .map(drop),
        other => panic!("{other:?} is not asked for here"),
    };
    match result {
        Ok(()) => "opened".to_owned(),
        Err(GateError::Limited(p)) => {
            assert_eq!(p, purpose.code());
            "limited".to_owned()
        }
        Err(GateError::Denied(_)) => "denied".to_owned(),
        Err(GateError::NoConsent(_)) => "no_consent".to_owned(),
        Err(GateError::NotFound) => "not_found".to_owned(),
        Err(other) => format!("{other}"),
    }
}

/// The newest audit entry.
async fn last_entry(app: &TestApp) -> (String, String, String, String) {
    let row = app
        .server
        .services
        .db
        .raw_row(
            "SELECT action, who, purpose, subject FROM audit_log ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    (
        row.get("action").unwrap(),
        row.get("who").unwrap(),
        row.get("purpose").unwrap(),
        row.get("subject").unwrap(),
    )
}

async fn count(app: &TestApp, sql: &str, subject: &str) -> i64 {
    app.server
        .services
        .db
        .raw_one(sql, &[subject.into()])
        .await
        .unwrap()
}

async fn subject_of(app: &TestApp, bearer: &str) -> String {
    app.server
        .services
        .accounts
        .session(bearer)
        .await
        .unwrap()
        .account
        .subject_id
}

#[tokio::test]
async fn the_centre_lists_every_consent_purpose_with_its_wording_and_version() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let policy = policy(&app);
    for (lang, pick) in [("vi", 0), ("en", 1)] {
        let r = app
            .http
            .get(app.url(&format!("/api/v1/me/consents?lang={lang}")))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let listed: Value = r.json().await.unwrap();
        assert_eq!(listed["policy_version"], policy.version());
        assert!(
            listed.get("csrf_token").is_none(),
            "a bearer needs no form token"
        );
        let consents = listed["consents"].as_array().unwrap();
        let expected: Vec<_> = policy.consent_purposes().collect();
        assert!(!expected.is_empty());
        assert_eq!(consents.len(), expected.len());
        for (shown, purpose) in consents.iter().zip(&expected) {
            let (wording, label) = if pick == 0 {
                (purpose.wording().vi(), purpose.purpose().label().vi())
            } else {
                (purpose.wording().en(), purpose.purpose().label().en())
            };
            assert_eq!(shown["purpose"], purpose.id().code());
            assert_eq!(shown["wording"], wording);
            assert_eq!(shown["label"], label);
            assert_eq!(shown["state"], "never_asked");
            assert_eq!(shown["needs_answer"], false);
            assert!(shown["decided_at"].is_null());
            assert_eq!(shown["history"], json!([]));
        }
        let limits = listed["limits"].as_array().unwrap();
        let codes: Vec<&str> = limits
            .iter()
            .map(|l| l["purpose"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = limitable(policy).iter().map(|p| p.code()).collect();
        assert_eq!(codes, expected, "every purpose but those the law requires");
        assert!(!codes.contains(&"legal_obligations"));
        for l in limits {
            assert_eq!(
                (&l["objected"], &l["restricted"]),
                (&json!(false), &json!(false))
            );
        }
    }
    // Not signed in: nothing to show.
    let r = app.get("/api/v1/me/consents").await;
    assert_problem(r, 401, "not_signed_in").await;
}

#[tokio::test]
async fn a_grant_and_a_withdrawal_take_one_call_each_and_the_history_keeps_both_in_order() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let subject = subject_of(&app, &bearer).await;
    // A guest order with the same address, the marketing box ticked (which proved nothing),
    // and one of somebody else.
    let guest = guest_order(&app, EMAIL).await;
    let stranger = guest_order(&app, "nguoi.khac@example.vn").await;
    let policy = policy(&app);
    let wording = policy
        .purpose(PurposeId::Marketing)
        .consent_wording()
        .unwrap()
        .vi();

    let granted = set_consent(&app, &bearer, PurposeId::Marketing, true).await;
    let marketing = entry(&granted["consents"], PurposeId::Marketing);
    assert_eq!(marketing["state"], "granted");
    assert_eq!(marketing["decided_under_version"], policy.version());
    assert_eq!(marketing["decided_wording"], wording);
    assert!(marketing["decided_at"].is_string());
    assert_eq!(marketing["history"].as_array().unwrap().len(), 1);
    assert_eq!(
        entry(&granted["consents"], PurposeId::Suggestions)["state"],
        "never_asked",
        "one purpose at a time"
    );

    let withdrawn = set_consent(&app, &bearer, PurposeId::Marketing, false).await;
    let marketing = entry(&withdrawn["consents"], PurposeId::Marketing);
    assert_eq!(marketing["state"], "withdrawn");
    assert_eq!(marketing["needs_answer"], false);
    let history = marketing["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["granted"], false, "newest first");
    assert_eq!(history[1]["granted"], true);
    for decision in history {
        assert_eq!(decision["verified"], true);
        assert_eq!(decision["policy_version"], policy.version());
        assert_eq!(decision["wording"], wording);
        assert_eq!(decision["channel"], "api");
    }
    assert_eq!(
        centre(&app, &bearer).await,
        withdrawn,
        "GET shows what PUT answered"
    );

    // The withdrawal reached the guest record; the grant did not.
    let guest_rows = app
        .server
        .services
        .db
        .raw_rows(
            "SELECT granted, verified FROM consents WHERE subject_id = $1 AND purpose = $2 \
             ORDER BY id",
            &[(&guest.subject).into(), "marketing".into()],
        )
        .await
        .unwrap();
    let guest_rows: Vec<(bool, bool)> = guest_rows
        .iter()
        .map(|r| (r.get("granted").unwrap(), r.get("verified").unwrap()))
        .collect();
    assert_eq!(
        guest_rows,
        [(true, false), (false, true)],
        "the checkout's unverified tick, then the account's withdrawal"
    );
    let strangers = count(
        &app,
        "SELECT COUNT(*) AS n FROM consents WHERE subject_id = $1 AND verified",
        &stranger.subject,
    )
    .await;
    assert_eq!(strangers, 0, "another address's record is not touched");

    // Each decision is in the audit log, by the account, on every record it was written on.
    let who = format!(
        "account:{}",
        app.server
            .services
            .accounts
            .session(&bearer)
            .await
            .unwrap()
            .account
            .id
    );
    let rows = app
        .server
        .services
        .db
        .raw_rows(
            "SELECT subject, fields FROM audit_log WHERE who = $1 AND action = 'consent' \
             ORDER BY seq",
            &[(&who).into()],
        )
        .await
        .unwrap();
    let entries: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.get("subject").unwrap(), r.get("fields").unwrap()))
        .collect();
    assert_eq!(
        entries,
        [
            (subject.clone(), "granted".to_owned()),
            (subject.clone(), "refused".to_owned()),
            (guest.subject.clone(), "refused".to_owned()),
        ]
    );
    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn a_withdrawal_takes_effect_at_once_for_the_account_and_every_guest_record() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let subject = subject_of(&app, &bearer).await;
    let guest = guest_order(&app, EMAIL).await;
    confirmed_guest_grant(&app, &guest.subject, PurposeId::Marketing).await;
    let account_holder = holder(&app, &bearer).await;
    let account_mailer = as_account_mailer(&app, EMAIL, &subject).await;
    let guest_buyer = as_guest(&app, &guest).await;
    let guest_mailer = as_order_mailer(&app, &guest).await;
    let marketing = PurposeId::Marketing;

    set_consent(&app, &bearer, marketing, true).await;
    // Marketing is the system's to act for, never the buyer's own.
    let before = [
        outcome(&app, &account_holder, marketing, PersonalItem::AccountEmail).await,
        outcome(&app, &account_mailer, marketing, PersonalItem::AccountEmail).await,
        outcome(&app, &guest_buyer, marketing, PersonalItem::BuyerEmail).await,
        outcome(&app, &guest_mailer, marketing, PersonalItem::BuyerEmail).await,
    ];
    assert_eq!(before, ["denied", "opened", "denied", "opened"]);

    set_consent(&app, &bearer, marketing, false).await;
    assert_eq!(
        outcome(&app, &account_holder, marketing, PersonalItem::AccountEmail).await,
        "denied"
    );
    assert_eq!(
        outcome(&app, &account_mailer, marketing, PersonalItem::AccountEmail).await,
        "no_consent"
    );
    assert_eq!(
        last_entry(&app).await,
        (
            "deny".to_owned(),
            account_mailer.who(),
            "marketing".to_owned(),
            subject.clone()
        ),
        "the refusal is in the audit log"
    );
    assert_eq!(
        outcome(&app, &guest_buyer, marketing, PersonalItem::BuyerEmail).await,
        "denied"
    );
    assert_eq!(
        outcome(&app, &guest_mailer, marketing, PersonalItem::BuyerEmail).await,
        "no_consent",
        "the guest record's confirmed grant is withdrawn too"
    );
    assert_eq!(
        last_entry(&app).await,
        (
            "deny".to_owned(),
            guest_mailer.who(),
            "marketing".to_owned(),
            guest.subject.clone()
        )
    );
    // Order fulfilment never rested on that consent.
    assert_eq!(
        outcome(
            &app,
            &guest_buyer,
            PurposeId::OrderFulfilment,
            PersonalItem::ShipTo
        )
        .await,
        "opened"
    );

    // Granting again counts for the account at once, and is not copied onto the guest record.
    set_consent(&app, &bearer, marketing, true).await;
    assert_eq!(
        outcome(&app, &account_mailer, marketing, PersonalItem::AccountEmail).await,
        "opened"
    );
    assert_eq!(
        outcome(&app, &guest_mailer, marketing, PersonalItem::BuyerEmail).await,
        "no_consent"
    );
    assert_audit_intact(&app).await;
}

#[tokio::test]
async fn a_grant_under_earlier_wording_asks_again_and_counts_until_answered() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let subject = subject_of(&app, &bearer).await;
    let account_mailer = as_account_mailer(&app, EMAIL, &subject).await;
    // A grant given under a version whose box said something else.
    app.server
        .services
        .db
        .raw_execute(
            "INSERT INTO consents (subject_id, purpose, granted, policy_version, wording, \
             channel, at, verified) VALUES ($1, 'marketing', $2, '2026-11-24', \
             'Tôi đồng ý nhận thư quảng cáo.', 'web', 1, $3)",
            &[(&subject).into(), true.into(), true.into()],
        )
        .await
        .unwrap();
    let listed = centre(&app, &bearer).await;
    let marketing = entry(&listed["consents"], PurposeId::Marketing);
    assert_eq!(marketing["needs_answer"], true);
    assert_eq!(
        marketing["state"], "granted",
        "the policy has no rule that ends it"
    );
    assert_eq!(marketing["decided_under_version"], "2026-11-24");
    assert_eq!(
        marketing["decided_wording"],
        "Tôi đồng ý nhận thư quảng cáo."
    );
    assert_eq!(
        outcome(
            &app,
            &account_mailer,
            PurposeId::Marketing,
            PersonalItem::AccountEmail
        )
        .await,
        "opened",
        "until the buyer answers, the earlier grant counts"
    );
    assert_eq!(
        entry(&listed["consents"], PurposeId::Suggestions)["needs_answer"],
        false
    );

    // Answering, either way, settles it. In English, the English wording is recorded.
    let r = app
        .http
        .put(app.url("/api/v1/me/consents/marketing?lang=en"))
        .bearer_auth(&bearer)
        .json(&json!({"granted": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let answered: Value = r.json().await.unwrap();
    let marketing = entry(&answered["consents"], PurposeId::Marketing);
    assert_eq!(marketing["needs_answer"], false);
    assert_eq!(
        marketing["decided_wording"],
        policy(&app)
            .purpose(PurposeId::Marketing)
            .consent_wording()
            .unwrap()
            .en()
    );
    assert_eq!(marketing["history"].as_array().unwrap().len(), 2);
}

/// `kind` on `purpose` makes the gate refuse it, for the account and for a guest order of the
/// same address, whoever acts for it; lifting it gives back exactly what the gate answered
/// before. Every personal item is asked for by the buyer and by the system on both records:
/// where the policy refuses the actor or the item, it still does, and the limit is never
/// needed; everywhere else the answer under the limit is the limit.
async fn a_limit_refuses_until_lifted(purpose: PurposeId, kind: Limit) {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let subject = subject_of(&app, &bearer).await;
    let guest = guest_order(&app, EMAIL).await;
    let stranger = guest_order(&app, "nguoi.khac@example.vn").await;
    let policy = policy(&app);
    if policy.purpose(purpose).needs_consent() {
        set_consent(&app, &bearer, purpose, true).await;
        confirmed_guest_grant(&app, &guest.subject, purpose).await;
    }
    let principals = [
        ("account holder", holder(&app, &bearer).await),
        (
            "account mailer",
            as_account_mailer(&app, EMAIL, &subject).await,
        ),
        ("guest buyer", as_guest(&app, &guest).await),
        ("guest mailer", as_order_mailer(&app, &guest).await),
    ];
    let stranger_buyer = as_guest(&app, &stranger).await;
    let asked = [
        PersonalItem::AccountEmail,
        PersonalItem::BuyerEmail,
        PersonalItem::BuyerName,
        PersonalItem::BuyerPhone,
        PersonalItem::ShipTo,
        PersonalItem::OrderNote,
    ];
    let allowed = |principal: &Principal, item: PersonalItem| {
        let rule = policy.purpose(purpose);
        rule.may_act(principal.actor()) && item.categories().iter().all(|c| rule.may_read(*c))
    };

    let mut before = Vec::new();
    for (_, principal) in &principals {
        for item in asked {
            before.push(outcome(&app, principal, purpose, item).await);
        }
    }
    let stranger_before = outcome(&app, &stranger_buyer, purpose, PersonalItem::BuyerEmail).await;

    let set = set_limit(&app, &bearer, kind, purpose, true).await;
    let shown = entry(&set["limits"], purpose);
    assert_eq!(shown[kind.flag()], true);
    assert!(shown[format!("{}_since", kind.flag())].is_string());
    for (other, _) in [("objected", 0), ("restricted", 1)] {
        if other != kind.flag() {
            assert_eq!(shown[other], false, "the other kind is not set");
        }
    }
    let mut answers = before.iter();
    let mut limited = 0;
    for (name, principal) in &principals {
        for item in asked {
            let was = answers.next().unwrap();
            let now = outcome(&app, principal, purpose, item).await;
            if allowed(principal, item) {
                assert_eq!(now, "limited", "{name} asking for {item:?} ({was} before)");
                assert_eq!(
                    last_entry(&app).await,
                    (
                        "deny".to_owned(),
                        principal.who(),
                        purpose.code().to_owned(),
                        principal.subject().unwrap().to_owned()
                    ),
                    "the refusal of {name} is audited"
                );
                limited += 1;
            } else {
                assert_eq!(
                    &now, was,
                    "{name} asking for {item:?}: the policy decides first"
                );
                assert_eq!(now, "denied");
            }
        }
    }
    let allowed_anywhere = principals
        .iter()
        .any(|(_, p)| asked.iter().any(|i| allowed(p, *i)));
    assert_eq!(
        limited > 0,
        allowed_anywhere,
        "every opening the policy allows is limited"
    );
    assert_eq!(
        outcome(&app, &stranger_buyer, purpose, PersonalItem::BuyerEmail).await,
        stranger_before,
        "another address's record is not limited"
    );

    let lifted = set_limit(&app, &bearer, kind, purpose, false).await;
    assert_eq!(entry(&lifted["limits"], purpose)[kind.flag()], false);
    let mut after = Vec::new();
    for (_, principal) in &principals {
        for item in asked {
            after.push(outcome(&app, principal, purpose, item).await);
        }
    }
    assert_eq!(after, before, "lifted, the gate answers as it did before");
    if allowed_anywhere {
        assert!(
            after.iter().any(|a| a == "opened"),
            "where the policy allows it, the purpose goes through again: {after:?}"
        );
    }

    // Set and lifted on both records, each change audited once per record.
    let changes = app
        .server
        .services
        .db
        .raw_rows(
            "SELECT subject, fields FROM audit_log WHERE action = 'consent' AND purpose = $1 \
             AND fields LIKE $2 ORDER BY seq",
            &[purpose.code().into(), format!("{}_%", kind.code()).into()],
        )
        .await
        .unwrap();
    let changes: Vec<(String, String)> = changes
        .iter()
        .map(|r| (r.get("subject").unwrap(), r.get("fields").unwrap()))
        .collect();
    let on = format!("{}_on", kind.code());
    let off = format!("{}_off", kind.code());
    assert_eq!(
        changes,
        [
            (subject.clone(), on.clone()),
            (guest.subject.clone(), on),
            (subject.clone(), off.clone()),
            (guest.subject.clone(), off),
        ]
    );
    assert_audit_intact(&app).await;
}

macro_rules! limit_tests {
    ($kind:expr, $tested:ident { $($name:ident => $purpose:ident,)+ }) => {
        $(
            #[tokio::test]
            async fn $name() {
                a_limit_refuses_until_lifted(PurposeId::$purpose, $kind).await;
            }
        )+
        const $tested: &[PurposeId] = &[$(PurposeId::$purpose),+];
    };
}

limit_tests!(Limit::Objection, OBJECTIONS_TESTED {
    an_objection_to_order_fulfilment_refuses_it_until_lifted => OrderFulfilment,
    an_objection_to_answering_requests_refuses_it_until_lifted => AnsweringRequests,
    an_objection_to_suggestions_refuses_it_until_lifted => Suggestions,
    an_objection_to_marketing_refuses_it_until_lifted => Marketing,
    an_objection_to_service_improvement_refuses_it_until_lifted => ServiceImprovement,
    an_objection_to_dispute_resolution_refuses_it_until_lifted => DisputeResolution,
    an_objection_to_preventing_unlawful_activity_refuses_it_until_lifted => PreventingUnlawfulActivity,
});

limit_tests!(Limit::Restriction, RESTRICTIONS_TESTED {
    a_restriction_of_order_fulfilment_refuses_it_until_lifted => OrderFulfilment,
    a_restriction_of_answering_requests_refuses_it_until_lifted => AnsweringRequests,
});

#[test]
fn every_purpose_but_legal_obligations_has_its_objection_test() {
    let policy = Policy::embedded().unwrap();
    assert_eq!(OBJECTIONS_TESTED, limitable(&policy).as_slice());
    assert!(RESTRICTIONS_TESTED
        .iter()
        .all(|p| limitable(&policy).contains(p)));
}

#[tokio::test]
async fn an_objection_and_a_restriction_are_lifted_one_at_a_time() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let guest = guest_order(&app, EMAIL).await;
    let buyer = as_guest(&app, &guest).await;
    let fulfilment = PurposeId::OrderFulfilment;
    set_limit(&app, &bearer, Limit::Objection, fulfilment, true).await;
    let both = set_limit(&app, &bearer, Limit::Restriction, fulfilment, true).await;
    let shown = entry(&both["limits"], fulfilment);
    assert_eq!(
        (&shown["objected"], &shown["restricted"]),
        (&json!(true), &json!(true))
    );
    // Setting it again changes nothing: no second row, the same `since`, no audit entry.
    let audited = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_log WHERE subject = $1 AND action = 'consent'",
        &guest.subject,
    )
    .await;
    let again = set_limit(&app, &bearer, Limit::Objection, fulfilment, true).await;
    assert_eq!(entry(&again["limits"], fulfilment), shown);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_log WHERE subject = $1 AND action = 'consent'",
            &guest.subject,
        )
        .await,
        audited
    );

    set_limit(&app, &bearer, Limit::Objection, fulfilment, false).await;
    assert_eq!(
        outcome(&app, &buyer, fulfilment, PersonalItem::ShipTo).await,
        "limited",
        "the restriction still holds"
    );
    // The order's own page says so, rather than failing.
    let r = app
        .http
        .get(app.url(&format!("/api/v1/orders/{}", guest.number)))
        .header("x-order-token", &guest.token)
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "processing_limited").await;
    set_limit(&app, &bearer, Limit::Restriction, fulfilment, false).await;
    assert_eq!(
        outcome(&app, &buyer, fulfilment, PersonalItem::ShipTo).await,
        "opened"
    );
    let r = app
        .http
        .get(app.url(&format!("/api/v1/orders/{}", guest.number)))
        .header("x-order-token", &guest.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// The rows and audit entries a consent centre call could write.
async fn footprint(app: &TestApp) -> [i64; 3] {
    let db = &app.server.services.db;
    [
        db.raw_one("SELECT COUNT(*) AS n FROM consents", &[])
            .await
            .unwrap(),
        db.raw_one("SELECT COUNT(*) AS n FROM processing_limits", &[])
            .await
            .unwrap(),
        db.raw_one(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'consent'",
            &[],
        )
        .await
        .unwrap(),
    ]
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    let app = spawn().await;
    let bearer = verified_account(&app, EMAIL).await;
    let guest = guest_order(&app, EMAIL).await;
    let before = footprint(&app).await;
    let listed = centre(&app, &bearer).await;

    for path in [
        "/api/v1/me/consents/newsletter",
        "/api/v1/me/objections/newsletter",
        "/api/v1/me/restrictions/Marketing",
        "/api/v1/me/consents/%FF",
    ] {
        let body = json!({"granted": true, "objected": true, "restricted": true});
        let r = put(&app, &bearer, path, body.clone()).await;
        // The body names every field; the route refuses the ones not its own first.
        assert_problem(r, 422, "invalid_body").await;
        let field = if path.contains("consents") {
            "granted"
        } else if path.contains("objections") {
            "objected"
        } else {
            "restricted"
        };
        let r = put(&app, &bearer, path, json!({ field: true })).await;
        assert_problem(r, 404, "unknown_purpose").await;
    }
    let r = put(
        &app,
        &bearer,
        "/api/v1/me/consents/order_fulfilment",
        json!({"granted": false}),
    )
    .await;
    assert_problem(r, 422, "not_a_consent_purpose").await;
    for kind in [Limit::Objection, Limit::Restriction] {
        let r = put(
            &app,
            &bearer,
            &kind.path(PurposeId::LegalObligations),
            kind.body(true),
        )
        .await;
        assert_problem(r, 422, "cannot_be_limited").await;
    }
    for body in [
        json!({"granted": "yes"}),
        json!({}),
        json!({"objected": true}),
        json!({"granted": null}),
    ] {
        let r = put(&app, &bearer, "/api/v1/me/consents/marketing", body).await;
        assert_problem(r, 422, "invalid_body").await;
    }
    let r = app
        .http
        .put(app.url("/api/v1/me/objections/marketing"))
        .bearer_auth(&bearer)
        .header("content-type", "application/json")
        .body("{\"objected\": tr")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "malformed_json").await;
    let r = app
        .http
        .put(app.url("/api/v1/me/restrictions/marketing"))
        .bearer_auth(&bearer)
        .body("restricted=true")
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, "unsupported_media_type").await;
    let r = app
        .http
        .put(app.url("/api/v1/me/consents/marketing"))
        .json(&json!({"granted": true}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "not_signed_in").await;

    // The same session carried by the cookie needs its form token for every change.
    let http = reqwest::Client::new();
    let cookie = format!("hj_session={bearer}");
    let with_cookie: Value = http
        .get(app.url("/api/v1/me/consents"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form_token = with_cookie["csrf_token"].as_str().unwrap().to_owned();
    for kind in ["consents", "objections", "restrictions"] {
        for presented in [None, Some("forged"), Some(&form_token[1..])] {
            let mut request = http
                .put(app.url(&format!("/api/v1/me/{kind}/marketing")))
                .header("cookie", &cookie)
                .json(&json!({"granted": false, "objected": true, "restricted": true}));
            if let Some(token) = presented {
                request = request.header("x-csrf-token", token);
            }
            assert_problem(request.send().await.unwrap(), 403, "form_token_invalid").await;
        }
    }

    assert_eq!(footprint(&app).await, before, "nothing was written");
    assert_eq!(centre(&app, &bearer).await, listed, "nothing changed");

    // With the token, the cookie session changes what it asks for.
    let r = http
        .put(app.url("/api/v1/me/objections/marketing"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &form_token)
        .json(&json!({"objected": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(
        entry(&done["limits"], PurposeId::Marketing)["objected"],
        true
    );
    assert_eq!(done["csrf_token"], form_token.as_str());

    // A limit on a purpose the law requires is never honoured, even if one were stored.
    app.server
        .services
        .db
        .raw_execute(
            "INSERT INTO processing_limits (subject_id, purpose, kind, since) \
             VALUES ($1, 'legal_obligations', 'objection', 1)",
            &[(&guest.subject).into()],
        )
        .await
        .unwrap();
    let mailer = as_order_mailer(&app, &guest).await;
    assert_eq!(
        outcome(
            &app,
            &mailer,
            PurposeId::LegalObligations,
            PersonalItem::BuyerEmail
        )
        .await,
        "opened"
    );
}
