//! [`Message`]: a list of segments, built with chained calls, sent as an array, decoded from
//! an array, one segment or a CQ-code string.

pub mod at;
pub mod cq;

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::files::collect::{Blank, CollectFiles};
use crate::files::uploadable::Uploadable;
use crate::message::at::AtTarget;
use crate::types::{
    AtSegment, ContactKind, ContactSegment, DiceSegment, FaceSegment, ForwardNode, ForwardSegment,
    ImageSegment, JsonSegment, LocationSegment, MarkdownSegment, MediaSegment, MusicSegment,
    NodeSegment, PokeSegment, ReplySegment, Segment, TextSegment, XmlSegment,
};
use crate::wire::ids::{ForwardId, MessageId, UserId};

/// A message: segments in order.
///
/// ```
/// use api_core::{Message, Uploadable};
///
/// let m = Message::new()
///     .text("hi ")
///     .at(123456)
///     .image(Uploadable::url("https://example.com/a.png"));
/// assert_eq!(m.len(), 3);
/// assert_eq!(m.plain_text(), "hi ");
/// assert_eq!(Message::from("hello").to_cq(), "hello");
/// assert_eq!(Message::from_cq("hi [CQ:at,qq=1]").len(), 2);
/// ```
///
/// Sent as an array of `{type, data}` objects. Received messages decode from an array, a
/// single segment, or a CQ string (NapCat's `messagePostFormat: "string"`) to the same value.
/// Files in segments (an image's `file`) take every form [`Uploadable`] does and are read
/// before the message is sent; a missing one is [`Error::InvalidArgument`](crate::error::Error)
/// naming the segment, e.g. `message[2].data.file`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    segments: Vec<Segment>,
}

impl Message {
    /// An empty message.
    pub fn new() -> Self {
        Message::default()
    }

    /// Parses a CQ-code string (never fails: a malformed code stays text).
    pub fn from_cq(text: &str) -> Self {
        Message {
            segments: cq::parse(text),
        }
    }

    /// The message as a CQ-code string, escaped as OneBot 11 does.
    pub fn to_cq(&self) -> String {
        cq::render(&self.segments)
    }

    /// Appends a segment.
    pub fn push(mut self, segment: impl Into<Segment>) -> Self {
        self.segments.push(segment.into());
        self
    }

    /// Appends a segment in place.
    pub fn push_segment(&mut self, segment: impl Into<Segment>) {
        self.segments.push(segment.into());
    }

    /// Appends text.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.push(Segment::Text(TextSegment::new(text)))
    }

    /// Appends an @ of a QQ number.
    pub fn at(self, user_id: impl Into<UserId>) -> Self {
        self.push(Segment::At(AtSegment::user(user_id)))
    }

    /// Appends @全体成员.
    pub fn at_all(self) -> Self {
        self.push(Segment::At(AtSegment::everyone()))
    }

    /// Appends a QQ face by id.
    pub fn face(self, id: impl Into<String>) -> Self {
        self.push(Segment::Face(FaceSegment::new(id)))
    }

    /// Appends a quote of the message with this id (put it first).
    pub fn reply(self, message_id: impl Into<MessageId>) -> Self {
        self.push(Segment::Reply(
            ReplySegment::new().id(message_id.into().to_string()),
        ))
    }

    /// Appends an image.
    pub fn image(self, file: impl Into<Uploadable>) -> Self {
        self.push(Segment::Image(ImageSegment::new(file)))
    }

    /// Appends a voice message.
    pub fn record(self, file: impl Into<Uploadable>) -> Self {
        self.push(Segment::Record(MediaSegment::new(file)))
    }

    /// Appends a video.
    pub fn video(self, file: impl Into<Uploadable>) -> Self {
        self.push(Segment::Video(MediaSegment::new(file)))
    }

    /// Appends a video shown with `cover` as its cover image (NapCat otherwise takes a frame
    /// of the video).
    pub fn video_with_cover(
        self,
        file: impl Into<Uploadable>,
        cover: impl Into<Uploadable>,
    ) -> Self {
        self.push(Segment::Video(MediaSegment::new(file).thumb(cover)))
    }

    /// Appends a file. A local file is sent under its own name (otherwise NapCat names it
    /// with a random id); [`Message::file_named`] gives another.
    pub fn file(self, file: impl Into<Uploadable>) -> Self {
        let file = file.into();
        let name = match &file {
            Uploadable::Path(path) => path.file_name().map(|n| n.to_string_lossy().into_owned()),
            _ => None,
        };
        let segment = MediaSegment::new(file);
        self.push(Segment::File(match name {
            Some(name) => segment.name(name),
            None => segment,
        }))
    }

    /// Appends a file shown under `name`.
    pub fn file_named(self, file: impl Into<Uploadable>, name: impl Into<String>) -> Self {
        self.push(Segment::File(MediaSegment::new(file).name(name)))
    }

    /// Appends a forward card by its id (a forward segment's `id`, or what
    /// `send_forward_msg` returned).
    pub fn forward(self, id: impl Into<ForwardId>) -> Self {
        self.push(Segment::Forward(ForwardSegment::new(id)))
    }

    /// Appends a forward node (a message quoted by id, or one with its own sender and
    /// content; see [`NodeSegment::by_id`] and [`NodeSegment::custom`]).
    pub fn node(self, node: NodeSegment) -> Self {
        self.push(Segment::Node(node))
    }

    /// Appends a JSON card.
    pub fn json(self, data: impl Into<Value>) -> Self {
        self.push(Segment::Json(JsonSegment::new(data.into())))
    }

    /// Appends an XML card.
    pub fn xml(self, data: impl Into<String>) -> Self {
        self.push(Segment::Xml(XmlSegment::new(data)))
    }

    /// Appends Markdown.
    pub fn markdown(self, content: impl Into<String>) -> Self {
        self.push(Segment::Markdown(MarkdownSegment::new(content)))
    }

    /// Appends a music card.
    pub fn music(self, music: MusicSegment) -> Self {
        self.push(Segment::Music(music))
    }

    /// Appends a poke.
    pub fn poke(self, kind: impl Into<String>, id: impl Into<String>) -> Self {
        self.push(Segment::Poke(PokeSegment::new(kind, id)))
    }

    /// Appends a dice roll.
    pub fn dice(self) -> Self {
        self.push(Segment::Dice(DiceSegment::new()))
    }

    /// Appends rock-paper-scissors.
    pub fn rps(self) -> Self {
        self.push(Segment::Rps(DiceSegment::new()))
    }

    /// Appends a contact card for a friend or a group.
    pub fn contact(self, kind: ContactKind, id: i64) -> Self {
        self.push(Segment::Contact(ContactSegment::new(kind, id.to_string())))
    }

    /// Appends a location.
    pub fn location(self, lat: f64, lon: f64) -> Self {
        self.push(Segment::Location(LocationSegment::new(lat, lon)))
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The segments, to change them.
    pub fn segments_mut(&mut self) -> &mut Vec<Segment> {
        &mut self.segments
    }

    /// The segments, owned.
    pub fn into_segments(self) -> Vec<Segment> {
        self.segments
    }

    /// The segments in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Segment> {
        self.segments.iter()
    }

    /// How many segments.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// Whether there is no segment.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The text segments joined, without anything else.
    pub fn plain_text(&self) -> String {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The QQ numbers @-ed (not @全体成员, see [`Message::mentions_everyone`]).
    pub fn mentions(&self) -> impl Iterator<Item = UserId> + '_ {
        self.segments.iter().filter_map(|s| match s {
            Segment::At(a) => match a.target()? {
                AtTarget::User(user) => Some(user),
                AtTarget::Everyone => None,
            },
            _ => None,
        })
    }

    /// Whether it @s everyone (@全体成员).
    pub fn mentions_everyone(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::At(a) if a.target() == Some(AtTarget::Everyone)))
    }

    /// The id of the message this one quotes, if it does (and the id is NapCat's short one).
    pub fn reply_to(&self) -> Option<MessageId> {
        self.segments.iter().find_map(|s| match s {
            Segment::Reply(r) => r.id.as_deref()?.parse().ok(),
            _ => None,
        })
    }
}

/// Plain text (not parsed as CQ codes; use [`Message::from_cq`] for that).
impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::new().text(text)
    }
}

/// Plain text (not parsed as CQ codes).
impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::new().text(text)
    }
}

impl From<Segment> for Message {
    fn from(segment: Segment) -> Self {
        Message {
            segments: vec![segment],
        }
    }
}

impl From<Vec<Segment>> for Message {
    fn from(segments: Vec<Segment>) -> Self {
        Message { segments }
    }
}

impl FromIterator<Segment> for Message {
    fn from_iter<I: IntoIterator<Item = Segment>>(iter: I) -> Self {
        Message {
            segments: iter.into_iter().collect(),
        }
    }
}

impl Extend<Segment> for Message {
    fn extend<I: IntoIterator<Item = Segment>>(&mut self, iter: I) {
        self.segments.extend(iter);
    }
}

impl IntoIterator for Message {
    type Item = Segment;
    type IntoIter = std::vec::IntoIter<Segment>;
    fn into_iter(self) -> Self::IntoIter {
        self.segments.into_iter()
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Segment;
    type IntoIter = std::slice::Iter<'a, Segment>;
    fn into_iter(self) -> Self::IntoIter {
        self.segments.iter()
    }
}

/// The CQ-code form.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_cq())
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.segments.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Message;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message: a list of segments, one segment or a CQ-code string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Message, E> {
                Ok(Message::from_cq(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Message, A::Error> {
                let mut segments = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(s) = seq.next_element::<Segment>()? {
                    segments.push(s);
                }
                Ok(Message { segments })
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Message, A::Error> {
                let one = Segment::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Message::from(one))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl CollectFiles for Message {
    fn collect_files<'a>(&'a mut self, path: &str, out: &mut Vec<(String, &'a mut Uploadable)>) {
        self.segments.collect_files(path, out);
    }
}

impl NodeSegment {
    /// A node quoting an existing message by id.
    pub fn by_id(message_id: impl Into<MessageId>) -> Self {
        NodeSegment::new().id(message_id.into().to_string())
    }

    /// A node with its own sender and content.
    pub fn custom(
        user_id: impl Into<crate::wire::ids::UserId>,
        nickname: impl Into<String>,
        content: impl Into<Message>,
    ) -> Self {
        NodeSegment::new()
            .user_id(user_id.into())
            .nickname(nickname)
            .content(content)
    }
}

impl From<NodeSegment> for ForwardNode {
    fn from(node: NodeSegment) -> Self {
        ForwardNode::Node(node)
    }
}

impl ForwardNode {
    /// A node quoting an existing message by id.
    pub fn by_id(message_id: impl Into<MessageId>) -> Self {
        ForwardNode::Node(NodeSegment::by_id(message_id))
    }

    /// A node with its own sender and content.
    pub fn custom(
        user_id: impl Into<crate::wire::ids::UserId>,
        nickname: impl Into<String>,
        content: impl Into<Message>,
    ) -> Self {
        ForwardNode::Node(NodeSegment::custom(user_id, nickname, content))
    }
}

impl Blank for Message {
    /// No segment, or only text segments with nothing but whitespace in them: NapCat would
    /// refuse an empty one, and QQ shows a blank one as nothing.
    fn is_blank(&self) -> bool {
        self.iter().all(|s| match s {
            Segment::Text(t) => t.text.trim().is_empty(),
            _ => false,
        })
    }
}
