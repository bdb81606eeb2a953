//! What the stateful probe sends: proptest sequences of Wallet operations. Indices name
//! earlier transactions or operations of the same case modulo how many exist, so every
//! generated (and every shrunk) sequence is meaningful.

use proptest::prelude::*;
use proptest::strategy::SBoxedStrategy;

use crate::apis::wallet::wire::OperationKind;

/// One generated case.
#[derive(Debug, Clone)]
pub struct Case {
    pub ops: Vec<Op>,
}

/// How a fresh authorization ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Forced `SUCCESS` (admin), else waited for.
    Succeed,
    /// Forced `FAILED` (admin), else waited for.
    Fail,
    /// Left pending (the `1111` phone scenario keeps a sandbox's one `PROCESSING` for 5 s).
    Pending,
}

/// Which Idempotency-Key an authorization carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKey {
    Fresh(Settle),
    /// The key and body of an earlier authorization, again.
    Replay(usize),
    /// The key of an earlier authorization with another amount.
    Mismatch(usize),
}

/// How much a capture, cancel or refund asks for, against what is left for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// This percentage (1–100) of what is left, at least 1.
    Part(u8),
    /// Exactly what is left (at least 1).
    Whole,
    /// What is left plus this much.
    Beyond(u64),
}

/// Which Idempotency-Key an operation carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKey {
    None,
    Fresh,
    /// The key of the last request that failed (400/409): free again.
    ReuseFailed,
    /// The key of the last operation that succeeded, on this operation's payload.
    ReuseSucceeded,
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Authorize {
        amount: u64,
        key: AuthKey,
    },
    Move {
        kind: OperationKind,
        tx: usize,
        size: Size,
        key: OpKey,
    },
    /// Replays the keyed operation that succeeded `back` before the last one (often after
    /// `remaining` dropped).
    Replay {
        back: usize,
    },
    /// Another merchant reads (`None`) or moves this transaction.
    Foreign {
        kind: Option<OperationKind>,
        tx: usize,
    },
    /// Forces an outcome on a transaction through the admin API (a final one → 409).
    Force {
        tx: usize,
        succeed: bool,
    },
}

impl Op {
    pub fn name(&self) -> String {
        match self {
            Op::Authorize { key, .. } => match key {
                AuthKey::Fresh(_) => "authorize".into(),
                AuthKey::Replay(_) => "authorize, replayed key".into(),
                AuthKey::Mismatch(_) => "authorize, key reused with another amount".into(),
            },
            Op::Move {
                kind, size, key, ..
            } => {
                let size = match size {
                    Size::Part(_) => "part of what is left",
                    Size::Whole => "all that is left",
                    Size::Beyond(_) => "more than is left",
                };
                let key = match key {
                    OpKey::None => "",
                    OpKey::Fresh => ", new key",
                    OpKey::ReuseFailed => ", the key of a failed request",
                    OpKey::ReuseSucceeded => ", the key of an earlier operation",
                };
                format!("{} {size}{key}", kind.as_str())
            }
            Op::Replay { .. } => "replay an earlier operation".into(),
            Op::Foreign { kind: None, .. } => "another merchant reads it".into(),
            Op::Foreign { kind: Some(k), .. } => format!("another merchant tries {}", k.as_str()),
            Op::Force { succeed, .. } => {
                format!(
                    "force {} (admin)",
                    if *succeed { "succeed" } else { "fail" }
                )
            }
        }
    }
}

fn settle() -> impl Strategy<Value = Settle> {
    prop_oneof![6 => Just(Settle::Succeed), 2 => Just(Settle::Fail), 1 => Just(Settle::Pending)]
}

fn kind() -> impl Strategy<Value = OperationKind> {
    prop_oneof![
        3 => Just(OperationKind::Capture),
        2 => Just(OperationKind::Cancel),
        3 => Just(OperationKind::Refund)
    ]
}

fn op(admin: bool) -> SBoxedStrategy<Op> {
    let authorize = (
        1u64..=20_000,
        prop_oneof![
            6 => settle().prop_map(AuthKey::Fresh),
            1 => any::<usize>().prop_map(AuthKey::Replay),
            1 => any::<usize>().prop_map(AuthKey::Mismatch),
        ],
    )
        .prop_map(|(amount, key)| Op::Authorize { amount, key });
    let size = prop_oneof![
        5 => (1u8..=100).prop_map(Size::Part),
        2 => Just(Size::Whole),
        2 => (1u64..=1_000).prop_map(Size::Beyond),
    ];
    let key = prop_oneof![
        2 => Just(OpKey::None),
        4 => Just(OpKey::Fresh),
        1 => Just(OpKey::ReuseFailed),
        1 => Just(OpKey::ReuseSucceeded),
    ];
    let moves = (kind(), any::<usize>(), size, key).prop_map(|(kind, tx, size, key)| Op::Move {
        kind,
        tx,
        size,
        key,
    });
    let replay = (0usize..4).prop_map(|back| Op::Replay { back });
    let foreign = (proptest::option::of(kind()), any::<usize>())
        .prop_map(|(kind, tx)| Op::Foreign { kind, tx });
    let force = (any::<usize>(), any::<bool>()).prop_map(|(tx, succeed)| Op::Force { tx, succeed });
    if admin {
        prop_oneof![3 => authorize, 8 => moves, 3 => replay, 1 => foreign, 1 => force].sboxed()
    } else {
        prop_oneof![3 => authorize, 8 => moves, 3 => replay].sboxed()
    }
}

/// Cases of 1..=`max_ops` operations, the first always an authorization.
pub fn case_strategy(admin: bool, max_ops: usize) -> SBoxedStrategy<Case> {
    let first = (1u64..=20_000, settle()).prop_map(|(amount, s)| Op::Authorize {
        amount,
        key: AuthKey::Fresh(s),
    });
    (
        first,
        proptest::collection::vec(op(admin), 0..max_ops.max(1)),
    )
        .prop_map(|(first, rest)| {
            let mut ops = vec![first];
            ops.extend(rest);
            Case { ops }
        })
        .sboxed()
}
