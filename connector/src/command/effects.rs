//! What a command does to the connection it runs on, read from its name
//! and, where they matter, its arguments. Every decision that depends on it
//! asks here: a [`Connection`](crate::Connection) keeping track of its
//! state, a [`SharedConnection`](crate::SharedConnection) refusing what
//! would reach its other callers, a pool deciding whether a connection may
//! be handed out again, a [`Cluster`](crate::Cluster) choosing a connection.

use redwire_resp::Args;

use super::lowercase;

/// What running one command does to its connection.
///
/// ```
/// use redwire::Effects;
///
/// assert!(Effects::of(&("GET", "k")).shares());
/// assert!(Effects::of(&["CLIENT", "ID"]).shares());
/// assert!(Effects::of(&("XREAD", "STREAMS", "s", "0")).shares());
/// let blocking = Effects::of(&("XREAD", "BLOCK", 0, "STREAMS", "s", "$"));
/// assert!(blocking.blocks() && !blocking.shares());
/// let stateful = Effects::of(&["CLIENT", "REPLY", "OFF"]);
/// assert!(stateful.keeps_state() && !stateful.shares());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(clippy::struct_excessive_bools)] // independent facts, each with its own rule
pub struct Effects {
    /// How many words the command has, its name included.
    words: usize,
    /// `Some(true)` for `MULTI`, `Some(false)` for `EXEC`, `DISCARD`, `RESET`.
    transaction: Option<bool>,
    /// `Some(true)` for `WATCH`; `Some(false)` for `UNWATCH`, `EXEC`,
    /// `DISCARD`, `RESET`.
    watch: Option<bool>,
    subscription: Option<Subscription>,
    blocks: bool,
    changes_session: bool,
    replies: Option<ReplyMode>,
    /// `MONITOR`, `SYNC`, `PSYNC`, `QUIT`: the connection is not a
    /// command connection afterwards.
    takes_connection: bool,
    /// `RESET`: every state above back to a fresh connection's.
    resets: bool,
    /// `ASKING`: the next command on the connection may read a slot being
    /// imported.
    asking: bool,
    /// `HELLO 3` (`Some(true)`) or `HELLO 2` (`Some(false)`): the protocol
    /// it switches to.
    hello: Option<bool>,
    /// `WAIT`, `WAITAOF`: what it counts is the writes made before it on
    /// its own connection.
    counts_own_writes: bool,
}

/// A (un)subscribe command, whose confirmations come one per name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Subscription {
    /// 0: channels, 1: patterns, 2: shard channels.
    family: usize,
    subscribes: bool,
}

/// What `CLIENT REPLY` sets: whether the server answers the commands after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ReplyMode {
    /// Every command is answered (`CLIENT REPLY ON`, the default).
    #[default]
    On,
    /// No command is answered until `CLIENT REPLY ON`.
    Off,
    /// The next command is not answered.
    Skip,
}

impl ReplyMode {
    /// Whether the server answers a command with `effects` in this mode,
    /// and the mode after it.
    pub(crate) fn answers(self, effects: &Effects) -> (bool, Self) {
        match effects.replies {
            // `ON` is answered whatever the mode; `OFF` and `SKIP` never.
            Some(Self::On) => (true, Self::On),
            // `SKIP` while off leaves it off.
            Some(Self::Skip) if self == Self::Off => (false, Self::Off),
            Some(mode) => (false, mode),
            None if effects.resets => (true, Self::On),
            None => match self {
                Self::On => (true, Self::On),
                Self::Off => (false, Self::Off),
                Self::Skip => (false, Self::On),
            },
        }
    }
}

/// The (un)subscribe commands, by family.
const SUBSCRIBE: [&[u8]; 3] = [b"SUBSCRIBE", b"PSUBSCRIBE", b"SSUBSCRIBE"];
const UNSUBSCRIBE: [&[u8]; 3] = [b"UNSUBSCRIBE", b"PUNSUBSCRIBE", b"SUNSUBSCRIBE"];
/// What RESP2 pub/sub frames start with besides confirmations.
const MESSAGES: [&[u8]; 3] = [b"MESSAGE", b"PMESSAGE", b"SMESSAGE"];

impl Subscription {
    /// The (un)subscribe command a name (any case) is, if any.
    pub(crate) fn of(name: &[u8]) -> Option<Self> {
        let find = |names: [&[u8]; 3]| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        find(SUBSCRIBE)
            .map(|family| Self {
                family,
                subscribes: true,
            })
            .or_else(|| {
                find(UNSUBSCRIBE).map(|family| Self {
                    family,
                    subscribes: false,
                })
            })
    }

    /// 0: channels, 1: patterns, 2: shard channels.
    pub(crate) fn family(self) -> usize {
        self.family
    }

    /// Whether it subscribes (else it unsubscribes).
    pub(crate) fn subscribes(self) -> bool {
        self.subscribes
    }

    /// The command's name, upper case.
    pub(crate) fn name(self) -> &'static [u8] {
        if self.subscribes {
            SUBSCRIBE[self.family]
        } else {
            UNSUBSCRIBE[self.family]
        }
    }

    /// Whether `kind` (a pub/sub frame's first word) confirms this command.
    pub(crate) fn confirmed_by(self, kind: &[u8]) -> bool {
        self.name().eq_ignore_ascii_case(kind)
    }

    /// Whether `kind` (the first word of an array) is what a subscribed
    /// connection receives: a message or a (un)subscribe confirmation.
    pub(crate) fn is_pubsub_kind(kind: &[u8]) -> bool {
        MESSAGES
            .iter()
            .chain(&SUBSCRIBE)
            .chain(&UNSUBSCRIBE)
            .any(|k| k.eq_ignore_ascii_case(kind))
    }
}

/// What the words after the name are read for.
#[derive(Clone, Copy)]
enum Next {
    /// Nothing more.
    Done,
    /// `CLIENT`'s subcommand.
    ClientSubcommand,
    /// `CLIENT REPLY`'s mode.
    ClientReply,
    /// `HELLO`'s protocol version.
    HelloVersion,
    /// `XREAD`/`XREADGROUP` options, from this word on, up to `STREAMS`:
    /// a `BLOCK` makes it blocking.
    StreamOptions { from: usize },
}

impl Effects {
    /// The effects of a command (its name first).
    pub fn of<A: Args + ?Sized>(args: &A) -> Self {
        let mut effects = Self::default();
        let mut next = Next::Done;
        args.for_each_arg(&mut |word| {
            next = match (effects.words, next) {
                (0, _) => effects.named(word),
                (_, Next::ClientSubcommand) => effects.client(word),
                (_, Next::HelloVersion) => {
                    effects.hello = match word {
                        b"3" => Some(true),
                        b"2" => Some(false),
                        _ => None,
                    };
                    Next::Done
                }
                (_, Next::ClientReply) => {
                    effects.replies = [
                        (&b"ON"[..], ReplyMode::On),
                        (b"OFF", ReplyMode::Off),
                        (b"SKIP", ReplyMode::Skip),
                    ]
                    .iter()
                    .find(|(mode, _)| mode.eq_ignore_ascii_case(word))
                    .map(|(_, mode)| *mode);
                    Next::Done
                }
                (at, Next::StreamOptions { from }) if at >= from => {
                    if word.eq_ignore_ascii_case(b"STREAMS") {
                        Next::Done
                    } else {
                        effects.blocks |= word.eq_ignore_ascii_case(b"BLOCK");
                        next
                    }
                }
                (_, next) => next,
            };
            effects.words += 1;
        });
        effects
    }

    /// Sets what the name alone says; what to read next.
    fn named(&mut self, name: &[u8]) -> Next {
        let mut buffer = [0u8; 16];
        let Some(name) = lowercase(name, &mut buffer) else {
            // No command this long has an effect.
            return Next::Done;
        };
        match name {
            b"multi" => self.transaction = Some(true),
            b"exec" | b"discard" => {
                self.transaction = Some(false);
                self.watch = Some(false);
            }
            b"watch" => self.watch = Some(true),
            b"unwatch" => self.watch = Some(false),
            b"select" | b"auth" | b"readonly" | b"readwrite" => self.changes_session = true,
            b"hello" => {
                self.changes_session = true;
                return Next::HelloVersion;
            }
            b"asking" => self.asking = true,
            b"reset" => {
                self.resets = true;
                self.changes_session = true;
                self.transaction = Some(false);
                self.watch = Some(false);
            }
            b"blpop" | b"brpop" | b"brpoplpush" | b"blmove" | b"blmpop" | b"bzpopmin"
            | b"bzpopmax" | b"bzmpop" => self.blocks = true,
            b"wait" | b"waitaof" => {
                self.blocks = true;
                self.counts_own_writes = true;
            }
            b"xread" => return Next::StreamOptions { from: 1 },
            // Past `GROUP group consumer`, which may be named `BLOCK`.
            b"xreadgroup" => return Next::StreamOptions { from: 4 },
            b"monitor" | b"sync" | b"psync" | b"quit" => self.takes_connection = true,
            b"client" => return Next::ClientSubcommand,
            _ => self.subscription = Subscription::of(name),
        }
        Next::Done
    }

    /// Sets what a `CLIENT` subcommand says; what to read next.
    fn client(&mut self, subcommand: &[u8]) -> Next {
        let is = |name: &[u8]| name.eq_ignore_ascii_case(subcommand);
        if is(b"REPLY") {
            self.changes_session = true;
            return Next::ClientReply;
        }
        self.changes_session = [
            &b"SETNAME"[..],
            b"SETINFO",
            b"TRACKING",
            b"CACHING",
            b"NO-EVICT",
            b"NO-TOUCH",
        ]
        .into_iter()
        .any(is);
        Next::Done
    }

    /// Whether it does nothing to its connection that needs following
    /// (most commands): no effect above.
    pub(crate) fn is_plain(&self) -> bool {
        Self {
            words: self.words,
            ..Self::default()
        } == *self
    }

    /// How many words the command has, its name included (0: none at all).
    pub(crate) fn words(&self) -> usize {
        self.words
    }

    /// Whether it may go on a connection shared by many callers: it neither
    /// blocks nor leaves state on its connection.
    pub fn shares(&self) -> bool {
        !self.blocks && !self.keeps_state()
    }

    /// Whether it may block until data comes (`BLPOP`, `XREAD … BLOCK`,
    /// `WAIT`, …): it holds up whatever else waits on its connection.
    pub fn blocks(&self) -> bool {
        self.blocks
    }

    /// Whether it leaves state on its connection that its caller relies on:
    /// a transaction, watched keys, subscriptions, session settings
    /// (`SELECT`, `AUTH`, `HELLO`, `CLIENT SETNAME`, `CLIENT TRACKING`, …),
    /// suppressed replies (`CLIENT REPLY`), a connection handed over
    /// (`MONITOR`, `QUIT`, …), or `ASKING` for the command after it. Such a
    /// command needs a connection its caller holds.
    pub fn keeps_state(&self) -> bool {
        self.asking
            || self.transaction.is_some()
            || self.watch.is_some()
            || self.subscription.is_some()
            || self.changes_session
            || self.replies.is_some()
            || self.takes_connection
    }

    /// `Some(true)` when it opens a transaction, `Some(false)` when it ends one.
    pub(crate) fn transaction(&self) -> Option<bool> {
        self.transaction
    }

    /// `Some(true)` when it watches keys, `Some(false)` when it ends every watch.
    pub(crate) fn watch(&self) -> Option<bool> {
        self.watch
    }

    /// The (un)subscribe command it is, if any.
    pub(crate) fn subscription(&self) -> Option<Subscription> {
        self.subscription
    }

    /// Whether the connection is no longer the one its configuration made:
    /// its settings changed, or it was handed over.
    pub(crate) fn changes_session(&self) -> bool {
        self.changes_session || self.takes_connection || self.replies.is_some()
    }

    /// Whether it is `RESET`.
    pub(crate) fn resets(&self) -> bool {
        self.resets
    }

    /// Whether it is `ASKING`, which only applies to the command after it:
    /// it may share a connection when that command follows it in the same
    /// request.
    pub(crate) fn asking(&self) -> bool {
        self.asking
    }

    /// The protocol a `HELLO` switches to: `Some(true)` for RESP3.
    pub(crate) fn hello(&self) -> Option<bool> {
        self.hello
    }

    /// Whether it hands its connection over for good (`MONITOR`, `SYNC`,
    /// `PSYNC`, `QUIT`): what comes next is no reply to a command.
    pub(crate) fn takes_connection(&self) -> bool {
        self.takes_connection
    }

    /// Whether it counts what happened to the writes made before it on its
    /// own connection (`WAIT`, `WAITAOF`): sent alone where the connection
    /// is picked per request, it would count none.
    pub(crate) fn counts_own_writes(&self) -> bool {
        self.counts_own_writes
    }

    /// Whether its effect can only be followed when the server answers it
    /// at once: not inside `MULTI` (it is queued there, and takes effect
    /// inside `EXEC`'s reply) nor while replies are suppressed.
    pub(crate) fn needs_an_answer(&self) -> bool {
        self.subscription.is_some()
            || self.replies.is_some()
            || self.takes_connection
            || self.hello.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::{Effects, ReplyMode, Subscription};

    fn of(words: &[&str]) -> Effects {
        Effects::of(words)
    }

    #[test]
    fn plain_commands_share_and_keep_no_state() {
        assert!(of(&["GET", "k"]).is_plain());
        assert!(!of(&["BLPOP", "q", "0"]).is_plain());
        assert!(!of(&["HELLO"]).is_plain());
        for words in [
            &["GET", "k"][..],
            &["set", "k", "v"],
            &["EVALSHA", "abc", "0"],
            &["PUBLISH", "c", "m"],
            &["CLIENT", "ID"],
            &["client", "list"],
            &["XREAD", "COUNT", "2", "STREAMS", "BLOCK", "0"],
            &["XREADGROUP", "GROUP", "BLOCK", "BLOCK", "STREAMS", "s", ">"],
            &["AVERYLONGCOMMANDNAMEINDEED"],
        ] {
            let effects = of(words);
            assert!(effects.shares() && !effects.keeps_state(), "{words:?}");
            assert!(!effects.changes_session(), "{words:?}");
        }
    }

    #[test]
    fn blocking_commands_block_and_xread_only_with_block() {
        for words in [
            &["BLPOP", "q", "0"][..],
            &["bzmpop", "1", "1", "z", "MIN"],
            &["WAIT", "1", "0"],
            &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "block",
                "10",
                "STREAMS",
                "s",
                ">",
            ],
        ] {
            let effects = of(words);
            assert!(effects.blocks() && !effects.shares(), "{words:?}");
            assert!(!effects.keeps_state(), "{words:?}");
        }
    }

    #[test]
    fn stateful_commands_say_what_they_change() {
        assert_eq!(of(&["MULTI"]).transaction(), Some(true));
        assert_eq!(of(&["exec"]).transaction(), Some(false));
        assert_eq!(of(&["EXEC"]).watch(), Some(false));
        assert_eq!(of(&["DISCARD"]).watch(), Some(false));
        assert_eq!(of(&["WATCH", "k"]).watch(), Some(true));
        assert_eq!(of(&["UNWATCH"]).watch(), Some(false));
        let reset = of(&["RESET"]);
        assert!(reset.resets() && reset.changes_session());
        assert_eq!(
            (reset.transaction(), reset.watch()),
            (Some(false), Some(false))
        );
        for words in [
            &["SELECT", "1"][..],
            &["AUTH", "pw"],
            &["HELLO", "3"],
            &["READONLY"],
            &["CLIENT", "SETNAME", "x"],
            &["CLIENT", "TRACKING", "ON"],
            &["CLIENT", "NO-EVICT", "ON"],
            &["CLIENT", "REPLY", "OFF"],
            &["MONITOR"],
            &["QUIT"],
        ] {
            let effects = of(words);
            assert!(
                effects.keeps_state() && effects.changes_session(),
                "{words:?}"
            );
            assert!(!effects.shares(), "{words:?}");
        }
        let subscribe = of(&["psubscribe", "a*", "b*"]);
        assert_eq!(subscribe.words(), 3);
        let kind = subscribe.subscription().unwrap();
        assert!(kind.subscribes() && kind.family() == 1);
        assert!(kind.confirmed_by(b"psubscribe"));
        assert!(!of(&["SUNSUBSCRIBE"]).subscription().unwrap().subscribes());
        assert!(!subscribe.shares());
        assert_eq!(of(&[]).words(), 0);
        assert_eq!(of(&["HELLO", "3", "AUTH", "u", "p"]).hello(), Some(true));
        assert_eq!(of(&["hello", "2"]).hello(), Some(false));
        assert_eq!(of(&["HELLO"]).hello(), None);
        let asking = of(&["asking"]);
        assert!(asking.asking() && asking.keeps_state() && !asking.changes_session());
    }

    #[test]
    fn client_reply_modes_decide_which_commands_are_answered() {
        let (get, off, skip, on, reset) = (
            of(&["GET", "k"]),
            of(&["CLIENT", "REPLY", "OFF"]),
            of(&["client", "reply", "skip"]),
            of(&["CLIENT", "REPLY", "ON"]),
            of(&["RESET"]),
        );
        assert_eq!(ReplyMode::On.answers(&get), (true, ReplyMode::On));
        assert_eq!(ReplyMode::On.answers(&off), (false, ReplyMode::Off));
        assert_eq!(ReplyMode::On.answers(&skip), (false, ReplyMode::Skip));
        assert_eq!(ReplyMode::Skip.answers(&get), (false, ReplyMode::On));
        assert_eq!(ReplyMode::Off.answers(&get), (false, ReplyMode::Off));
        assert_eq!(ReplyMode::Off.answers(&skip), (false, ReplyMode::Off));
        assert_eq!(ReplyMode::Off.answers(&on), (true, ReplyMode::On));
        assert_eq!(ReplyMode::Off.answers(&reset), (true, ReplyMode::On));
        // An unknown mode is the server's to refuse, with an answer.
        assert_eq!(
            ReplyMode::On.answers(&of(&["CLIENT", "REPLY", "MAYBE"])),
            (true, ReplyMode::On)
        );
    }

    #[test]
    fn pubsub_frames_are_told_by_their_first_word() {
        for kind in [
            "message",
            "PMESSAGE",
            "smessage",
            "subscribe",
            "punsubscribe",
        ] {
            assert!(Subscription::is_pubsub_kind(kind.as_bytes()), "{kind}");
        }
        assert!(!Subscription::is_pubsub_kind(b"pong"));
    }
}
