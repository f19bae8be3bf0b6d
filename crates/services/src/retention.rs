//! Storage limitation (Law 91/2025/QH15): a guest buyer, without an account, cannot easily come
//! back to erase their data, so the records made with a guest's email address go on their own
//! once the policy's period from the *last* order placed with the address has ended (three
//! years: the limitation period for contract disputes, Civil Code Art. 429). They are erased
//! exactly as an erasure request erases them: every data key of the address's buyer records
//! destroyed, the records deleted, the orders kept as transaction records without identity. An
//! address a verified account holds is kept until the account is erased; an account never
//! verified goes with the address's records. No email is sent: nobody asked.
//!
//! The server runs [`Retention::run`] once a day ([`Retention::run_every`]); an operator can run
//! it with `hanjinbi retention run`.

use crate::Clock;
use hanjinbi_domain::deadline::{day_in_vietnam, VIETNAM};
use hanjinbi_privacy::audit::{AuditBatch, AuditError};
use hanjinbi_privacy::gate::Gate;
use hanjinbi_privacy::policy::{DataCategory, DateOutOfRange, Policy, Retention as Rule};
use hanjinbi_privacy::records::{self, RecordError};
use hanjinbi_store::{accounts, erasure, Db, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// Who the audit entries of a retention run name.
pub const WHO: &str = "system:retention";

/// Addresses erased per write transaction: a long run never holds the write lock long, and
/// checkouts go on between batches.
pub const BATCH: u32 = 200;

/// Due addresses read per statement, in index order: a first run over a large backlog reads
/// it in few statements (finding them aggregates every order of the addresses not yet read),
/// holding only their blind indexes in memory.
pub const READ_PAGE: u32 = 10_000;

/// What a guest's buyer record holds: the categories whose rule decides when it goes.
pub const GUEST_CATEGORIES: [DataCategory; 3] = [
    DataCategory::Contact,
    DataCategory::Identity,
    DataCategory::Address,
];

/// What a run erased, in counts: never an index, an id or a value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Addresses whose records were erased.
    pub addresses: u64,
    /// Data subjects erased: guest buyer records, and accounts never verified.
    pub records: u64,
    /// Orders kept as transaction records, now without identity.
    pub orders_kept: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// A guest's record is erased whole (one data key), so its categories cannot be kept for
    /// different periods.
    #[error(
        "the policy keeps the categories of a guest's record for different periods (contact: \
         {contact}; identity: {identity}; address: {address}); a guest's record is erased whole, \
         so they must agree: nothing was erased"
    )]
    CategoriesDisagree {
        contact: String,
        identity: String,
        address: String,
    },
    /// A rule for the guest categories that this job does not carry out.
    #[error(
        "the policy keeps a guest's record {0}; only a period from the last order, or until \
         erasure, is carried out for it: nothing was erased"
    )]
    UnsupportedRule(String),
    #[error("the clock ({0} s since the epoch) is outside the calendar")]
    Clock(i64),
    #[error("the retention period reaches past the dates the calendar can hold")]
    Date(#[from] DateOutOfRange),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

#[derive(Clone)]
pub struct Retention {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
}

impl Retention {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate) -> Retention {
        Retention { db, clock, gate }
    }

    /// Erases the records of every guest address due at `now`, in batches of [`BATCH`]
    /// addresses (read [`READ_PAGE`] at a time), one write transaction each with its audit
    /// entries (one per erased subject, by [`WHO`]). Logs the counts, and on failure the error
    /// too; what earlier batches erased stays erased, and the next run takes up the rest.
    pub async fn run(&self, now: i64) -> Result<RetentionReport, RetentionError> {
        let mut report = RetentionReport::default();
        let outcome = self.erase_due(now, &mut report).await;
        let RetentionReport {
            addresses,
            records,
            orders_kept,
        } = report;
        match &outcome {
            Ok(()) => tracing::info!(addresses, records, orders_kept, "retention run"),
            Err(error) => tracing::warn!(
                addresses,
                records,
                orders_kept,
                %error,
                "retention run failed; the next run tries again"
            ),
        }
        outcome.map(|()| report)
    }

    /// Runs [`Retention::run`] `first_after` from now, then every `every`, for as long as the
    /// task lives.
    pub async fn run_every(self, first_after: Duration, every: Duration) {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + first_after, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Logged by `run`, with its counts; a failed run is simply tried again next time.
            let _ = self.run(self.clock.now()).await;
        }
    }

    async fn erase_due(
        &self,
        now: i64,
        report: &mut RetentionReport,
    ) -> Result<(), RetentionError> {
        let Some(rule) = guest_rule(self.gate.policy())? else {
            return Ok(());
        };
        let Some(last_order_before) = cutoff(rule, now)? else {
            return Ok(());
        };
        let mut after: Vec<u8> = Vec::new();
        loop {
            let due =
                erasure::retention_due(&self.db, last_order_before, &after, READ_PAGE).await?;
            let Some(last) = due.last() else {
                return Ok(());
            };
            after.clone_from(last);
            for batch in due.chunks(BATCH as usize) {
                let done = self.erase_batch(batch, last_order_before, now).await?;
                report.addresses += done.addresses;
                report.records += done.records;
                report.orders_kept += done.orders_kept;
            }
            // The cut-off is fixed, so no address becomes due during the run: a short page
            // was the last.
            if due.len() < READ_PAGE as usize {
                return Ok(());
            }
        }
    }

    /// Erases the addresses of `due` that are still due, in one write transaction.
    async fn erase_batch(
        &self,
        due: &[Vec<u8>],
        last_order_before: i64,
        now: i64,
    ) -> Result<RetentionReport, RetentionError> {
        let mut done = RetentionReport::default();
        let mut tx = self.db.begin_write().await?;
        let mut audit = AuditBatch::new(WHO);
        for address in erasure::still_due_in(&mut tx, due, last_order_before).await? {
            let account = match (&address.account_id, &address.account_subject) {
                (Some(id), Some(subject)) => {
                    // Taken before it goes: on PostgreSQL an account verified by a transaction
                    // that committed since `still_due_in` read it keeps the address.
                    let locked = accounts::lock(&mut tx, id).await?;
                    match accounts::by_id_in(&mut tx, id).await? {
                        Some(row) if row.verified_at.is_some() => continue,
                        Some(_) if locked => Some((id.as_str(), subject.as_str())),
                        _ => None,
                    }
                }
                _ => None,
            };
            let erased = records::erase_expired_address(
                &mut tx,
                &address.email_index,
                account,
                now,
                &mut audit,
            )
            .await?;
            if erased.subjects > 0 {
                done.addresses += 1;
                done.records += erased.subjects;
                done.orders_kept += erased.orders_kept;
            }
        }
        if audit.is_empty() {
            tx.rollback().await?;
        } else {
            audit.write(&mut tx, &self.gate.audit_key()).await?;
            tx.commit().await?;
        }
        Ok(done)
    }
}

/// The policy's rule for a guest's record: `None` when it is kept until erasure (nothing is
/// ever due); an error when its categories disagree or the rule is not one this job keeps.
pub fn guest_rule(policy: &Policy) -> Result<Option<Rule>, RetentionError> {
    let [contact, identity, address] =
        GUEST_CATEGORIES.map(|category| policy.category(category).retention());
    if contact != identity || contact != address {
        return Err(RetentionError::CategoriesDisagree {
            contact: describe(contact),
            identity: describe(identity),
            address: describe(address),
        });
    }
    match contact {
        Rule::AfterLastOrder { .. } => Ok(Some(contact)),
        Rule::UntilErasure => Ok(None),
        Rule::Days(_) | Rule::AfterFinancialYear { .. } => {
            Err(RetentionError::UnsupportedRule(describe(contact)))
        }
    }
}

/// A rule in words for the operator (the page's words are for buyers).
fn describe(rule: Rule) -> String {
    match rule {
        Rule::UntilErasure => "until erasure".to_owned(),
        Rule::Days(days) => format!("{days} days from collection"),
        Rule::AfterFinancialYear { years, .. } => {
            format!("{years} years from the end of the financial year")
        }
        Rule::AfterLastOrder { years } => format!("{years} years from the last order"),
    }
}

/// The moment before which a last order makes its address due at `now`: the start, in
/// Vietnam's time, of the first day whose last orders are still kept (whole years back on the
/// calendar, see [`Rule::last_orders_kept_from`]). `None` for a rule that does not count from
/// the last order.
pub fn cutoff(rule: Rule, now: i64) -> Result<Option<i64>, RetentionError> {
    let today = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|at| day_in_vietnam(at).ok())
        .ok_or(RetentionError::Clock(now))?;
    Ok(rule.last_orders_kept_from(today)?.map(|first_kept| {
        first_kept
            .midnight()
            .assume_offset(VIETNAM)
            .unix_timestamp()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn three_years() -> Rule {
        Rule::AfterLastOrder {
            years: NonZeroU32::new(3).expect("non-zero"),
        }
    }

    /// Unix seconds of a moment in Vietnam's time.
    fn vietnam(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> i64 {
        let month = time::Month::try_from(month).expect("a month");
        time::Date::from_calendar_date(year, month, day)
            .expect("a date")
            .with_hms(hour, minute, 0)
            .expect("a time")
            .assume_offset(VIETNAM)
            .unix_timestamp()
    }

    #[test]
    fn the_cutoff_is_the_start_of_the_day_three_years_back_in_vietnam() {
        // 5 December 2029 at 00:30 in Vietnam is still 4 December in UTC: the day is Vietnam's.
        let cutoff = cutoff(three_years(), vietnam(2029, 12, 5, 0, 30)).expect("in range");
        assert_eq!(cutoff, Some(vietnam(2026, 12, 5, 0, 0)));
        // An order at the last minute of 4 December 2026 is due; one a minute later is not.
        let cutoff = cutoff.expect("a cut-off");
        assert!(vietnam(2026, 12, 4, 23, 59) < cutoff);
        assert!(vietnam(2026, 12, 5, 0, 0) >= cutoff);
        assert_eq!(
            super::cutoff(three_years(), vietnam(2029, 12, 4, 23, 59)).expect("in range"),
            Some(vietnam(2026, 12, 4, 0, 0))
        );
        assert_eq!(
            super::cutoff(Rule::UntilErasure, 0).expect("in range"),
            None
        );
        assert!(matches!(
            super::cutoff(three_years(), i64::MAX),
            Err(RetentionError::Clock(_))
        ));
    }

    #[test]
    fn the_policy_in_force_erases_a_guests_record_three_years_after_the_last_order() {
        let policy = Policy::embedded().expect("the policy loads");
        assert_eq!(
            guest_rule(&policy).expect("the categories agree"),
            Some(three_years())
        );
    }

    #[test]
    fn a_guests_categories_kept_for_different_periods_are_refused() {
        let text = hanjinbi_privacy::policy::EMBEDDED_POLICY_TOML.replacen(
            "retention = { from = \"last_order\", years = 3 }\nretention_reason.vi = \"Giữ cùng đơn hàng",
            "retention = { from = \"last_order\", years = 5 }\nretention_reason.vi = \"Giữ cùng đơn hàng",
            1,
        );
        let policy = Policy::from_toml(&text).expect("the policy loads");
        let error = guest_rule(&policy).expect_err("the categories disagree");
        assert_eq!(
            error.to_string(),
            "the policy keeps the categories of a guest's record for different periods (contact: \
             3 years from the last order; identity: 3 years from the last order; address: 5 \
             years from the last order); a guest's record is erased whole, so they must agree: \
             nothing was erased"
        );
        let text = hanjinbi_privacy::policy::EMBEDDED_POLICY_TOML.replace(
            "retention = { from = \"last_order\", years = 3 }",
            "retention = 1095",
        );
        let policy = Policy::from_toml(&text).expect("the policy loads");
        assert_eq!(
            guest_rule(&policy)
                .expect_err("not carried out")
                .to_string(),
            "the policy keeps a guest's record 1095 days from collection; only a period from the \
             last order, or until erasure, is carried out for it: nothing was erased"
        );
    }
}
