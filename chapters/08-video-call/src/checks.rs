//! What the relay checks in the notes it passes on: their shape, their sizes, and that
//! an offer is an offer. A first reading can skip this file; the lesson is in `lib.rs`.
//!
//! The handlers take these types inside `shared::Checked`, so they only ever receive
//! notes that passed; for anything else the browser hears why, in an `error` event
//! (`"offer: the description's type is \"answer\", not \"offer\""`). Each check runs
//! while serde reads: a type with `#[serde(try_from = "...")]` is read as the type
//! named there, then built by our `TryFrom`, whose error becomes serde's.

use serde::{Deserialize, Serialize};

/// The longest session description (SDP) relayed; a real one is a few kilobytes.
pub const MAX_DESCRIPTION_BYTES: usize = 32 * 1024;
/// The longest ICE candidate line relayed; a real one is under 200 bytes.
pub const MAX_CANDIDATE_BYTES: usize = 1024;

/// A session description, as the browser's `RTCSessionDescription` turns into JSON.
/// Only these two fields are read, and passed on.
#[derive(Clone, Deserialize, Serialize)]
#[serde(expecting = "a session description")]
pub struct Description {
    r#type: String,
    sdp: Sdp,
}

/// The first argument of `offer`: a session description whose type is `"offer"`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(try_from = "Description", into = "Description")]
pub struct Offer(Description);

impl TryFrom<Description> for Offer {
    type Error = String;

    fn try_from(description: Description) -> Result<Self, String> {
        description.of_type("offer").map(Self)
    }
}

/// The first argument of `answer`: a session description whose type is `"answer"`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(try_from = "Description", into = "Description")]
pub struct Answer(Description);

impl TryFrom<Description> for Answer {
    type Error = String;

    fn try_from(description: Description) -> Result<Self, String> {
        description.of_type("answer").map(Self)
    }
}

impl Description {
    fn of_type(self, expected: &str) -> Result<Self, String> {
        if self.r#type == expected {
            Ok(self)
        } else {
            Err(format!(
                "the description's type is {:?}, not {expected:?}",
                self.r#type
            ))
        }
    }
}

impl From<Offer> for Description {
    fn from(Offer(description): Offer) -> Self {
        description
    }
}

impl From<Answer> for Description {
    fn from(Answer(description): Answer) -> Self {
        description
    }
}

/// The SDP text itself: at most [`MAX_DESCRIPTION_BYTES`].
#[derive(Clone, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
struct Sdp(String);

impl TryFrom<String> for Sdp {
    type Error = String;

    fn try_from(sdp: String) -> Result<Self, String> {
        if sdp.len() > MAX_DESCRIPTION_BYTES {
            return Err(format!(
                "the description is too long (at most {MAX_DESCRIPTION_BYTES} bytes)"
            ));
        }
        Ok(Self(sdp))
    }
}

impl From<Sdp> for String {
    fn from(Sdp(sdp): Sdp) -> Self {
        sdp
    }
}

/// An ICE candidate, as the browser's `RTCIceCandidate` turns into JSON. Only these
/// fields are read, and passed on; all but `candidate` may be missing.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase", expecting = "an ICE candidate")]
pub struct Candidate {
    candidate: CandidateLine,
    sdp_mid: Option<String>,
    sdp_m_line_index: Option<u16>,
    username_fragment: Option<String>,
}

/// The candidate line itself: at most [`MAX_CANDIDATE_BYTES`].
#[derive(Clone, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
struct CandidateLine(String);

impl TryFrom<String> for CandidateLine {
    type Error = String;

    fn try_from(line: String) -> Result<Self, String> {
        if line.len() > MAX_CANDIDATE_BYTES {
            return Err(format!(
                "the candidate is too long (at most {MAX_CANDIDATE_BYTES} bytes)"
            ));
        }
        Ok(Self(line))
    }
}

impl From<CandidateLine> for String {
    fn from(CandidateLine(line): CandidateLine) -> Self {
        line
    }
}
