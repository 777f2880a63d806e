//! Photos of deliverables, taken on a phone on the spot: a phone's photo is several
//! megabytes and thousands of pixels wide, more than a record needs. Larger ones are
//! scaled down on arrival (turned upright as the camera recorded), and the attachment
//! keeps the SHA-256 and size of the file as uploaded, so the original can still be
//! matched against the phone's copy.
use std::io::Cursor;

use image::{ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// The longest side a stored photo keeps, in pixels.
pub const MAX_SIDE: u32 = 1600;
/// Photos up to this size are taken (and scaled down); other files stay within 5 MB.
pub const MAX_PHOTO: usize = 20 * 1024 * 1024;

/// What is stored for an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub data: Vec<u8>,
    /// Set when the stored file is a scaled copy: the original's SHA-256 and size.
    pub original: Option<(String, i64)>,
}

/// Scales a JPEG or PNG photo down to `MAX_SIDE` when it is larger, in its own format.
/// A smaller image, or any other file, is stored as it came.
pub fn prepare(ext: &str, data: Vec<u8>) -> Result<Stored, String> {
    let format = match ext {
        "jpg" | "jpeg" => ImageFormat::Jpeg,
        "png" => ImageFormat::Png,
        _ => return Ok(Stored { data, original: None }),
    };
    let decoded = {
        let mut reader = ImageReader::with_format(Cursor::new(data.as_slice()), format);
        // A hostile file cannot make the server allocate without bound.
        let mut limits = Limits::default();
        limits.max_image_width = Some(12_000);
        limits.max_image_height = Some(12_000);
        limits.max_alloc = Some(512 * 1024 * 1024);
        reader.limits(limits);
        let mut decoder = reader.into_decoder().map_err(|_| unreadable())?;
        let (w, h) = decoder.dimensions();
        let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
        if w.max(h) <= MAX_SIDE && orientation == image::metadata::Orientation::NoTransforms {
            None
        } else {
            let mut img = image::DynamicImage::from_decoder(decoder).map_err(|_| unreadable())?;
            img.apply_orientation(orientation);
            Some(img)
        }
    };
    let Some(img) = decoded else { return Ok(Stored { data, original: None }) };
    let img = if img.width().max(img.height()) > MAX_SIDE { img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle) } else { img };
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
            img.to_rgb8().write_with_encoder(enc).map_err(|e| e.to_string())?;
        }
        _ => img.write_to(&mut out, ImageFormat::Png).map_err(|e| e.to_string())?,
    }
    let original = (hex::encode(Sha256::digest(&data)), data.len() as i64);
    Ok(Stored { data: out.into_inner(), original: Some(original) })
}

fn unreadable() -> String {
    "图片无法读取，请重新拍照或选择其他图片".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_large_photo_is_scaled_to_the_longest_side_keeping_the_originals_hash() {
        let original = jpeg(3000, 2000);
        let s = prepare("jpg", original.clone()).unwrap();
        let (hash, size) = s.original.clone().unwrap();
        assert_eq!(hash, hex::encode(Sha256::digest(&original)));
        assert_eq!(size, original.len() as i64);
        let back = image::load_from_memory(&s.data).unwrap();
        assert_eq!((back.width(), back.height()), (1600, 1067));
        assert!(s.data.starts_with(&[0xFF, 0xD8, 0xFF]), "still a JPEG");
        assert!(s.data.len() < original.len());
    }

    #[test]
    fn a_small_photo_and_other_files_are_kept_as_they_came() {
        let small = jpeg(800, 600);
        assert_eq!(prepare("jpg", small.clone()).unwrap(), Stored { data: small, original: None });
        let pdf = b"%PDF-1.4 ...".to_vec();
        assert_eq!(prepare("pdf", pdf.clone()).unwrap().data, pdf);
    }

    #[test]
    fn a_broken_image_is_refused_in_words() {
        let mut broken = jpeg(2000, 2000);
        broken.truncate(600);
        assert!(prepare("jpg", broken).unwrap_err().contains("图片无法读取"));
    }
}
