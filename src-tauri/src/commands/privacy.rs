//! Privacy: data subjects' GDPR requests (list, register, extend, close).

use coffre_core::privacy::requests::{NewRequest, Request, RequestType};
use serde::Deserialize;
use tauri::State;

use super::{Res, blank_to_none, with_vault};
use crate::session::AppState;

#[tauri::command]
pub async fn requests(state: State<'_, AppState>) -> Res<Vec<Request>> {
    with_vault(&state, |v| v.requests()).await
}

#[derive(Deserialize)]
pub struct NewRequestInput {
    subject: String,
    email: Option<String>,
    kind: RequestType,
    received: Option<String>,
}

#[tauri::command]
pub async fn request_new(state: State<'_, AppState>, input: NewRequestInput) -> Res<Request> {
    with_vault(&state, move |v| {
        v.request_new(&NewRequest {
            subject: input.subject,
            email: blank_to_none(input.email),
            vat_id: None,
            siren: None,
            kind: input.kind,
            received: input.received,
        })
    })
    .await
}

#[tauri::command]
pub async fn request_extend(state: State<'_, AppState>, id: i64, reason: String) -> Res<Request> {
    with_vault(&state, move |v| v.request_extend(id, &reason)).await
}

#[tauri::command]
pub async fn request_close(state: State<'_, AppState>, id: i64, outcome: String) -> Res<Request> {
    with_vault(&state, move |v| v.request_close(id, &outcome)).await
}
