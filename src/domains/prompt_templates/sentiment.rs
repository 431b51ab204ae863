//! Offline, VADER-style lexicon sentiment analysis for short English texts (tickets, reviews, business notes).
//!
//! Each token is looked up in a built-in lexicon of valences in `[-4, 4]`, then adjusted by the rules of VADER
//! (Hutto & Gilbert, 2014): negation within the three preceding tokens flips and damps (`× -0.74`), boosters and
//! dampeners add or subtract `0.293`, ALL-CAPS words in mixed-case text add `0.733`, exclamation marks (up to four)
//! add `0.292` each, and within a sentence words before "but" count half and words after it one and a half times.
//! Negation and booster windows stop at clause punctuation (`. ! ? , ; :`). Nothing is downloaded or loaded at run
//! time; the lexicon is a sorted static slice searched with binary search.

use serde::Serialize;

/// Overall polarity of a text, derived from [`Sentiment::score`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// Compound score `>= 0.05`.
    Positive,
    /// Compound score `<= -0.05`.
    Negative,
    /// Compound score strictly between `-0.05` and `0.05`.
    Neutral,
}

/// Result of [`analyze`]: a compound score plus the share of positive, negative and neutral weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sentiment {
    /// Polarity label derived from `score`.
    pub label: Label,
    /// Compound score in `[-1, 1]` (`x / sqrt(x² + 15)` of the summed valences), rounded to 4 decimals.
    pub score: f64,
    /// Proportion of positive weight, rounded to 3 decimals.
    pub positive: f64,
    /// Proportion of negative weight, rounded to 3 decimals.
    pub negative: f64,
    /// Proportion of neutral tokens, rounded to 3 decimals; the three proportions sum to 1.
    pub neutral: f64,
}

const BOOST: f64 = 0.293;
const CAPS_BOOST: f64 = 0.733;
const NEGATION_SCALAR: f64 = -0.74;
const EXCLAMATION_BOOST: f64 = 0.292;
const MAX_EXCLAMATIONS: usize = 4;
const ALPHA: f64 = 15.0;
const LABEL_THRESHOLD: f64 = 0.05;
/// Weight of a modifier one, two and three tokens before the word it modifies.
const DISTANCE_DECAY: [f64; 3] = [1.0, 0.95, 0.9];

/// Sentiment lexicon: lowercase words sorted by byte order, with valences in `[-4, 4]`.
#[rustfmt::skip]
static LEXICON: &[(&str, f64)] = &[
    ("abandon", -1.9), ("abandoned", -2.0), ("absurd", -1.3), ("abundant", 1.6), ("abuse", -3.2), ("abusive", -3.2),
    ("abysmal", -3.0), ("accessible", 1.3), ("accomplish", 1.8), ("accomplished", 1.9), ("accurate", 1.6),
    ("achieve", 1.8), ("achievement", 2.0), ("admire", 2.1), ("adorable", 2.2), ("advantage", 1.4), ("affordable", 1.5),
    ("agree", 1.4), ("amazing", 2.8), ("anger", -2.7), ("angry", -2.3), ("annoy", -1.9), ("annoyance", -1.7),
    ("annoyed", -1.6), ("annoying", -1.7), ("anxious", -1.0), ("appreciate", 2.0), ("appreciated", 2.1),
    ("approve", 1.6), ("approved", 1.7), ("atrocious", -3.0), ("attractive", 1.9), ("awesome", 3.1), ("awful", -2.0),
    ("awkward", -0.6), ("bad", -2.5), ("badly", -2.1), ("ban", -2.6), ("bankrupt", -2.6), ("beautiful", 2.9),
    ("benefit", 1.6), ("best", 3.0), ("better", 1.9), ("blocked", -1.4), ("blocker", -1.5), ("bogus", -1.8),
    ("bonus", 1.6), ("boost", 1.7), ("bored", -1.1), ("boring", -1.3), ("bother", -1.4), ("breach", -1.8),
    ("brilliant", 2.8), ("broke", -1.8), ("broken", -2.1), ("bug", -1.2), ("buggy", -1.9), ("bugs", -1.2),
    ("burden", -1.9), ("calm", 1.3), ("cancel", -1.0), ("cancelled", -1.0), ("capable", 1.5), ("care", 1.6),
    ("careless", -1.5), ("catastrophe", -3.4), ("celebrate", 2.5), ("chaos", -2.3), ("chargeback", -1.4),
    ("charming", 2.2), ("cheat", -2.0), ("cheated", -2.4), ("cheerful", 2.4), ("churn", -1.0), ("clean", 1.7),
    ("clear", 1.4), ("clever", 1.9), ("clunky", -1.5), ("comfortable", 1.8), ("competent", 1.5), ("complain", -1.4),
    ("complained", -1.4), ("complaint", -1.2), ("concern", -0.8), ("concerned", -1.0), ("confident", 2.0),
    ("confused", -1.3), ("confusing", -1.3), ("congrats", 2.4), ("congratulations", 2.9), ("convenient", 1.6),
    ("cool", 1.3), ("cooperative", 1.5), ("corrupt", -2.8), ("corrupted", -1.9), ("costly", -1.2), ("courteous", 1.8),
    ("crap", -1.6), ("crash", -1.7), ("crashed", -1.8), ("crashes", -1.8), ("crashing", -1.9), ("creative", 1.9),
    ("cruel", -2.8), ("cumbersome", -1.5), ("damage", -2.2), ("damaged", -1.9), ("danger", -2.4), ("dangerous", -2.1),
    ("dead", -3.3), ("debt", -1.5), ("decline", -1.1), ("declined", -1.3), ("defect", -1.4), ("defective", -1.9),
    ("defects", -1.4), ("delay", -1.3), ("delayed", -1.4), ("delays", -1.4), ("delight", 2.9), ("delighted", 3.0),
    ("delightful", 2.9), ("denied", -1.3), ("deny", -1.4), ("dependable", 1.8), ("depressed", -2.3), ("destroy", -2.5),
    ("difficult", -1.5), ("difficulty", -1.4), ("dirty", -1.9), ("disappoint", -2.3), ("disappointed", -2.1),
    ("disappointing", -2.2), ("disappointment", -2.3), ("disaster", -3.1), ("disgusting", -2.4), ("dislike", -1.6),
    ("dispute", -1.5), ("dissatisfaction", -2.0), ("dissatisfied", -1.6), ("distress", -2.4), ("downtime", -1.6),
    ("dreadful", -2.3), ("dumb", -2.3), ("easy", 1.9), ("effective", 2.0), ("efficient", 1.8), ("effortless", 2.0),
    ("elegant", 2.1), ("enjoy", 2.2), ("enjoyed", 2.3), ("enthusiastic", 2.6), ("error", -1.4), ("errors", -1.4),
    ("escalate", -0.9), ("escalated", -0.9), ("exceeded", 1.6), ("exceeds", 1.6), ("excellence", 3.1),
    ("excellent", 3.2), ("exceptional", 2.8), ("excited", 2.4), ("exciting", 2.3), ("expensive", -0.9),
    ("fabulous", 2.9), ("fail", -2.5), ("failed", -2.3), ("failing", -2.3), ("fails", -2.3), ("failure", -2.3),
    ("fair", 1.3), ("fake", -2.1), ("fantastic", 3.1), ("fast", 1.2), ("fault", -1.7), ("faulty", -1.8),
    ("favorite", 2.0), ("fear", -2.2), ("fine", 0.8), ("fixed", 1.2), ("flawless", 2.9), ("flexible", 1.3),
    ("fraud", -2.8), ("free", 1.0), ("friendly", 2.2), ("frustrated", -2.4), ("frustrating", -2.0),
    ("frustration", -2.1), ("fun", 2.3), ("furious", -2.7), ("gain", 2.0), ("gains", 1.8), ("garbage", -1.8),
    ("generous", 2.3), ("genius", 2.4), ("glad", 2.0), ("glitch", -1.3), ("glitches", -1.3), ("good", 1.9),
    ("gorgeous", 3.0), ("grateful", 2.3), ("great", 3.1), ("greedy", -1.3), ("grief", -2.2), ("growth", 1.6),
    ("hacked", -1.9), ("happily", 2.4), ("happiness", 2.6), ("happy", 2.7), ("harm", -2.5), ("harmful", -2.6),
    ("harmless", 1.0), ("hassle", -1.7), ("hate", -2.7), ("hated", -3.2), ("headache", -1.4), ("helped", 1.5),
    ("helpful", 1.9), ("honest", 2.2), ("hope", 1.9), ("hopeful", 1.8), ("hopeless", -2.0), ("horrendous", -3.0),
    ("horrible", -2.5), ("horrific", -3.4), ("hostile", -2.2), ("hurt", -2.4), ("ideal", 2.2), ("idiot", -2.3),
    ("ignored", -1.3), ("impeccable", 2.6), ("impossible", -1.5), ("impressed", 2.2), ("impressive", 2.3),
    ("improve", 1.9), ("improved", 2.1), ("improvement", 2.0), ("inaccurate", -1.4), ("incompetent", -2.1),
    ("inconvenience", -1.3), ("inconvenient", -1.4), ("incorrect", -1.3), ("incredible", 2.6), ("ineffective", -1.3),
    ("inefficient", -1.3), ("innovative", 2.0), ("insecure", -1.8), ("inspiring", 2.4), ("instant", 1.0),
    ("insult", -2.3), ("intuitive", 1.8), ("invalid", -1.1), ("irritating", -2.0), ("issue", -0.6), ("issues", -0.6),
    ("joy", 2.8), ("junk", -1.7), ("kind", 2.0), ("knowledgeable", 1.8), ("kudos", 2.3), ("lag", -1.0), ("laggy", -1.3),
    ("lame", -1.8), ("late", -0.8), ("lawsuit", -1.8), ("layoffs", -1.8), ("leak", -1.4), ("lie", -1.6), ("lied", -1.6),
    ("liked", 1.8), ("loses", -1.5), ("losing", -1.6), ("loss", -1.3), ("lost", -1.3), ("love", 3.2), ("loved", 2.9),
    ("lovely", 2.8), ("loyal", 2.1), ("lucky", 2.3), ("mad", -2.2), ("marvelous", 2.9), ("mess", -1.5), ("messy", -1.5),
    ("miserable", -2.2), ("misleading", -1.7), ("missing", -1.2), ("mistake", -1.4), ("mistakes", -1.5),
    ("nasty", -2.6), ("neat", 2.0), ("negative", -1.6), ("nice", 1.8), ("nightmare", -2.2), ("nonsense", -1.7),
    ("ok", 1.2), ("okay", 0.9), ("opportunity", 1.6), ("outage", -1.8), ("outrage", -2.3), ("outrageous", -2.0),
    ("outstanding", 3.0), ("overcharged", -2.0), ("overdue", -1.0), ("overpriced", -1.6), ("pain", -2.3),
    ("painful", -1.9), ("painless", 1.5), ("pathetic", -2.7), ("patience", 1.3), ("patient", 1.3), ("penalty", -1.6),
    ("perfect", 2.7), ("perfectly", 2.7), ("pleasant", 2.3), ("pleasantly", 2.1), ("pleased", 2.2), ("pleasure", 2.7),
    ("polite", 1.8), ("poor", -2.1), ("poorly", -1.8), ("popular", 1.8), ("positive", 2.2), ("powerful", 1.8),
    ("praise", 2.6), ("problem", -1.7), ("problematic", -1.8), ("problems", -1.7), ("productive", 1.8),
    ("professional", 1.6), ("profit", 1.9), ("profitable", 2.0), ("proud", 2.1), ("quick", 1.1), ("quickly", 1.0),
    ("rage", -2.6), ("reasonable", 1.2), ("recommend", 1.8), ("recommended", 1.8), ("recovered", 1.2),
    ("refreshing", 1.9), ("refund", -1.0), ("refused", -1.2), ("regret", -1.8), ("reject", -1.7), ("rejected", -2.3),
    ("reliable", 2.0), ("relief", 2.0), ("relieved", 1.9), ("remarkable", 2.3), ("resolved", 1.6), ("respect", 2.1),
    ("responsive", 1.6), ("reward", 2.0), ("rewarding", 2.2), ("ridiculous", -1.5), ("risk", -1.1), ("risky", -1.4),
    ("robust", 1.6), ("rude", -2.0), ("ruined", -2.4), ("sad", -2.1), ("safe", 1.9), ("satisfied", 2.1),
    ("satisfying", 2.0), ("scam", -2.7), ("scary", -2.2), ("seamless", 2.0), ("secure", 1.4), ("shame", -2.1),
    ("shameful", -2.2), ("simple", 1.0), ("sloppy", -1.6), ("slow", -1.0), ("sluggish", -1.3), ("smart", 1.7),
    ("smooth", 1.6), ("smoothly", 1.5), ("solid", 1.5), ("solved", 1.6), ("sorry", -0.3), ("spam", -1.5),
    ("speedy", 1.5), ("stable", 1.3), ("stellar", 2.8), ("stress", -1.8), ("stressful", -2.3), ("strong", 2.1),
    ("stuck", -1.3), ("stunning", 2.8), ("stupid", -2.4), ("success", 2.7), ("successful", 2.6), ("successfully", 2.2),
    ("suck", -1.9), ("sucks", -1.5), ("suffer", -2.5), ("superb", 3.1), ("supportive", 2.2), ("sweet", 2.0),
    ("terrible", -2.1), ("terrific", 3.0), ("thank", 1.5), ("thankful", 2.3), ("thanks", 1.9), ("thorough", 1.5),
    ("threat", -2.4), ("thrilled", 3.0), ("thriving", 2.4), ("timely", 1.4), ("timeout", -0.9), ("tired", -1.5),
    ("trouble", -1.7), ("trust", 2.2), ("trusted", 2.0), ("trustworthy", 2.3), ("ugly", -2.3), ("unable", -1.2),
    ("unacceptable", -2.0), ("unanswered", -1.2), ("unavailable", -1.1), ("unclear", -1.0), ("uncomfortable", -1.6),
    ("unfair", -2.1), ("unfortunately", -1.4), ("unhappy", -1.8), ("unhelpful", -1.7), ("unprofessional", -1.9),
    ("unreliable", -1.9), ("unresolved", -1.5), ("unresponsive", -1.6), ("unstable", -1.5), ("unusable", -2.1),
    ("upgrade", 1.2), ("upgraded", 1.3), ("upset", -1.6), ("useful", 1.9), ("useless", -1.8), ("user-friendly", 2.0),
    ("valuable", 2.1), ("vulnerability", -1.3), ("waste", -1.8), ("wasted", -2.2), ("weak", -1.9), ("welcome", 2.0),
    ("win", 2.8), ("winner", 2.8), ("wins", 2.7), ("wonderful", 2.7), ("worried", -1.2), ("worse", -2.1),
    ("worst", -3.1), ("worth", 0.9), ("worthless", -1.9), ("wow", 2.8), ("wrong", -2.1), ("yay", 2.4),
];

/// Analyses `text` and returns its compound score, label and positive/negative/neutral proportions.
///
/// Empty or whitespace-only text (or text without words) is neutral with score 0 and `neutral == 1.0`.
pub fn analyze(text: &str) -> Sentiment {
    let tokens = tokenize(text);
    if tokens.is_empty() {
        return Sentiment { label: Label::Neutral, score: 0.0, positive: 0.0, negative: 0.0, neutral: 1.0 };
    }
    let caps = tokens.iter().filter(|t| t.caps).count();
    let cap_diff = caps > 0 && caps < tokens.len();
    let mut valences: Vec<f64> = (0..tokens.len()).map(|i| valence(&tokens, i, cap_diff)).collect();

    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        if token.sentence_end || i + 1 == tokens.len() {
            weigh_but(&tokens[start..=i], &mut valences[start..=i]);
            start = i + 1;
        }
    }

    let exclamations = text.chars().filter(|&c| c == '!').count().min(MAX_EXCLAMATIONS);
    let emphasis = exclamations as f64 * EXCLAMATION_BOOST;
    let sum: f64 = valences.iter().sum();
    let sum = if sum > 0.0 {
        sum + emphasis
    } else if sum < 0.0 {
        sum - emphasis
    } else {
        sum
    };
    // `+ 0.0` turns a rounded `-0.0` into `0.0`.
    let score = round_to((sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0), 4) + 0.0;

    let (mut pos, mut neg, mut neu) = (0.0, 0.0, 0.0);
    for &v in &valences {
        if v > 0.0 {
            pos += v + 1.0;
        } else if v < 0.0 {
            neg += 1.0 - v;
        } else {
            neu += 1.0;
        }
    }
    if pos > neg {
        pos += emphasis;
    } else if pos < neg {
        neg += emphasis;
    }
    let [positive, negative, neutral] = proportions([pos, neg, neu]);
    let label = if score >= LABEL_THRESHOLD {
        Label::Positive
    } else if score <= -LABEL_THRESHOLD {
        Label::Negative
    } else {
        Label::Neutral
    };
    Sentiment { label, score, positive, negative, neutral }
}

/// A lowercased word with its casing and the punctuation that follows it.
struct Token {
    word: String,
    caps: bool,
    clause_end: bool,
    sentence_end: bool,
}

/// Splits text into words of at least two characters (letters, digits, inner apostrophes and hyphens).
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        let c = if c == '\u{2019}' { '\'' } else { c };
        if c.is_alphanumeric() || c == '\'' || c == '-' {
            current.push(c);
            continue;
        }
        let word = current.trim_matches(|c| c == '\'' || c == '-');
        if word.chars().nth(1).is_some() {
            let caps = word.chars().any(char::is_uppercase) && !word.chars().any(char::is_lowercase);
            tokens.push(Token { word: word.to_lowercase(), caps, clause_end: false, sentence_end: false });
        }
        current.clear();
        if let Some(last) = tokens.last_mut() {
            match c {
                '.' | '!' | '?' => {
                    last.sentence_end = true;
                    last.clause_end = true;
                }
                ',' | ';' | ':' => last.clause_end = true,
                _ => {}
            }
        }
    }
    tokens
}

/// Valence of the lexicon entry for `word`, if any.
fn lookup(word: &str) -> Option<f64> {
    LEXICON.binary_search_by(|(w, _)| (*w).cmp(word)).ok().map(|i| LEXICON[i].1)
}

fn is_negation(word: &str) -> bool {
    word.ends_with("n't")
        || matches!(
            word,
            "not"
                | "no"
                | "never"
                | "cannot"
                | "nor"
                | "neither"
                | "none"
                | "nobody"
                | "nothing"
                | "nowhere"
                | "without"
                | "rarely"
                | "seldom"
                | "dont"
                | "doesnt"
                | "didnt"
                | "isnt"
                | "arent"
                | "wasnt"
                | "werent"
                | "cant"
                | "couldnt"
                | "shouldnt"
                | "wouldnt"
                | "wont"
                | "aint"
                | "havent"
                | "hasnt"
                | "hadnt"
        )
}

/// Booster (`+0.293`) or dampener (`-0.293`) strength of the token at `j`; "kind of" and "sort of" damp.
fn modifier(tokens: &[Token], j: usize) -> Option<f64> {
    let word = tokens[j].word.as_str();
    if word == "of" && j > 0 && !tokens[j - 1].clause_end && matches!(tokens[j - 1].word.as_str(), "kind" | "sort") {
        return Some(-BOOST);
    }
    match word {
        "absolutely" | "completely" | "deeply" | "especially" | "exceptionally" | "extremely" | "highly" | "hugely"
        | "incredibly" | "particularly" | "quite" | "really" | "remarkably" | "so" | "super" | "thoroughly"
        | "totally" | "tremendously" | "truly" | "unbelievably" | "utterly" | "very" => Some(BOOST),
        "almost" | "barely" | "hardly" | "kinda" | "less" | "little" | "marginally" | "occasionally" | "partly"
        | "scarcely" | "slightly" | "somewhat" | "sorta" => Some(-BOOST),
        _ => None,
    }
}

/// Valence of token `i` after caps emphasis, preceding modifiers and negation.
fn valence(tokens: &[Token], i: usize, cap_diff: bool) -> f64 {
    let token = &tokens[i];
    let next_is_of = tokens.get(i + 1).is_some_and(|t| t.word == "of");
    if token.word == "kind" && next_is_of && !token.clause_end {
        return 0.0;
    }
    let Some(base) = lookup(&token.word) else {
        return 0.0;
    };
    let direction = base.signum();
    let mut value = base;
    if cap_diff && token.caps {
        value += CAPS_BOOST * direction;
    }
    let mut negations = 0;
    for (distance, decay) in DISTANCE_DECAY.iter().enumerate() {
        let Some(j) = i.checked_sub(distance + 1) else { break };
        if tokens[j].clause_end {
            break;
        }
        if let Some(strength) = modifier(tokens, j) {
            let caps = if cap_diff && tokens[j].caps { CAPS_BOOST.copysign(strength) } else { 0.0 };
            value += (strength + caps) * decay * direction;
        }
        if is_negation(&tokens[j].word) {
            negations += 1;
        }
    }
    if value.signum() != direction {
        value = 0.0;
    }
    value * NEGATION_SCALAR.powi(negations)
}

/// Within one sentence, halves the words before the first "but" and multiplies the words after it by 1.5.
fn weigh_but(tokens: &[Token], valences: &mut [f64]) {
    let Some(but) = tokens.iter().position(|t| t.word == "but") else { return };
    for (k, v) in valences.iter_mut().enumerate() {
        if k < but {
            *v *= 0.5;
        } else if k > but {
            *v *= 1.5;
        }
    }
}

/// Normalises the parts to thousandths that sum to exactly 1000 (largest-remainder rounding).
fn proportions(parts: [f64; 3]) -> [f64; 3] {
    let total: f64 = parts.iter().sum();
    let scaled = parts.map(|p| p / total * 1000.0);
    let mut units = scaled.map(|s| s.floor() as u32);
    let remaining = 1000u32.saturating_sub(units.iter().sum());
    let mut order = [0, 1, 2];
    order.sort_by(|&a, &b| (scaled[b] - scaled[b].floor()).total_cmp(&(scaled[a] - scaled[a].floor())));
    for &k in order.iter().take(remaining as usize) {
        units[k] += 1;
    }
    units.map(|u| f64::from(u) / 1000.0)
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(text: &str) -> f64 {
        analyze(text).score
    }

    #[test]
    fn clear_positive() {
        let s = analyze("The support team was great and very helpful. I love this product!");
        assert_eq!(s.label, Label::Positive);
        assert!(s.score > 0.8, "{s:?}");
        assert!(s.positive > s.negative);
    }

    #[test]
    fn clear_negative() {
        let s = analyze("This is terrible. The app is broken, slow and confusing, and I want a refund.");
        assert_eq!(s.label, Label::Negative);
        assert!(s.score < -0.8, "{s:?}");
        assert!(s.negative > s.positive);
    }

    #[test]
    fn neutral_factual_text() {
        let s = analyze("The invoice was sent on Tuesday to the billing address on file.");
        assert_eq!(s, Sentiment { label: Label::Neutral, score: 0.0, positive: 0.0, negative: 0.0, neutral: 1.0 });
    }

    #[test]
    fn negation_flips() {
        assert_eq!(analyze("not good").label, Label::Negative);
        assert_eq!(analyze("The update isn\u{2019}t good").label, Label::Negative);
        assert_eq!(analyze("I cannot recommend it").label, Label::Negative);
        assert_eq!(analyze("No problems at all").label, Label::Positive);
        assert_eq!(analyze("I don't hate it").label, Label::Positive);
        assert!((score("not good") + score("good") * 0.74).abs() < 0.1);
        // A clause boundary ends the negation window.
        assert_eq!(analyze("It is not slow. Great support").label, Label::Positive);
        assert!(score("not so good, great") > score("not so great"));
    }

    #[test]
    fn boosters_and_dampeners() {
        assert!(score("very good") > score("good"));
        assert!(score("extremely bad") < score("bad"));
        assert!(score("slightly bad") > score("bad"));
        assert!(score("kind of good") < score("good"));
        assert_eq!(analyze("what kind of plan").label, Label::Neutral);
    }

    #[test]
    fn caps_and_exclamation_intensify() {
        assert!(score("The service is GREAT") > score("The service is great"));
        assert!(score("The service is TERRIBLE") < score("The service is terrible"));
        assert!(score("great!!!") > score("great"));
        assert!(score("awful!!") < score("awful"));
        assert_eq!(score("great!!!!"), score("great!!!!!!!!"));
        assert_eq!(score("GREAT SERVICE"), score("great service"));
    }

    #[test]
    fn but_shifts_weight() {
        assert_eq!(analyze("The food was great but the service was terrible").label, Label::Negative);
        assert_eq!(analyze("The service was terrible but the food was great").label, Label::Positive);
        // Only the sentence containing "but" is reweighted.
        assert!(score("slow but great") > score("great"));
        assert!(score("Terrible. Fine but good.") < score("Terrible fine but good"));
    }

    #[test]
    fn empty_text_is_neutral() {
        for text in ["", "   \n\t ", "!!! ..."] {
            let s = analyze(text);
            assert_eq!(s.label, Label::Neutral);
            assert_eq!((s.score, s.positive, s.negative, s.neutral), (0.0, 0.0, 0.0, 1.0));
        }
    }

    #[test]
    fn proportions_sum_to_one() {
        let texts = [
            "good bad ok",
            "I love it, but the billing page is confusing and support was slow!!",
            "Thanks, the refund was processed quickly.",
            "one two three good",
            "terrible awful horrible worst disaster",
        ];
        for text in texts {
            let s = analyze(text);
            let parts = [s.positive, s.negative, s.neutral];
            assert!((parts.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{text}: {s:?}");
            for p in parts {
                assert!((0.0..=1.0).contains(&p));
                assert!((p * 1000.0 - (p * 1000.0).round()).abs() < 1e-6);
            }
            assert!((-1.0..=1.0).contains(&s.score));
        }
    }

    #[test]
    fn lexicon_sorted_and_unique() {
        assert!(LEXICON.len() >= 300, "{}", LEXICON.len());
        for pair in LEXICON.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} !< {}", pair[0].0, pair[1].0);
        }
        for &(word, value) in LEXICON {
            assert!((-4.0..=4.0).contains(&value) && value != 0.0, "{word}");
            assert_eq!(word, word.to_lowercase());
            assert!(lookup(word).is_some());
        }
        assert_eq!(lookup("good"), Some(1.9));
        assert_eq!(lookup("zzz"), None);
    }

    #[test]
    fn long_text_runs() {
        let text = "The onboarding was smooth and helpful, but the export is slow! ".repeat(1000);
        assert!(text.split_whitespace().count() >= 10_000);
        let s = analyze(&text);
        assert!((-1.0..=1.0).contains(&s.score));
        assert!(((s.positive + s.negative + s.neutral) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn serializes_camel_case_and_lowercase_label() {
        let json = serde_json::to_value(analyze("great")).unwrap();
        assert_eq!(json["label"], "positive");
        assert!(json["score"].as_f64().unwrap() > 0.0);
        assert!(json.get("neutral").is_some());
    }
}
