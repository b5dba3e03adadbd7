//! Excalidraw drawings: an embed shows the image the plugin exports beside the drawing, and the
//! drawing's own note (`….excalidraw.md`, sent as an ordinary note by the unmodified plugin) is a
//! page that shows that image, never the drawing's compressed scene.

use vps_build::MemoryBlobs;
use vps_core::revision::{Asset, Revision};
use vps_core::{AssetPath, ContentHash, MediaType};

use super::{Publish, html_of, note};

fn svg(path: &str, byte: u8) -> (AssetPath, Asset) {
    let asset = Asset {
        sha256: ContentHash::from_digest([byte; 32]),
        size: 1,
        media_type: MediaType::parse("image/svg+xml").unwrap(),
    };
    (AssetPath::parse(path).unwrap(), asset)
}

/// What the plugin writes for a drawing: its text elements, and the scene compressed in a comment.
const DRAWING: &str = "==⚠  Switch to EXCALIDRAW VIEW in the MORE OPTIONS menu of this document. ⚠==\n\n\
    # Excalidraw Data\n## Text Elements\nHello board ^a1b2c3\n\n%%\n## Drawing\n```compressed-json\n\
    N4KAkARALgngDgUwgLgAQQQDwMYEMA2AlgCYBOuA7hADTgQBuCpAzoQPYB2KqATLZMzYBXUtiRoIACyhQ4zZAHoFAc0JRJQgEYA6bGwC2CgF7N6hbEcK4OCtptbErHALRY8RMpWdx8Vq6g5McXHTcJYHvEvBsglDJ4KJN3ZGCiSBAGEgcWFd9BJGSD5t0GI1GL6Qo2cQ+jBw\n```\n%%";

#[test]
fn a_note_embedding_a_drawing_shows_its_export_and_the_drawing_page_shows_no_scene() {
    let blobs = MemoryBlobs::new();
    let mut drawing = note("Drawings/Plan.excalidraw.md", DRAWING);
    drawing.frontmatter.flat.insert("excalidrawPlugin".into(), "parsed".into());
    let export = svg("Drawings/Plan.excalidraw.svg", 7);
    let sha = export.1.sha256;
    let built = Publish {
        notes: vec![
            note(
                "Post.md",
                "Our plan:\n\n![[Plan.excalidraw|400]]\n\nAnd [[Missing.excalidraw]]:\n\n![[Missing.excalidraw]]",
            ),
            drawing,
        ],
        assets: vec![export],
        ..Publish::default()
    }
    .on(&blobs, &Revision::empty());

    let post = html_of(&blobs, &built, "Post.md");
    assert!(
        post.contains(&format!("_blob/{sha}\" alt=\"Plan.excalidraw\" width=\"400\" decoding=\"async\">")),
        "{post}"
    );
    assert!(
        post.contains("<span class=\"excalidraw-missing\"><strong>Drawing “Missing.excalidraw” is not published"),
        "{post}"
    );
    assert!(post.contains("Auto-export SVG"), "{post}");

    let page = html_of(&blobs, &built, "Drawings/Plan.excalidraw.md");
    assert!(page.contains(&format!("_blob/{sha}\" alt=\"Plan.excalidraw.md\"")), "the page shows the export: {page}");
    for scene in [
        "N4KAkARALgngDgUwgLgAQQQDwMYEMA2AlgCYBOuA7hADTgQBuCpAzoQPYB2KqATLZMzYBXUtiRoIACyhQ4zZAHoFAc0JRJQgEYA6bGwC2CgF7N6hbEcK4OCtptbErHALRY8RMpWdx8Vq6g5McXHTcJYHvEvBsglDJ4KJN3ZGCiSBAGEgcWFd9BJGSD5t0GI1GL6Qo2cQ+jBw",
        "compressed-json",
        "Switch to EXCALIDRAW VIEW",
    ] {
        assert!(!page.contains(scene), "{scene} is on the drawing's page: {page}");
    }
}

#[test]
fn a_drawing_note_without_export_is_a_page_that_says_how_to_publish_one() {
    let blobs = MemoryBlobs::new();
    let built = Publish { notes: vec![note("Sketch.excalidraw.md", DRAWING)], ..Publish::default() }
        .on(&blobs, &Revision::empty());
    let page = html_of(&blobs, &built, "Sketch.excalidraw.md");
    assert!(page.contains("Drawing “Sketch.excalidraw.md” is not published as an image."), "{page}");
    assert!(!page.contains("compressed-json") && !page.contains("EXCALIDRAW VIEW"), "{page}");
}
