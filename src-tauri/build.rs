fn main() {
    // tauri.conf.json lives at the repository root; only the folder of this path is used.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build configuration");
}
