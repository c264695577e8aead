//! What the text reader will draw, made explicit before it reads a document.
//!
//! pdf-extract 0.12.1 reads each page's content and, at every `Do`, recurses into the named
//! XObject (any stream, whatever its subtype) with that stream's own resources, or its caller's
//! when it has none. It has no depth limit, and it finds a page's resources and media box by
//! walking `/Parent` links without one: XObjects drawing each other in a loop, or a parent loop,
//! overflow its stack (an abort, not a panic). Guessing its path from outside missed cases, so
//! this module instead rewrites the private copy of the document it is given until its path is
//! the one computed here, then refuses a copy whose drawing loops or nests deeper than
//! [`MAX_DEPTH`]:
//!
//! - every page gets its resources and media box set on itself (inherited ones copied down), so
//!   no `/Parent` link is ever followed, and its content as one plain stream of the operations
//!   decoded here;
//! - every XObject a page reaches gets plain content: a form's operations as decoded here
//!   (nothing when they do not decode), nothing for an image or any other stream;
//! - `Do` operations without a name operand are dropped (pdf-extract panics on them).
//!
//! Each stream is decoded once, with the caller's decompression budget. The walk is over
//! (stream, resources) pairs, as pdf-extract resolves names, memoised and iterative.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

/// Deepest nesting of XObjects (a page drawing a form drawing another...) given to the text
/// reader, which recurses once per level.
pub const MAX_DEPTH: usize = 32;

/// Most `/Parent` links followed to find an inherited attribute.
const MAX_PARENTS: usize = 64;

/// The media box of a page that has none (A4, in points).
const A4: [f32; 4] = [0.0, 0.0, 595.0, 842.0];

/// A drawing loop (or nesting deeper than [`MAX_DEPTH`]) was found: the text is not read.
#[derive(Debug, PartialEq, Eq)]
pub struct Tangled;

/// Which resources dictionary names are looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Res {
    /// An indirect dictionary.
    Object(ObjectId),
    /// The direct `/Resources` dictionary of this page or stream.
    Inline(ObjectId),
}

/// One call of the text reader's `process_stream`: a content stream with the resources its
/// names resolve in.
type Visit = (ObjectId, Res);

/// The object `o` designates, references followed (as both lopdf versions do).
fn deref<'a>(doc: &'a Document, o: &'a Object) -> Option<(Option<ObjectId>, &'a Object)> {
    doc.dereference(o).ok()
}

/// The resources `dict` (owned by object `owner`) carries itself, if they are a dictionary.
fn own_resources(doc: &Document, dict: &Dictionary, owner: ObjectId) -> Option<Res> {
    let (id, o) = deref(doc, dict.get(b"Resources").ok()?)?;
    o.as_dict().ok()?;
    Some(id.map_or(Res::Inline(owner), Res::Object))
}

/// The dictionary a [`Res`] names.
fn resources_dict(doc: &Document, res: Res) -> Option<&Dictionary> {
    match res {
        Res::Object(id) => doc.objects.get(&id)?.as_dict().ok(),
        Res::Inline(owner) => {
            let dict = match doc.get_object(owner).ok()? {
                Object::Stream(s) => &s.dict,
                Object::Dictionary(d) => d,
                _ => return None,
            };
            dict.get(b"Resources").ok()?.as_dict().ok()
        }
    }
}

/// The first value of `key` found on the page or up its `/Parent` chain that `accept` takes.
fn inherited<T>(
    doc: &Document,
    page: ObjectId,
    mut accept: impl FnMut(&Dictionary, ObjectId) -> Option<T>,
) -> Option<T> {
    let mut id = page;
    let mut seen = HashSet::new();
    for _ in 0..MAX_PARENTS {
        if !seen.insert(id) {
            return None;
        }
        let dict = doc.get_dictionary(id).ok()?;
        if let Some(found) = accept(dict, id) {
            return Some(found);
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok()?;
    }
    None
}

fn media_box(doc: &Document, dict: &Dictionary) -> Option<Vec<Object>> {
    let (_, o) = deref(doc, dict.get(b"MediaBox").ok()?)?;
    let numbers: Vec<f32> = o
        .as_array()
        .ok()?
        .iter()
        .map(|n| n.as_float().ok())
        .collect::<Option<_>>()?;
    (numbers.len() >= 4).then(|| numbers[..4].iter().map(|n| Object::Real(*n)).collect())
}

/// Decodes a content stream; `None` when it does not decompress within `limit` or decode.
fn decode(stream: &Stream, limit: usize) -> Option<Vec<Operation>> {
    let bytes = if stream.dict.get(b"Filter").is_ok() {
        stream.decompressed_content_with_limit(limit).ok()?
    } else {
        stream.content.clone()
    };
    Content::decode(&bytes).ok().map(|c| c.operations)
}

pub(crate) fn is_form(stream: &Stream) -> bool {
    stream
        .dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|n| n == b"Form")
}

/// Keeps the operations the text reader can take; returns the names drawn with `Do`, in order.
fn drawn_names(ops: &mut Vec<Operation>) -> Vec<Vec<u8>> {
    ops.retain(|op| {
        op.operator != "Do" || op.operands.first().is_some_and(|o| o.as_name().is_ok())
    });
    ops.iter()
        .filter(|op| op.operator == "Do")
        .filter_map(|op| op.operands.first()?.as_name().ok().map(<[u8]>::to_vec))
        .collect()
}

/// Rewrites `doc` as described in the module documentation, passing every content stream the
/// text reader will read through `rewrite` once. `Err(Tangled)` when the drawing loops or nests
/// deeper than [`MAX_DEPTH`]; the document is then half rewritten and must not be read.
pub fn prepare(
    doc: &mut Document,
    limit: usize,
    max_pages: usize,
    mut rewrite: impl FnMut(Vec<Operation>) -> Vec<Operation>,
) -> Result<(), Tangled> {
    // Content stream -> names it draws.
    let mut draws: HashMap<ObjectId, Vec<Vec<u8>>> = HashMap::new();
    let mut roots: Vec<Visit> = Vec::new();
    let pages: Vec<ObjectId> = doc.page_iter().take(max_pages).collect();
    for page in pages {
        let resources = inherited(doc, page, |d, id| {
            let res = own_resources(doc, d, id)?;
            Some(resources_dict(doc, res)?.clone())
        });
        let media = inherited(doc, page, |d, _| media_box(doc, d))
            .unwrap_or_else(|| A4.iter().map(|n| Object::Real(*n)).collect());
        let mut ops = doc
            .get_page_content_with_limit(page, limit)
            .ok()
            .and_then(|c| Content::decode(&c).ok())
            .map(|c| c.operations)
            .unwrap_or_default();
        let names = drawn_names(&mut ops);
        let bytes = (Content {
            operations: rewrite(ops),
        })
        .encode()
        .unwrap_or_default();
        let content = doc.add_object(Stream::new(Dictionary::new(), bytes));
        let Ok(dict) = doc.get_dictionary_mut(page) else {
            continue;
        };
        dict.set("Resources", resources.unwrap_or_default());
        dict.set("MediaBox", media);
        dict.set("Contents", content);
        draws.insert(content, names);
        roots.push((content, Res::Inline(page)));
    }
    // Depth-first over visits, iteratively; `height` memoises finished ones.
    let mut height: HashMap<Visit, usize> = HashMap::new();
    let mut on_path: HashSet<Visit> = HashSet::new();
    let mut forms: HashMap<ObjectId, Vec<Operation>> = HashMap::new();
    let mut others: HashSet<ObjectId> = HashSet::new();
    for root in roots {
        let mut stack: Vec<(Visit, Vec<Visit>, usize)> = Vec::new();
        let children = callees(doc, root, &draws);
        on_path.insert(root);
        stack.push((root, children, 0));
        while let Some((visit, children, next)) = stack.last_mut() {
            let Some(&child) = children.get(*next) else {
                let h = children
                    .iter()
                    .filter_map(|c| height.get(c))
                    .max()
                    .map_or(1, |h| h + 1);
                height.insert(*visit, h);
                on_path.remove(visit);
                stack.pop();
                continue;
            };
            *next += 1;
            if on_path.contains(&child) {
                return Err(Tangled);
            }
            if let Some(h) = height.get(&child) {
                if stack.len() + h > MAX_DEPTH {
                    return Err(Tangled);
                }
                continue;
            }
            if stack.len() + 1 > MAX_DEPTH {
                return Err(Tangled);
            }
            let id = child.0;
            if let (Entry::Vacant(slot), Some(Object::Stream(stream))) =
                (draws.entry(id), doc.objects.get(&id))
            {
                if is_form(stream) {
                    let mut ops = decode(stream, limit).unwrap_or_default();
                    slot.insert(drawn_names(&mut ops));
                    forms.insert(id, ops);
                } else {
                    slot.insert(Vec::new());
                    others.insert(id);
                }
            }
            let grandchildren = callees(doc, child, &draws);
            on_path.insert(child);
            stack.push((child, grandchildren, 0));
        }
    }
    for (id, ops) in forms {
        let bytes = (Content {
            operations: rewrite(ops),
        })
        .encode()
        .unwrap_or_default();
        if let Some(Object::Stream(stream)) = doc.objects.get_mut(&id) {
            stream.set_plain_content(bytes);
        }
    }
    for id in others {
        if let Some(Object::Stream(stream)) = doc.objects.get_mut(&id) {
            stream.set_plain_content(Vec::new());
        }
    }
    Ok(())
}

/// The visits a visit makes: each name it draws, resolved in its resources' `/XObject`
/// dictionary, with the target's own resources or else the caller's.
fn callees(
    doc: &Document,
    (stream, res): Visit,
    draws: &HashMap<ObjectId, Vec<Vec<u8>>>,
) -> Vec<Visit> {
    let Some(names) = draws.get(&stream) else {
        return Vec::new();
    };
    let xobjects = resources_dict(doc, res)
        .and_then(|r| r.get(b"XObject").ok())
        .and_then(|x| deref(doc, x))
        .and_then(|(_, x)| x.as_dict().ok());
    let Some(xobjects) = xobjects else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|name| {
            let (Some(id), Object::Stream(target)) = deref(doc, xobjects.get(name).ok()?)? else {
                return None;
            };
            Some((id, own_resources(doc, &target.dict, id).unwrap_or(res)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use lopdf::dictionary;

    use super::*;
    use crate::Limits;
    use crate::pdf::text::extract_text;

    /// Adds a page tree of one page drawing `page_ops` with `page_resources`; returns the page.
    fn add_page(doc: &mut Document, page_ops: &str, page_resources: Dictionary) -> ObjectId {
        let pages = doc.new_object_id();
        let content = doc.add_object(Stream::new(Dictionary::new(), page_ops.as_bytes().to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages,
            "Contents" => content,
            "Resources" => page_resources,
        });
        doc.objects.insert(
            pages,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => vec![page.into()],
                "Count" => 1,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        page
    }

    fn form(ops: &str, resources: Option<Dictionary>) -> Stream {
        let mut dict = dictionary! { "Type" => "XObject", "Subtype" => "Form" };
        if let Some(r) = resources {
            dict.set("Resources", r);
        }
        Stream::new(dict, ops.as_bytes().to_vec())
    }

    fn prepared(doc: &mut Document) -> Result<(), Tangled> {
        prepare(doc, 1 << 20, 100, |ops| ops)
    }

    #[test]
    fn a_form_drawing_itself_through_its_callers_resources_is_refused() {
        // The form has no resources: pdf-extract resolves its `/X` in the page's, which name
        // the form itself.
        let mut doc = Document::with_version("1.7");
        let x = doc.add_object(form("/X Do", None));
        add_page(
            &mut doc,
            "/X Do",
            dictionary! { "XObject" => dictionary! { "X" => x } },
        );
        assert_eq!(prepared(&mut doc.clone()), Err(Tangled));
        assert!(extract_text(doc, &Limits::default()).is_err());
    }

    #[test]
    fn a_loop_through_two_resource_contexts_is_refused() {
        // A (own resources: /B -> B) draws B; B has none, so its `/A` resolves in A's: A again.
        let mut doc = Document::with_version("1.7");
        let b = doc.add_object(form("/A Do", None));
        let a_id = doc.new_object_id();
        let a_res = dictionary! { "XObject" => dictionary! { "B" => b, "A" => a_id } };
        doc.objects
            .insert(a_id, Object::Stream(form("/B Do", Some(a_res))));
        add_page(
            &mut doc,
            "/A Do",
            dictionary! { "XObject" => dictionary! { "A" => a_id } },
        );
        assert_eq!(prepared(&mut doc), Err(Tangled));
    }

    #[test]
    fn any_stream_drawn_is_read_as_content_so_non_forms_are_emptied() {
        // An "image" whose bytes say `/I Do`: pdf-extract reads whatever is drawn as content
        // and would recurse for ever; emptied, it draws nothing.
        let mut doc = Document::with_version("1.7");
        let image = doc.new_object_id();
        let resources = dictionary! { "XObject" => dictionary! { "I" => image } };
        doc.objects.insert(
            image,
            Object::Stream(Stream::new(
                dictionary! { "Subtype" => "Image", "Resources" => resources.clone() },
                b"/I Do".to_vec(),
            )),
        );
        add_page(&mut doc, "/I Do", resources);
        assert_eq!(prepared(&mut doc), Ok(()));
        let stream = doc.get_object(image).unwrap().as_stream().unwrap();
        assert!(stream.content.is_empty());
    }

    /// A page drawing a chain of `forms` nested forms, the innermost showing "deep".
    fn chain(forms: usize) -> Document {
        let mut doc = Document::with_version("1.7");
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let mut inner = doc.add_object(form(
            "BT /F1 12 Tf 72 700 Td (deep) Tj ET",
            Some(dictionary! { "Font" => dictionary! { "F1" => font } }),
        ));
        for _ in 1..forms {
            let resources = dictionary! { "XObject" => dictionary! { "N" => inner } };
            inner = doc.add_object(form("/N Do", Some(resources)));
        }
        add_page(
            &mut doc,
            "/N Do",
            dictionary! { "XObject" => dictionary! { "N" => inner } },
        );
        doc
    }

    #[test]
    fn nesting_is_read_up_to_the_limit_and_refused_beyond() {
        // The page's content is one level: MAX_DEPTH - 1 forms fit.
        let layer = extract_text(chain(MAX_DEPTH - 1), &Limits::default()).unwrap();
        assert!(layer.text.contains("deep"), "{:?}", layer.text);
        assert_eq!(prepared(&mut chain(MAX_DEPTH)), Err(Tangled));
    }

    #[test]
    fn a_parent_loop_without_a_media_box_is_cut() {
        // The page inherits from a node that is its own parent and has no media box:
        // pdf-extract would climb for ever. The page gets A4 and its own (empty) resources.
        let mut doc = Document::with_version("1.7");
        let page = add_page(&mut doc, "BT ET", Dictionary::new());
        let node = doc.add_object(Dictionary::new());
        doc.objects
            .insert(node, Object::Dictionary(dictionary! { "Parent" => node }));
        let dict = doc.get_dictionary_mut(page).unwrap();
        dict.set("Parent", node);
        dict.remove(b"Resources");
        let pages = doc
            .catalog()
            .unwrap()
            .get(b"Pages")
            .unwrap()
            .as_reference()
            .unwrap();
        doc.get_dictionary_mut(pages).unwrap().remove(b"MediaBox");
        assert_eq!(prepared(&mut doc), Ok(()));
        let dict = doc.get_dictionary(page).unwrap();
        assert_eq!(dict.get(b"MediaBox").unwrap().as_array().unwrap().len(), 4);
        assert!(dict.get(b"Resources").unwrap().as_dict().is_ok());
        assert!(extract_text(doc, &Limits::default()).is_ok());
    }
}
