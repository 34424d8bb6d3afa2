//! How element names read in English, for `event-tense` and `command-mood`:
//! small, deterministic heuristics over the words of a PascalCase name, with
//! word lists where spelling alone cannot tell.
//!
//! - A word *reads as past* when it ends in `ed` (`Completed`, `Added`) and
//!   is not one of the few words that merely end that way (`Feed`, `Seed`,
//!   `Need`, `Speed`, `Embed`, `Hundred`, …), or when it is an irregular past
//!   tense or participle (`Sent`, `Paid`, `Built`, `Made`, `Done`, `Given`,
//!   `Taken`, `Held`, …), including those spelt like their present
//!   (`Set`, `Put`, `Cut`, `Read`, `Run`, `Reset`).
//! - A word *is clearly past* when it reads as past and could not also be an
//!   imperative verb or a common noun: `Set` (set the price), `Found` (found
//!   a company), `Left` (turn left) or `Bit` are not clearly past. This is
//!   what `command-mood` rejects, so that a real command is never flagged.
//! - `Due` and `Overdue` read as past too: they state that something
//!   happened (a payment fell due) and English has no verb to name it. Other
//!   adjectives of state (`Open`, `Ready`, `Active`) do not: the event is
//!   the change that made them so (`AccountOpened`, `OrderPrepared`,
//!   `SubscriptionActivated`).

/// Words (lower case, sorted) that end in `ed` but are not past tense.
const NOT_PAST_ED: &[&str] = &[
    "bleed", "breed", "creed", "deed", "embed", "exceed", "feed", "greed", "hatred", "heed", "hundred", "kindred",
    "need", "proceed", "reed", "sacred", "seed", "shed", "shred", "sled", "speed", "steed", "succeed", "tweed", "weed",
];

/// Irregular past tenses and participles (lower case, sorted) that differ
/// from the verb's present and are not common nouns or verbs themselves.
const IRREGULAR_PAST: &[&str] = &[
    "arisen",
    "arose",
    "awoke",
    "awoken",
    "beaten",
    "became",
    "began",
    "begun",
    "bent",
    "bitten",
    "blew",
    "blown",
    "borne",
    "bought",
    "bred",
    "broke",
    "broken",
    "brought",
    "built",
    "burnt",
    "caught",
    "chose",
    "chosen",
    "clung",
    "crept",
    "dealt",
    "did",
    "done",
    "drank",
    "drawn",
    "dreamt",
    "drew",
    "driven",
    "drove",
    "drunk",
    "dug",
    "dwelt",
    "eaten",
    "fed",
    "fled",
    "flew",
    "flown",
    "forbade",
    "forbidden",
    "forgave",
    "forgiven",
    "forgot",
    "forgotten",
    "fought",
    "froze",
    "frozen",
    "gave",
    "given",
    "gone",
    "got",
    "gotten",
    "grew",
    "grown",
    "had",
    "heard",
    "held",
    "hid",
    "hidden",
    "hung",
    "kept",
    "knelt",
    "knew",
    "known",
    "laid",
    "leant",
    "leapt",
    "learnt",
    "led",
    "lent",
    "lost",
    "made",
    "meant",
    "met",
    "mislaid",
    "misled",
    "mistaken",
    "mistook",
    "overdone",
    "overdrawn",
    "overpaid",
    "overridden",
    "overrode",
    "overtaken",
    "overthrown",
    "paid",
    "prepaid",
    "ran",
    "rang",
    "rebuilt",
    "redone",
    "remade",
    "repaid",
    "resent",
    "resold",
    "retaken",
    "retold",
    "retook",
    "rewritten",
    "rewrote",
    "ridden",
    "risen",
    "rode",
    "rung",
    "said",
    "sang",
    "sank",
    "seen",
    "sent",
    "shaken",
    "shone",
    "shook",
    "shown",
    "shrank",
    "shrunk",
    "slept",
    "slid",
    "sold",
    "sought",
    "spelt",
    "spent",
    "spilt",
    "spoke",
    "spoken",
    "sprang",
    "sprung",
    "spun",
    "stolen",
    "stood",
    "struck",
    "stuck",
    "stung",
    "sung",
    "sunk",
    "swam",
    "swept",
    "swore",
    "sworn",
    "swum",
    "swung",
    "taken",
    "taught",
    "thought",
    "threw",
    "thrown",
    "told",
    "took",
    "tore",
    "torn",
    "underpaid",
    "understood",
    "undone",
    "upheld",
    "was",
    "went",
    "were",
    "withdrawn",
    "withdrew",
    "withheld",
    "woke",
    "woken",
    "won",
    "wore",
    "worn",
    "wove",
    "woven",
    "written",
    "wrote",
];

/// Past tenses and participles (lower case, sorted) that are spelt like a
/// present verb or a common noun: they read as past at the end of an event
/// name (`PriceSet`, `CompanyFound`... `ReportRead`), but a command may
/// start with them (`SetPrice`, `ReadMeter`).
const AMBIGUOUS_PAST: &[&str] = &[
    "ate",
    "become",
    "bet",
    "bid",
    "bit",
    "bound",
    "broadcast",
    "burst",
    "cast",
    "come",
    "cost",
    "cut",
    "dove",
    "fell",
    "felt",
    "forecast",
    "found",
    "ground",
    "hit",
    "hurt",
    "lay",
    "left",
    "let",
    "lit",
    "overcome",
    "put",
    "quit",
    "read",
    "rerun",
    "reset",
    "rose",
    "run",
    "sat",
    "saw",
    "set",
    "shot",
    "shut",
    "slit",
    "spat",
    "split",
    "spread",
    "stole",
    "thrust",
    "upset",
    "wed",
    "wound",
];

/// Adjectives accepted at the end of an event name: they state that
/// something happened and have no verb of their own (sorted).
const STATES: &[&str] = &["due", "overdue"];

/// Verbs (lower case, sorted) that commands commonly start with: a command
/// starting with one of them may end in a past participle
/// (`MarkOrderShipped`, `SetAccountLocked`) without reading like an event.
const IMPERATIVE_VERBS: &[&str] = &[
    "accept",
    "acknowledge",
    "activate",
    "add",
    "adjust",
    "allocate",
    "amend",
    "apply",
    "approve",
    "archive",
    "assign",
    "attach",
    "authorize",
    "book",
    "calculate",
    "cancel",
    "capture",
    "change",
    "charge",
    "check",
    "claim",
    "clear",
    "close",
    "collect",
    "complete",
    "confirm",
    "correct",
    "create",
    "deactivate",
    "decline",
    "delete",
    "deliver",
    "deny",
    "detach",
    "disable",
    "dispatch",
    "enable",
    "enroll",
    "escalate",
    "flag",
    "freeze",
    "fulfil",
    "fulfill",
    "generate",
    "grant",
    "hold",
    "import",
    "initiate",
    "invite",
    "issue",
    "keep",
    "label",
    "link",
    "list",
    "lock",
    "log",
    "make",
    "mark",
    "merge",
    "move",
    "notify",
    "open",
    "pause",
    "place",
    "post",
    "prepare",
    "process",
    "publish",
    "put",
    "rate",
    "receive",
    "record",
    "refund",
    "register",
    "reject",
    "release",
    "remove",
    "rename",
    "renew",
    "reopen",
    "report",
    "request",
    "require",
    "reserve",
    "reset",
    "resolve",
    "restore",
    "resume",
    "retry",
    "return",
    "review",
    "revoke",
    "schedule",
    "send",
    "set",
    "ship",
    "sign",
    "split",
    "start",
    "stop",
    "submit",
    "suspend",
    "switch",
    "tag",
    "track",
    "transfer",
    "treat",
    "unlink",
    "unlock",
    "update",
    "upgrade",
    "upload",
    "validate",
    "verify",
    "void",
    "withdraw",
];

/// Whether a sorted lower-case list holds `word` in any case. Compared
/// byte by byte, with no lower-case copy: the rules ask this of every
/// command and event name.
fn listed(list: &[&str], word: &str) -> bool {
    let lower = || word.bytes().map(|b| b.to_ascii_lowercase());
    list.binary_search_by(|entry| entry.bytes().cmp(lower())).is_ok()
}

/// Whether the word ends in `ed` as a regular past tense does.
fn regular_past(word: &str) -> bool {
    // Three-letter words ending in `ed` (`Bed`, `Red`) are not regular past
    // tenses; the irregular ones (`Fed`, `Led`) are listed.
    let bytes = word.as_bytes();
    bytes.len() > 3 && bytes[bytes.len() - 2..].eq_ignore_ascii_case(b"ed") && !listed(NOT_PAST_ED, word)
}

/// Whether a word reads as a past tense or participle at the end of an
/// event name.
pub fn reads_as_past(word: &str) -> bool {
    regular_past(word) || listed(IRREGULAR_PAST, word) || listed(AMBIGUOUS_PAST, word) || listed(STATES, word)
}

/// Whether a word can only be read as past tense (never as an imperative
/// verb or a noun).
pub fn is_clearly_past(word: &str) -> bool {
    regular_past(word) || listed(IRREGULAR_PAST, word)
}

/// Whether a word is a verb commands commonly start with.
pub fn is_imperative_verb(word: &str) -> bool {
    listed(IMPERATIVE_VERBS, word)
}

/// The past participle of a verb, in the case it was written in:
/// `Complete` → `Completed`, `Ship` → `Shipped`, `Apply` → `Applied`,
/// `Send` → `Sent`. Right for every verb in [`IMPERATIVE_VERBS`]; a best
/// guess for others.
pub fn past_tense(verb: &str) -> String {
    let lower = verb.to_ascii_lowercase();
    if let Some(&(_, past)) = SPECIAL_PARTICIPLES.iter().find(|(present, _)| *present == lower) {
        // Keep the case of the first letter as written.
        let mut chars = past.chars();
        let first = chars.next().map(|c| if verb.starts_with(char::is_uppercase) { c.to_ascii_uppercase() } else { c });
        return first.into_iter().chain(chars).collect();
    }
    let bytes = lower.as_bytes();
    let vowel = |b: u8| matches!(b, b'a' | b'e' | b'i' | b'o' | b'u');
    if lower.ends_with('e') {
        format!("{verb}d")
    } else if lower.ends_with('y') && bytes.len() > 1 && !vowel(bytes[bytes.len() - 2]) {
        format!("{}ied", &verb[..verb.len() - 1])
    } else if let [.., a, b, c] = bytes
        && !vowel(*a)
        && vowel(*b)
        && !vowel(*c)
        && !matches!(c, b'w' | b'x' | b'y')
        && bytes.iter().filter(|&&b| vowel(b)).count() == 1
    {
        // One syllable ending consonant-vowel-consonant doubles its last
        // letter: `Ship` → `Shipped`, `Tag` → `Tagged`.
        format!("{verb}{}ed", char::from(*c))
    } else {
        format!("{verb}ed")
    }
}

/// The event a command's name implies, when the name starts with a known
/// verb: `CompletePayment` → `PaymentCompleted`, `CancelOrder` →
/// `OrderCancelled`.
pub fn event_name_for(words: &[&str]) -> Option<String> {
    match words {
        [verb, rest @ ..] if is_imperative_verb(verb) && !rest.is_empty() => {
            Some(format!("{}{}", rest.concat(), past_tense(verb)))
        }
        _ => None,
    }
}

/// Participles the rules of [`past_tense`] would get wrong.
const SPECIAL_PARTICIPLES: &[(&str, &str)] = &[
    ("cancel", "cancelled"),
    ("enroll", "enrolled"),
    ("freeze", "frozen"),
    ("fulfil", "fulfilled"),
    ("hold", "held"),
    ("keep", "kept"),
    ("label", "labelled"),
    ("make", "made"),
    ("put", "put"),
    ("send", "sent"),
    ("set", "set"),
    ("split", "split"),
    ("submit", "submitted"),
    ("withdraw", "withdrawn"),
];

/// Whether a word is a version marker (`V2`, `2`) rather than a word of the
/// name, so that `OrderPlacedV2` is read as `OrderPlaced`.
pub fn is_version(word: &str) -> bool {
    let digits = word.strip_prefix(['V', 'v']).unwrap_or(word);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_lower_case_and_disjoint() {
        // `listed` relies on binary search.
        for list in [NOT_PAST_ED, IRREGULAR_PAST, AMBIGUOUS_PAST, STATES, IMPERATIVE_VERBS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "not sorted: {list:?}");
            assert!(list.iter().all(|w| w.bytes().all(|b| b.is_ascii_lowercase())));
        }
        for word in IRREGULAR_PAST {
            assert!(!AMBIGUOUS_PAST.contains(word), "{word} is in two lists");
        }
    }

    #[test]
    fn past_tenses() {
        for past in ["Completed", "Added", "Sent", "Paid", "Built", "Made", "Done", "Given", "Taken", "Held"] {
            assert!(reads_as_past(past), "{past}");
            assert!(is_clearly_past(past), "{past}");
        }
        for past in ["Set", "Reset", "Read", "Found", "Due", "Agreed", "Freed", "Shipped"] {
            assert!(reads_as_past(past), "{past}");
        }
        for not_past in ["Feed", "Seed", "Need", "Speed", "Embed", "Bed", "Red", "Payment", "Open", "Complete"] {
            assert!(!reads_as_past(not_past), "{not_past}");
        }
        for verb in ["Set", "Found", "Left", "Feed", "Register", "Send"] {
            assert!(!is_clearly_past(verb), "{verb}");
        }
    }

    #[test]
    fn participles() {
        let cases = [
            ("Complete", "Completed"),
            ("Ship", "Shipped"),
            ("Tag", "Tagged"),
            ("Apply", "Applied"),
            ("Deny", "Denied"),
            ("Send", "Sent"),
            ("Submit", "Submitted"),
            ("Book", "Booked"),
            ("Lock", "Locked"),
            ("Open", "Opened"),
            ("Register", "Registered"),
        ];
        for (verb, past) in cases {
            assert_eq!(past_tense(verb), past);
        }
        // Every suggested participle reads as past again.
        for verb in IMPERATIVE_VERBS {
            assert!(reads_as_past(&past_tense(verb)), "{verb} → {}", past_tense(verb));
        }
    }

    #[test]
    fn versions() {
        assert!(is_version("V2"));
        assert!(is_version("12"));
        assert!(!is_version("V"));
        assert!(!is_version("Via"));
    }
}
