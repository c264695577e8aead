//! Self-signed hostile artefacts. A backup folder names its own public key
//! (`coffre-backup.json`) and a bundle's manifest names its own: whoever hands one over can sign
//! whatever they like, so the code behind the signature check reads attacker-chosen content.
//! Random mutations never produce a valid signature; here the fuzzer holds a fixed Ed25519 key,
//! takes a real backup over (its header names the fuzzer's key, its manifests are re-signed)
//! and signs each mutated manifest, so the mutations reach what lies past the signature.
//! Bundles are rebuilt entry by entry around a mutated manifest (the ZIP container, deflate and
//! CRC, would otherwise stop nearly every mutation of the manifest before it is parsed).

use std::io::{Read, Write};
use std::path::Path;

use ring::signature::{Ed25519KeyPair, KeyPair};

/// Seed of the fuzzer's signing key (fixed: committed inputs stay valid).
const SEED: [u8; 32] = [0x5a; 32];

fn key() -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&SEED).expect("a 32-byte seed")
}

/// The fuzzer's public key, hex.
pub fn public_key_hex() -> String {
    hex::encode(key().public_key().as_ref())
}

/// The fuzzer's signature of `message`.
pub fn sign(message: &[u8]) -> Vec<u8> {
    key().sign(message).as_ref().to_vec()
}

/// Makes the backup at `dir` the fuzzer's: its header names the fuzzer's key and every
/// generation's manifest is signed with it.
pub fn adopt_backup(dir: &Path) -> Result<(), String> {
    let header_path = dir.join(coffre_core::backup::BACKUP_FILE);
    let text =
        std::fs::read(&header_path).map_err(|e| format!("{}: {e}", header_path.display()))?;
    let mut header: serde_json::Value = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    header["signing_public_key"] = serde_json::Value::String(public_key_hex());
    let json = serde_json::to_vec_pretty(&header).map_err(|e| e.to_string())?;
    std::fs::write(&header_path, json).map_err(|e| e.to_string())?;
    let gens = dir.join(coffre_core::backup::GENERATIONS_DIR);
    for g in std::fs::read_dir(&gens).map_err(|e| format!("{}: {e}", gens.display()))? {
        let g = g.map_err(|e| e.to_string())?.path();
        let manifest = g.join(coffre_core::backup::MANIFEST_FILE);
        if let Ok(bytes) = std::fs::read(&manifest) {
            std::fs::write(g.join(coffre_core::backup::SIGNATURE_FILE), sign(&bytes))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The entries of a ZIP (name, content), in order.
pub fn zip_entries(zip_bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| e.to_string())?;
        let mut data = Vec::new();
        f.read_to_end(&mut data).map_err(|e| e.to_string())?;
        let name = f.name().map_err(|e| e.to_string())?.into_owned();
        out.push((name, data));
    }
    Ok(out)
}

/// A ZIP (entries stored, not deflated) of `entries`, with `manifest.json` replaced by
/// `manifest` and `manifest.sig` by its signature with the fuzzer's key.
pub fn bundle_with_manifest(entries: &[(String, Vec<u8>)], manifest: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    let signature = sign(manifest);
    for (name, data) in entries {
        let content: &[u8] = match name.as_str() {
            "manifest.json" => manifest,
            "manifest.sig" => &signature,
            _ => data,
        };
        w.start_file(name.as_str(), opts)
            .expect("start a ZIP entry in memory");
        w.write_all(content).expect("write a ZIP entry in memory");
    }
    w.finish().expect("finish a ZIP in memory").into_inner()
}

/// `manifest` with its `public_key` replaced by the fuzzer's.
pub fn adopt_manifest(manifest: &[u8]) -> Result<Vec<u8>, String> {
    let mut m: serde_json::Value = serde_json::from_slice(manifest).map_err(|e| e.to_string())?;
    m["public_key"] = serde_json::Value::String(public_key_hex());
    serde_json::to_vec_pretty(&m).map_err(|e| e.to_string())
}
