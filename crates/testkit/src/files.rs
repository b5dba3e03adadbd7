//! Files for tests: copying trees on disk (a vault into a temp dir before a test or a benchmark
//! touches it, a checked-in data directory before a server starts on it), listing them, and
//! made-up contents ([`png`], [`noise`]).

use std::path::Path;

/// Copies the tree `from` into `to` (created, with its parents, when missing); returns the
/// files and bytes copied. An error names the path it happened at.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<(u64, u64)> {
    let at = |path: &Path| {
        let path = path.display().to_string();
        move |e: std::io::Error| std::io::Error::new(e.kind(), format!("{path}: {e}"))
    };
    std::fs::create_dir_all(to).map_err(at(to))?;
    let (mut files, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(from).map_err(at(from))? {
        let entry = entry.map_err(at(from))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().map_err(at(&source))?.is_dir() {
            let (tree_files, tree_bytes) = copy_dir(&source, &target)?;
            files += tree_files;
            bytes += tree_bytes;
        } else {
            bytes += std::fs::copy(&source, &target).map_err(at(&source))?;
            files += 1;
        }
    }
    Ok((files, bytes))
}

/// Every file below `root` outside dot folders, dot files left out, as paths with `/`, sorted:
/// what a vault holds. Names that are not UTF-8 are skipped.
pub(crate) fn list_files(root: &Path) -> std::io::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut folders = vec![String::new()];
    while let Some(dir) = folders.pop() {
        let path = root.join(&dir);
        for entry in std::fs::read_dir(&path)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let vault_path = if dir.is_empty() { name } else { format!("{dir}/{name}") };
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(vault_path);
            } else if kind.is_file() {
                files.push(vault_path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A PNG signature followed by `len - 8` bytes that depend on `seed` (xorshift): an image the
/// sniffer accepts, different for each seed, that does not compress.
pub fn png(len: usize, seed: u8) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(seed);
    data.extend((8..len).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    }));
    data
}

/// Text that gzip cannot shrink much (letters drawn from [`png`]), so that a batch spans several
/// chunks.
pub fn noise(len: usize, seed: u8) -> String {
    png(len, seed).iter().map(|b| char::from(b'a' + b % 26)).collect()
}

/// A real PNG of `width` × `height` pixels that a browser decodes (`naturalWidth` is `width`):
/// 8-bit RGB, every pixel `rgb`, IHDR, one zlib IDAT, IEND, each with its CRC.
pub fn image_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    use std::io::Write as _;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("a small chunk").to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    // Each row: filter type 0 (none), then its pixels.
    let row: Vec<u8> = std::iter::once(0).chain((0..width).flat_map(|_| rgb)).collect();
    let rows = row.repeat(height as usize);
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(&rows).expect("in memory");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib.finish().expect("in memory"));
    chunk(&mut png, b"IEND", &[]);
    png
}
