//! Limits on guessing and flooding the account forms: sign-in, registration, password
//! reset and erasure links, each counted per account (the address's blind index, whether or not an account
//! has it, so a refusal says nothing about registration) and per client address.
//!
//! Counted by `governor` (GCRA) in this server's memory, on the shop's [`Clock`] so tests move
//! time instead of sleeping. With several servers each counts for itself: a client spread
//! over `n` servers gets at most `n` times the allowance.

use crate::Clock;
use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// The shop's clock as governor's.
#[derive(Clone)]
struct ShopClock(Arc<dyn Clock>);

impl GovernorClock for ShopClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        // The shop's clock counts from 1970; a moment before it (a clock set wrong) counts as
        // 1970, which only makes the limits stricter until the clock is right.
        Duration::from_secs(u64::try_from(self.0.now()).unwrap_or(0))
    }
}

type Keyed<K> = RateLimiter<K, DashMapStateStore<K>, ShopClock, NoOpMiddleware<Duration>>;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    Register,
    PasswordReset,
    /// Asking for an erasure link by email.
    Erasure,
}

/// An allowance: `burst` at once, then one more every `every`.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    pub burst: u32,
    pub every: Duration,
}

impl Allowance {
    fn quota(self) -> Quota {
        // A zero burst or period would be a build mistake; one is the least that still works.
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        let every = self.every.max(Duration::from_secs(1));
        Quota::with_period(every)
            .unwrap_or(Quota::per_hour(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

/// Sign-in attempts per account: 10, then one every 90 s (40 an hour).
pub const SIGN_IN_PER_ACCOUNT: Allowance = Allowance {
    burst: 10,
    every: Duration::from_secs(90),
};
/// Sign-in attempts per client: 30, then one every 20 s.
pub const SIGN_IN_PER_CLIENT: Allowance = Allowance {
    burst: 30,
    every: Duration::from_secs(20),
};
/// Registrations per address (each sends an email): 3, then one every 20 min.
pub const REGISTER_PER_ACCOUNT: Allowance = Allowance {
    burst: 3,
    every: Duration::from_secs(1200),
};
/// Registrations per client: 10, then one every 6 min.
pub const REGISTER_PER_CLIENT: Allowance = Allowance {
    burst: 10,
    every: Duration::from_secs(360),
};
/// Reset links per address: 3, then one every 20 min.
pub const RESET_PER_ACCOUNT: Allowance = REGISTER_PER_ACCOUNT;
/// Reset requests per client: 10, then one every 6 min.
pub const RESET_PER_CLIENT: Allowance = REGISTER_PER_CLIENT;
// Erasure links are limited as reset links are: each sends an email to the address.

struct Pair {
    per_account: Keyed<Vec<u8>>,
    per_client: Keyed<IpAddr>,
}

/// The limiters of the account forms.
#[derive(Clone)]
pub struct Throttle {
    clock: ShopClock,
    sign_in: Arc<Pair>,
    register: Arc<Pair>,
    reset: Arc<Pair>,
    erasure: Arc<Pair>,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Throttle")
    }
}

/// Refused: try again in this many seconds (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after_secs: u64,
}

impl Throttle {
    pub fn new(clock: Arc<dyn Clock>) -> Throttle {
        let clock = ShopClock(clock);
        let pair = |account: Allowance, client: Allowance| {
            Arc::new(Pair {
                per_account: RateLimiter::dashmap_with_clock(account.quota(), clock.clone()),
                per_client: RateLimiter::dashmap_with_clock(client.quota(), clock.clone()),
            })
        };
        Throttle {
            sign_in: pair(SIGN_IN_PER_ACCOUNT, SIGN_IN_PER_CLIENT),
            register: pair(REGISTER_PER_ACCOUNT, REGISTER_PER_CLIENT),
            reset: pair(RESET_PER_ACCOUNT, RESET_PER_CLIENT),
            erasure: pair(RESET_PER_ACCOUNT, RESET_PER_CLIENT),
            clock,
        }
    }

    /// Counts one attempt of `action` by `client` on the account whose address has the blind
    /// index `account`. The client is counted first: a client already refused does not use
    /// up the account's allowance, so one client cannot lock an account out for others for
    /// longer than its own allowance lets it.
    pub fn check(&self, action: Action, account: &[u8], client: IpAddr) -> Result<(), Refused> {
        let pair = match action {
            Action::SignIn => &self.sign_in,
            Action::Register => &self.register,
            Action::PasswordReset => &self.reset,
            Action::Erasure => &self.erasure,
        };
        let now = self.clock.now();
        let refused = |not_until: governor::NotUntil<Duration>| {
            let wait = not_until.wait_time_from(now);
            Refused {
                retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
            }
        };
        pair.per_client
            .check_key(&client_bucket(client))
            .map_err(refused)?;
        pair.per_account
            .check_key(&account.to_vec())
            .map_err(refused)?;
        Ok(())
    }

    /// Forgets counters that are back to a full allowance, so memory follows recent use.
    pub fn forget_idle(&self) {
        for pair in [&self.sign_in, &self.register, &self.reset, &self.erasure] {
            pair.per_account.retain_recent();
            pair.per_client.retain_recent();
            pair.per_account.shrink_to_fit();
            pair.per_client.shrink_to_fit();
        }
    }
}

/// The address a limit counts against: IPv6 clients usually hold a whole /64, so they are
/// counted by it rather than by one of its 2^64 addresses.
pub fn client_bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FakeClock;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_account_is_refused_after_its_burst_and_told_when_to_come_back() {
        let clock = Arc::new(FakeClock::at(1_800_000_000));
        let throttle = Throttle::new(clock.clone());
        let account = b"index-of-an-address".to_vec();
        for i in 0..SIGN_IN_PER_ACCOUNT.burst {
            // Each try from another client, so only the account's count is reached.
            let client = ip(&format!("10.0.{}.1", i));
            throttle.check(Action::SignIn, &account, client).unwrap();
        }
        let refused = throttle
            .check(Action::SignIn, &account, ip("10.9.9.9"))
            .unwrap_err();
        assert_eq!(refused.retry_after_secs, 90);
        // Another account from the same client is not affected.
        throttle
            .check(Action::SignIn, b"another", ip("10.9.9.9"))
            .unwrap();
        clock.advance(90);
        throttle
            .check(Action::SignIn, &account, ip("10.9.9.9"))
            .unwrap();
    }

    #[test]
    fn a_client_is_refused_after_its_burst_whatever_the_accounts() {
        let clock = Arc::new(FakeClock::at(1_800_000_000));
        let throttle = Throttle::new(clock);
        for i in 0..REGISTER_PER_CLIENT.burst {
            throttle
                .check(
                    Action::Register,
                    format!("a{i}").as_bytes(),
                    ip("192.0.2.7"),
                )
                .unwrap();
        }
        let refused = throttle
            .check(Action::Register, b"fresh", ip("192.0.2.7"))
            .unwrap_err();
        assert_eq!(refused.retry_after_secs, 360);
        // The limits of one action do not spend another's.
        throttle
            .check(Action::SignIn, b"fresh", ip("192.0.2.7"))
            .unwrap();
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        assert_eq!(
            client_bucket(ip("2001:db8:1:2:aaaa::1")),
            client_bucket(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            client_bucket(ip("2001:db8:1:2::1")),
            client_bucket(ip("2001:db8:1:3::1"))
        );
        assert_eq!(client_bucket(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
