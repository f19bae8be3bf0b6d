//! The signed-in buyer's rights of access and portability: what the shop holds about them
//! (`GET /api/v1/me/data`) and all of it to take away (`GET /api/v1/me/export`, JSON or a ZIP
//! of CSV files). Both answers are for the account's holder alone and are never cached.
//! `docs/export.md` describes every field.

use super::doc::{ProblemsExport, ProblemsServer, ProblemsSignedInRead};
use crate::context::ApiContext;
use crate::error::{ApiError, Failure};
use crate::session;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use hanjinbi_services::export::{archive, AccessView, ExportDocument};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

/// The file name the export is saved under ("my data" in Vietnamese), without its extension.
const FILE_NAME: &str = "hanjinbi-du-lieu-cua-toi";

/// The forms the export comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// One JSON document (the default).
    Json,
    /// A ZIP archive of CSV files, one per table, UTF-8 with a byte order mark.
    Csv,
}

impl ExportFormat {
    pub(crate) fn parse(given: Option<&str>) -> Result<ExportFormat, Failure> {
        match given {
            None | Some("json") => Ok(ExportFormat::Json),
            Some("csv") => Ok(ExportFormat::Csv),
            Some(_) => Err(Failure::bad_request(
                "unknown_format",
                "Định dạng không được hỗ trợ. Hãy dùng format=json (mặc định) hoặc format=csv (tệp ZIP gồm các bảng CSV).",
                "This format is not offered. Use format=json (the default) or format=csv (a ZIP of CSV tables).",
            )),
        }
    }
}

/// The query of `GET /api/v1/me/export`, for the document only: the handler reads the query
/// through the strict parser every route uses (`query.rs`), so the field is never read here.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportParams {
    /// json (the default) or csv. Anything else answers 400 unknown_format.
    #[param(inline)]
    format: Option<ExportFormat>,
}

/// A ZIP archive, as the document describes a binary answer.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ZipArchive(#[allow(dead_code)] Vec<u8>);

/// `bytes` as a download of `content_type` named `FILE_NAME.extension`.
fn download(
    bytes: Vec<u8>,
    content_type: &'static str,
    extension: &str,
) -> Result<Response, Failure> {
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{FILE_NAME}.{extension}\""))
            .map_err(|e| Failure::internal(&e))?;
    Ok(crate::session::no_store(
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response(),
    ))
}

/// The export as a download in `format`: what `GET /api/v1/me/export` answers, and the
/// storefront's download link too, so both give the same file.
pub(crate) fn export_download(
    document: &ExportDocument,
    format: ExportFormat,
) -> Result<Response, Failure> {
    match format {
        ExportFormat::Json => {
            // Compact: a buyer with thousands of orders gets megabytes less, sooner.
            let json = serde_json::to_vec(document).map_err(|e| Failure::internal(&e))?;
            download(json, "application/json", "json")
        }
        ExportFormat::Csv => download(archive(document)?, "application/zip", "zip"),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/me/data",
    operation_id = "getMyData",
    summary = "What the shop holds about the signed-in buyer, and who opened it",
    description = "Every category of personal data the shop holds about the account and the \
        guest orders placed with its address, with how long each is kept and why and the \
        purposes that may read it (from the privacy policy in force); who received it outside \
        the shop (nothing is handed out yet); and every audit-log entry about it: when, by \
        which role (staff by role only, never by name), for what purpose, which fields. No \
        personal value is in the answer, and reading it opens nothing.",
    responses(
        (status = 200, description = "The access view", body = AccessView),
        ProblemsSignedInRead,
        ProblemsServer,
    ),
)]
pub async fn my_data(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = session::require(&app, &headers).await?;
        let view = app.services.export.access(&signed_in.session).await?;
        Ok::<_, Failure>(crate::session::no_store(axum::Json(view).into_response()))
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}

#[utoipa::path(
    get,
    path = "/api/v1/me/export",
    operation_id = "exportMyData",
    summary = "Everything the shop holds about the signed-in buyer, to take elsewhere",
    description = "One document with everything the buyer entered or the shop recorded: the \
        account, every order placed with its address (guest orders included) with its lines, \
        amounts, methods, status history, contact and delivery details and note, every \
        consent decision with its wording, and the accesses of `GET /api/v1/me/data`. The \
        personal values are opened through the privacy gate for answering the buyer's \
        request, and those openings are in the audit log (and in the next export). Sent as \
        a download (`Content-Disposition: attachment`), never cached. `format=csv` gives a \
        ZIP of CSV files instead: profile.csv, orders.csv, order_lines.csv, \
        status_history.csv, consents.csv, accesses.csv.",
    params(ExportParams),
    responses(
        (status = 200, description = "The export, as a download", content(
            (ExportDocument = "application/json"),
            (ZipArchive = "application/zip"),
        )),
        ProblemsExport,
        ProblemsServer,
    ),
)]
pub async fn my_export(
    State(app): State<AppState>,
    ApiContext(ctx): ApiContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let run = async {
        let signed_in = session::require(&app, &headers).await?;
        crate::security::refuse_cross_site_download(&headers)?;
        let format = ExportFormat::parse(ctx.params.get("format"))?;
        let document = app.services.export.export(&signed_in.session).await?;
        export_download(&document, format)
    };
    run.await.map_err(|e| ApiError::new(e, ctx.lang))
}
