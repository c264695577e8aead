fn main() {
    // The standard layout: tauri.conf.json beside this crate's manifest.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("tauri.conf.json"))
        .expect("tauri build configuration");
}
