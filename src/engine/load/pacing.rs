//! When each transaction should start. The ONLY place that knows about arrival rates.
//!
//! Closed model: a transaction starts as soon as the user is ready; latency is measured
//! from the actual send. Open model (`--rate R` with `U` users), as wrk2 does it: user `i`
//! owns the slots `t0 + (i + k·U)/R` for k = 0, 1, 2, …; it sleeps until its next slot and,
//! when it is already late (the server stalled its previous request), sends at once.
//! Latency is measured from the slot — the *intended* send time — so a stall shows up in
//! every request that should have been sent during it (no coordinated omission).
//!
//! **Invariant:** nothing here records or formats; it only hands out instants.

use std::time::Duration;

use tokio::time::Instant;

/// The run's arrival schedule. Cheap to copy; shared by every user.
#[derive(Debug, Clone, Copy)]
pub enum Schedule {
    /// Users loop (with their think time); no intended send times.
    Closed,
    /// `rate` transactions per second in total, spread evenly over `users` users.
    Open {
        origin: Instant,
        rate: f64,
        users: u64,
    },
}

impl Schedule {
    pub fn open(origin: Instant, rate: f64, users: u64) -> Schedule {
        Schedule::Open {
            origin,
            rate,
            users: users.max(1),
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self, Schedule::Open { .. })
    }

    /// The intended send time of slot `k` of user `user`.
    pub fn slot(&self, user: u64, k: u64) -> Option<Instant> {
        match *self {
            Schedule::Closed => None,
            Schedule::Open {
                origin,
                rate,
                users,
            } => {
                let index = (user % users) as f64 + (k as f64) * users as f64;
                Some(origin + Duration::from_secs_f64(index / rate))
            }
        }
    }

    /// The first slot of `user` at or after `t` (a user that starts late, during the ramp,
    /// does not count the slots before it existed as lag).
    pub fn first_slot_at_or_after(&self, user: u64, t: Instant) -> u64 {
        match *self {
            Schedule::Closed => 0,
            Schedule::Open {
                origin,
                rate,
                users,
            } => {
                let since = t.saturating_duration_since(origin).as_secs_f64();
                let index = since * rate - (user % users) as f64;
                if index <= 0.0 {
                    0
                } else {
                    (index / users as f64).ceil() as u64
                }
            }
        }
    }
}

/// One user's position in the schedule.
#[derive(Debug, Clone)]
pub struct UserPacer {
    schedule: Schedule,
    user: u64,
    next_slot: u64,
}

/// When a transaction was meant to start and when it really did.
#[derive(Debug, Clone, Copy)]
pub struct SendTime {
    /// Latency is measured from here.
    pub intended: Instant,
    pub actual: Instant,
    /// The user was idle, waiting for its slot: any lag is then the generator's own (its
    /// runtime woke the user late), not a slow answer to the user's previous request.
    pub waited: bool,
}

impl SendTime {
    /// How late the send was (zero in the closed model).
    pub fn lag(&self) -> Duration {
        self.actual.saturating_duration_since(self.intended)
    }

    /// The part of the lag the generator caused (zero when the user was still busy).
    pub fn generator_lag(&self) -> Duration {
        if self.waited {
            self.lag()
        } else {
            Duration::ZERO
        }
    }
}

impl UserPacer {
    pub fn new(schedule: Schedule, user: u64, now: Instant) -> UserPacer {
        UserPacer {
            schedule,
            user,
            next_slot: schedule.first_slot_at_or_after(user, now),
        }
    }

    /// Waits for this user's next slot (open model) and returns the send time.
    pub async fn next_send(&mut self) -> SendTime {
        match self.schedule.slot(self.user, self.next_slot) {
            None => {
                let now = Instant::now();
                SendTime {
                    intended: now,
                    actual: now,
                    waited: false,
                }
            }
            Some(intended) => {
                self.next_slot += 1;
                let waited = intended > Instant::now();
                if waited {
                    tokio::time::sleep_until(intended).await;
                }
                SendTime {
                    intended,
                    actual: Instant::now(),
                    waited,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_share_the_rate_evenly() {
        let origin = Instant::now();
        let s = Schedule::open(origin, 100.0, 4);
        // 100/s over 4 users: global slots every 10 ms, each user every 40 ms.
        let at = |u, k| s.slot(u, k).map(|t| t - origin);
        assert_eq!(at(0, 0), Some(Duration::ZERO));
        assert_eq!(at(1, 0), Some(Duration::from_millis(10)));
        assert_eq!(at(3, 1), Some(Duration::from_millis(70)));
        assert_eq!(at(0, 2), Some(Duration::from_millis(80)));
    }

    #[test]
    fn a_late_starting_user_skips_past_slots() {
        let origin = Instant::now();
        let s = Schedule::open(origin, 100.0, 4);
        let k = s.first_slot_at_or_after(1, origin + Duration::from_millis(55));
        let slot = s.slot(1, k).map(|t| t - origin);
        assert_eq!(slot, Some(Duration::from_millis(90)));
        assert!(Schedule::Closed.slot(0, 0).is_none());
    }

    #[tokio::test]
    async fn a_late_send_keeps_its_intended_time() {
        let origin = Instant::now();
        let mut p = UserPacer::new(Schedule::open(origin, 20.0, 1), 0, origin);
        let first = p.next_send().await;
        assert_eq!(first.intended, origin);
        tokio::time::sleep(Duration::from_millis(120)).await; // a stalled request
        let second = p.next_send().await;
        assert_eq!(second.intended, origin + Duration::from_millis(50));
        assert!(second.lag() >= Duration::from_millis(70));
        // On time again: the third slot (100 ms) has passed too, so it is also late;
        // the fourth (150 ms) is waited for.
        let _third = p.next_send().await;
        let fourth = p.next_send().await;
        assert_eq!(fourth.intended, origin + Duration::from_millis(150));
        assert!(fourth.actual >= fourth.intended);
    }
}
