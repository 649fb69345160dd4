//! The OpenAPI document, generated: every admin endpoint comes from the endpoint table
//! (`policy::endpoints`, where each route also says what it takes and gives), every schema
//! from the Rust type the handler parses or returns (`utoipa::ToSchema`), and every error
//! status from what the layers in front of the handler can answer. Nothing is written by
//! hand, so the document cannot drift from the code.

use std::collections::BTreeMap;

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, ResponseBuilder, ResponsesBuilder,
};
use utoipa::ToSchema;

use crate::policy::{Access, Endpoint};

/// Named schemas a schema needs, collected as it is made.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// Makes a schema (a reference to a named one, or an inline one), collecting what it needs.
pub type SchemaFn = fn(&mut Schemas) -> RefOr<Schema>;

/// A reference to `T`'s schema, `T` and what it refers to collected.
pub fn schema_of<T: ToSchema>(c: &mut Schemas) -> RefOr<Schema> {
    T::schemas(c);
    let name = T::name();
    c.push((name.to_string(), T::schema()));
    RefOr::Ref(Ref::from_schema_name(name))
}

/// A list of `T`: `{"items": [...], "next_cursor": "…" | null, "total"?: n}`.
pub fn page_of<T: ToSchema>(c: &mut Schemas) -> RefOr<Schema> {
    let item = schema_of::<T>(c);
    page_schema(item)
}

/// A list of plain strings (user addresses).
pub fn page_of_strings(_: &mut Schemas) -> RefOr<Schema> {
    page_schema(text().into())
}

/// `[T]`.
pub fn array_of<T: ToSchema>(c: &mut Schemas) -> RefOr<Schema> {
    ArrayBuilder::new().items(schema_of::<T>(c)).build().into()
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn page_schema(item: RefOr<Schema>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .property("items", ArrayBuilder::new().items(item))
        .required("items")
        .property(
            "next_cursor",
            ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])),
        )
        .required("next_cursor")
        .property(
            "total",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .additional_properties(Some(
            utoipa::openapi::schema::AdditionalProperties::<Schema>::FreeForm(false),
        ))
        .build()
        .into()
}

/// What a query parameter takes.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Text up to this many bytes.
    Text(usize),
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A whole number in this range.
    Int(i64, i64),
    /// An RFC 3339 time.
    Time,
    /// A day, `YYYY-MM-DD`.
    Day,
    /// `true` or `false`.
    Bool,
    /// An opaque page cursor.
    Cursor,
    /// Text that must say something (a search).
    Words(usize),
}

/// A query parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

impl Param {
    pub const fn text(name: &'static str, max: usize) -> Param {
        Param {
            name,
            kind: Kind::Text(max),
            required: false,
        }
    }

    pub const fn words(name: &'static str, max: usize) -> Param {
        Param {
            name,
            kind: Kind::Words(max),
            required: true,
        }
    }

    pub const fn one_of(name: &'static str, words: &'static [&'static str]) -> Param {
        Param {
            name,
            kind: Kind::OneOf(words),
            required: false,
        }
    }

    pub const fn int(name: &'static str, min: i64, max: i64) -> Param {
        Param {
            name,
            kind: Kind::Int(min, max),
            required: false,
        }
    }

    pub const fn time(name: &'static str) -> Param {
        Param {
            name,
            kind: Kind::Time,
            required: false,
        }
    }

    pub const fn day(name: &'static str) -> Param {
        Param {
            name,
            kind: Kind::Day,
            required: false,
        }
    }

    pub const fn flag(name: &'static str) -> Param {
        Param {
            name,
            kind: Kind::Bool,
            required: false,
        }
    }

    pub const fn required(mut self) -> Param {
        self.required = true;
        self
    }

    fn schema(&self) -> Schema {
        match self.kind {
            // An empty filter is no filter.
            Kind::Text(max) => text().max_length(Some(max)).build().into(),
            Kind::OneOf(words) => text().enum_values(Some(words.iter().copied())).build().into(),
            Kind::Int(min, max) => ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(min))
                .maximum(Some(max))
                .build()
                .into(),
            Kind::Time => text()
                .format(Some(SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::DateTime,
                )))
                .build()
                .into(),
            Kind::Day => text()
                .format(Some(SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Date)))
                .build()
                .into(),
            Kind::Bool => ObjectBuilder::new().schema_type(Type::Boolean).build().into(),
            Kind::Words(max) => text()
                .min_length(Some(1))
                .max_length(Some(max))
                .pattern(Some(r"\S"))
                .build()
                .into(),
            // Opaque: only a `next_cursor` the server returned means anything.
            Kind::Cursor => ObjectBuilder::new()
                .description(Some(
                    "The next_cursor of the previous page; anything else is refused (invalid_cursor).",
                ))
                .build()
                .into(),
        }
    }
}

/// `limit` and `cursor`, as every list takes them.
pub const PAGING: [Param; 2] = [
    Param::int("limit", 1, steward_proto::MAX_PAGE_LIMIT as i64),
    Param {
        name: "cursor",
        kind: Kind::Cursor,
        required: false,
    },
];

/// What an endpoint takes and gives, for the document.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub summary: &'static str,
    pub body: Option<SchemaFn>,
    /// The success status (200 when unset).
    pub status: u16,
    pub response: Option<SchemaFn>,
    /// Also answers `text/csv` (with `format=csv`).
    pub csv: bool,
    /// Also answers `application/pdf` (with `format=pdf`).
    pub pdf: bool,
    /// Answers `application/gzip` (a file download).
    pub gzip: bool,
    pub params: Vec<Param>,
    /// Statuses of this endpoint's own refusals beyond those every endpoint of its kind has.
    pub errors: Vec<u16>,
    /// Path parameters that take one of a few words.
    pub path_words: Vec<(&'static str, &'static [&'static str])>,
}

fn error_ref() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name("ErrorBody"))
}

fn json_content(schema: RefOr<Schema>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted: the work goes on in the background",
        204 => "No content",
        308 => "Moved to HTTPS",
        400 => "Bad request: the code says which part",
        401 => "Missing, unknown or expired credentials",
        403 => "Not allowed for this role, or a console change without its CSRF token",
        404 => "No such object (or not visible to this caller)",
        405 => "Method not allowed",
        409 => "Conflict with the current state",
        413 => "The body is larger than 1 MiB",
        429 => "Too many failed attempts from this address; see Retry-After",
        500 => "Internal error (logged)",
        503 => "The server is busy or the database unreachable; see Retry-After",
        _ => "Refused",
    }
}

/// Every status an endpoint can answer: its own, then those of the layers in front of it.
fn statuses(e: &Endpoint) -> Vec<u16> {
    let d = &e.doc;
    let mut s = vec![if d.status == 0 { 200 } else { d.status }];
    s.extend(&d.errors);
    if d.body.is_some() {
        s.extend([400, 413]);
    }
    if !d.params.is_empty() || !d.path_words.is_empty() {
        s.push(400);
    }
    if e.path.contains('{') {
        s.push(404);
    }
    match e.access {
        Access::Public => {}
        Access::Authenticated => s.extend([401, 403, 429]),
        Access::Requires(_) => s.extend([401, 403, 429]),
    }
    s.extend([500, 503]);
    s.sort_unstable();
    s.dedup();
    s
}

fn method(m: &axum::http::Method) -> HttpMethod {
    match *m {
        axum::http::Method::POST => HttpMethod::Post,
        axum::http::Method::PUT => HttpMethod::Put,
        axum::http::Method::DELETE => HttpMethod::Delete,
        axum::http::Method::PATCH => HttpMethod::Patch,
        _ => HttpMethod::Get,
    }
}

fn operation_id(e: &Endpoint) -> String {
    let mut id = e.method.as_str().to_ascii_lowercase();
    for part in e.path.trim_start_matches("/api/v1/").split('/') {
        id.push('_');
        id.push_str(&part.replace(['{', '}'], "").replace(['-', '.'], "_"));
    }
    id
}

fn operation(e: &Endpoint, schemas: &mut Schemas) -> utoipa::openapi::path::Operation {
    let d = &e.doc;
    let mut op = OperationBuilder::new()
        .operation_id(Some(operation_id(e)))
        .summary(Some(d.summary));
    for part in e.path.split('/') {
        let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
            continue;
        };
        let schema: Schema = match d.path_words.iter().find(|(n, _)| *n == name) {
            Some((_, words)) => text()
                .enum_values(Some(words.iter().copied()))
                .build()
                .into(),
            // A device user is named by an e-mail address.
            None if name == "user" => text()
                .min_length(Some(3))
                .max_length(Some(320))
                .pattern(Some("@"))
                .build()
                .into(),
            None => text()
                .min_length(Some(1))
                .max_length(Some(320))
                .build()
                .into(),
        };
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(utoipa::openapi::Required::True)
                .schema(Some(schema)),
        );
    }
    for p in &d.params {
        op = op.parameter(
            ParameterBuilder::new()
                .name(p.name)
                .parameter_in(ParameterIn::Query)
                .required(if p.required {
                    utoipa::openapi::Required::True
                } else {
                    utoipa::openapi::Required::False
                })
                .schema(Some(p.schema())),
        );
    }
    if let Some(body) = d.body {
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", json_content(body(schemas)))
                .required(Some(utoipa::openapi::Required::True))
                .build(),
        ));
    }
    let mut responses = ResponsesBuilder::new();
    let ok = if d.status == 0 { 200 } else { d.status };
    for status in statuses(e) {
        let mut r = ResponseBuilder::new().description(reason(status));
        if status == ok {
            if let Some(resp) = d.response {
                r = r.content("application/json", json_content(resp(schemas)));
            }
            if d.csv {
                r = r.content(
                    "text/csv",
                    ContentBuilder::new().schema(Some(text().build())).build(),
                );
            }
            let binary = [("application/pdf", d.pdf), ("application/gzip", d.gzip)];
            for (kind, _) in binary.into_iter().filter(|(_, on)| *on) {
                r = r.content(
                    kind,
                    ContentBuilder::new()
                        .schema(Some(
                            text()
                                .format(Some(SchemaFormat::KnownFormat(
                                    utoipa::openapi::KnownFormat::Binary,
                                )))
                                .build(),
                        ))
                        .build(),
                );
            }
        } else {
            r = r.content("application/json", json_content(error_ref()));
        }
        responses = responses.response(status.to_string(), r.build());
    }
    op = op.responses(responses.build());
    op = match e.access {
        Access::Public => op.securities(Some(Vec::<SecurityRequirement>::new())),
        _ => op
            .security(SecurityRequirement::new::<_, _, &str>("apiToken", []))
            .security(SecurityRequirement::new::<_, _, &str>("session", [])),
    };
    op.build()
}

fn plain_response(status: u16, kind: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(reason(status))
        .content(
            kind,
            ContentBuilder::new().schema(Some(text().build())).build(),
        )
        .build()
}

/// The agent API, health and metrics: served beside the admin API, described with it.
fn outside_the_table(paths: PathsBuilder, schemas: &mut Schemas) -> PathsBuilder {
    use steward_proto::{CheckinRequest, CheckinResponse, EnrollRequest, EnrollResponse};
    let agent = |id: &str, summary: &str, body: RefOr<Schema>, ok: RefOr<Schema>, auth: bool| {
        let mut responses = ResponsesBuilder::new().response(
            "200",
            ResponseBuilder::new()
                .description("OK")
                .content("application/json", json_content(ok))
                .build(),
        );
        let mut errors = vec![400, 401, 403, 409, 413, 500, 503];
        if !auth {
            errors.retain(|s| *s != 401);
        }
        for s in errors {
            responses = responses.response(
                s.to_string(),
                ResponseBuilder::new()
                    .description(reason(s))
                    .content("application/json", json_content(error_ref()))
                    .build(),
            );
        }
        let mut op = OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_content(body))
                    .required(Some(utoipa::openapi::Required::True))
                    .build(),
            ))
            .responses(responses.build());
        op = if auth {
            op.security(SecurityRequirement::new::<_, _, &str>(
                "deviceCredential",
                [],
            ))
        } else {
            op.securities(Some(Vec::<SecurityRequirement>::new()))
        };
        op.build()
    };
    let enroll = agent(
        "agent_enroll",
        "Enroll a device with an enrollment token",
        schema_of::<EnrollRequest>(schemas),
        schema_of::<EnrollResponse>(schemas),
        false,
    );
    let checkin = agent(
        "agent_checkin",
        "Check in: report the device's state, get actions back",
        schema_of::<CheckinRequest>(schemas),
        schema_of::<CheckinResponse>(schemas),
        true,
    );
    let mut wait = agent(
        "agent_wait",
        "Push channel: held open until something waits in the device's mailbox (a help-desk request, an announcement), answered at once with it, or empty when `secs` run out",
        schema_of::<CheckinRequest>(schemas),
        schema_of::<steward_proto::WaitResponse>(schemas),
        true,
    );
    wait.request_body = None;
    wait.parameters = Some(vec![ParameterBuilder::new()
        .name("secs")
        .parameter_in(ParameterIn::Query)
        .required(utoipa::openapi::Required::False)
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(u32::MAX))
                .build(),
        ))
        .build()]);
    let plain = |id: &str, summary: &str, ok: utoipa::openapi::Response| {
        OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .securities(Some(Vec::<SecurityRequirement>::new()))
            .responses(
                ResponsesBuilder::new()
                    .response("200", ok)
                    .response("503", plain_response(503, "text/plain"))
                    .build(),
            )
            .build()
    };
    let healthz = plain(
        "healthz",
        "200 while the database answers",
        plain_response(200, "text/plain"),
    );
    let readyz = plain(
        "readyz",
        "200 when this server can take requests: the database answers and its schema is the one this server expects (503 during an upgrade)",
        plain_response(200, "text/plain"),
    );
    let metrics = plain(
        "metrics",
        "Prometheus metrics: OpenMetrics text when asked for, else the classic text format",
        ResponseBuilder::new()
            .description(reason(200))
            .content(
                "text/plain",
                ContentBuilder::new().schema(Some(text().build())).build(),
            )
            .content(
                "application/openmetrics-text",
                ContentBuilder::new().schema(Some(text().build())).build(),
            )
            .build(),
    );
    let mut paths = paths.build();
    paths.add_path_operation("/agent/v1/enroll", vec![HttpMethod::Post], enroll);
    paths.add_path_operation("/agent/v1/checkin", vec![HttpMethod::Post], checkin);
    paths.add_path_operation("/agent/v1/wait", vec![HttpMethod::Get], wait);
    paths.add_path_operation("/healthz", vec![HttpMethod::Get], healthz);
    paths.add_path_operation("/readyz", vec![HttpMethod::Get], readyz);
    paths.add_path_operation("/metrics", vec![HttpMethod::Get], metrics);
    let mut builder = PathsBuilder::new();
    for (p, item) in paths.paths {
        builder = builder.path(p, item);
    }
    builder
}

/// The whole document.
pub fn document() -> OpenApi {
    document_and_clashes().0
}

/// The document, and the names two different types were given (each must have its own).
fn document_and_clashes() -> (OpenApi, Vec<String>) {
    let mut schemas: Schemas = Vec::new();
    schema_of::<steward_proto::ErrorBody>(&mut schemas);
    let mut paths = PathsBuilder::new().build();
    for e in crate::policy::endpoints() {
        let op = operation(&e, &mut schemas);
        paths.add_path_operation(e.path, vec![method(&e.method)], op);
    }
    let mut builder = PathsBuilder::new();
    for (p, item) in paths.paths {
        builder = builder.path(p, item);
    }
    let builder = outside_the_table(builder, &mut schemas);
    // One definition per name (a type reached from several places is collected each time).
    let mut named: BTreeMap<String, RefOr<Schema>> = BTreeMap::new();
    let mut clashes = Vec::new();
    for (name, schema) in schemas {
        if let Some(before) = named.get(&name) {
            let same = serde_json::to_value(before).ok() == serde_json::to_value(&schema).ok();
            if !same && !clashes.contains(&name) {
                clashes.push(name.clone());
            }
        }
        named.insert(name, schema);
    }
    let components = ComponentsBuilder::new()
        .schemas_from_iter(named)
        .security_scheme(
            "apiToken",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Set by POST /api/v1/auth/login; every change also sends X-CSRF-Token.",
            ))),
        )
        .security_scheme(
            "deviceCredential",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("DEVICE_ID.DEVICE_SECRET"))
                    .build(),
            ),
        )
        .build();
    let doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Steward API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Admin API (Authorization: Bearer API_TOKEN, or the console's session) and \
                     agent API (Authorization: Bearer DEVICE_ID.DEVICE_SECRET). Errors are \
                     {\"error\": {\"code\", \"message\"}}; lists are {\"items\", \"next_cursor\"} \
                     and take limit and cursor.",
                ))
                .build(),
        )
        .paths(builder.build())
        .components(Some(components))
        .build();
    (doc, clashes)
}

/// The document as served, made once.
fn served() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(document()).unwrap_or_default();
        open_composed(&mut doc);
        bound_integers(&mut doc);
        crate::contract::constrain(&mut doc);
        doc
    })
}

/// The document as JSON, made once.
pub fn json() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| served().to_string())
}

/// The validator of one named schema, made from the served document on first use (so what
/// is enforced is exactly what is described) with only the schemas it refers to, and kept.
fn validator(name: &str) -> Option<std::sync::Arc<jsonschema::Validator>> {
    type Cache = std::sync::Mutex<BTreeMap<String, Option<std::sync::Arc<jsonschema::Validator>>>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
        return v.clone();
    }
    let all = &served()["components"]["schemas"];
    let built = all.get(name).and_then(|_| {
        let mut needed = BTreeMap::new();
        let mut todo = vec![name.to_string()];
        while let Some(n) = todo.pop() {
            if needed.contains_key(&n) {
                continue;
            }
            let Some(s) = all.get(&n) else { continue };
            let mut refs = Vec::new();
            collect_refs(s, &mut refs);
            todo.extend(refs);
            needed.insert(n, s.clone());
        }
        let schema = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/components/schemas/{name}"),
            "components": {"schemas": needed},
        });
        match jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
        {
            Ok(v) => Some(std::sync::Arc::new(v)),
            Err(e) => {
                tracing::error!(schema = %name, error = %e, "schema does not compile");
                None
            }
        }
    });
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(name.to_string(), built.clone());
    built
}

/// The names of the schemas `v` refers to.
fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                if let Some(n) = r.strip_prefix("#/components/schemas/") {
                    out.push(n.to_string());
                }
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// Checks a request body against the schema named `name`: the first violation is refused
/// with a code (`field_too_long`, `too_many_entries`, else `invalid_field`) and the field.
pub fn check(name: &str, value: &serde_json::Value) -> Result<(), crate::error::FieldError> {
    use jsonschema::error::ValidationErrorKind as K;
    // Fail closed: a body whose schema cannot be built is not let through unchecked.
    let Some(v) = validator(name) else {
        tracing::error!(schema = name, "no validator for a request body");
        return Err(crate::error::FieldError {
            code: steward_proto::ErrorCode::Internal,
            field: None,
        });
    };
    let Err(e) = v.validate(value) else {
        return Ok(());
    };
    let code = match e.kind() {
        K::MaxLength { .. } => steward_proto::ErrorCode::FieldTooLong,
        K::MaxItems { .. } | K::MaxProperties { .. } => steward_proto::ErrorCode::TooManyEntries,
        _ => steward_proto::ErrorCode::InvalidField,
    };
    Err(crate::error::FieldError {
        code,
        field: Some(field_name(e.instance_path().as_str())),
    })
}

/// `/rules/0/days` → `rules[0].days`.
fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    out
}

/// Whole numbers get the bounds of their Rust type written out (`int32` says it only in a
/// format, which not every client reads), so a value serde would refuse is refused by the
/// schema too.
fn bound_integers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            let is_int = m.get("type").is_some_and(|t| {
                t == "integer"
                    || t.as_array()
                        .is_some_and(|a| a.iter().any(|x| x == "integer"))
            });
            if is_int {
                let (lo, hi) = match m.get("format").and_then(|f| f.as_str()) {
                    Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
                    _ => (i64::MIN, i64::MAX),
                };
                m.entry("minimum").or_insert(lo.into());
                m.entry("maximum").or_insert(hi.into());
            }
            m.values_mut().for_each(bound_integers);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// A type that refuses unknown fields as a request body (`additionalProperties: false`) may
/// also be flattened into a larger answer (`allOf`), whose other fields it would then forbid:
/// such parts are opened up.
fn open_composed(doc: &mut serde_json::Value) {
    fn refs_in_all_of(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(parts) = m.get("allOf").and_then(|a| a.as_array()) {
                    for p in parts {
                        if let Some(r) = p.get("$ref").and_then(|r| r.as_str()) {
                            out.push(r.trim_start_matches("#/components/schemas/").to_string());
                        }
                    }
                }
                m.values().for_each(|x| refs_in_all_of(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs_in_all_of(x, out)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    refs_in_all_of(doc, &mut names);
    // The part is copied under a name of its own, open, and the compositions point to the
    // copy; the original stays strict for the request bodies that use it.
    for name in names {
        let Some(mut open) = doc.pointer(&format!("/components/schemas/{name}")).cloned() else {
            continue;
        };
        if open.get("additionalProperties") != Some(&serde_json::Value::Bool(false)) {
            continue;
        }
        open.as_object_mut()
            .map(|o| o.remove("additionalProperties"));
        let copy = format!("{name}Part");
        if let Some(schemas) = doc
            .pointer_mut("/components/schemas")
            .and_then(|s| s.as_object_mut())
        {
            schemas.insert(copy.clone(), open);
        }
        repoint_all_of(doc, &name, &copy);
    }
}

/// Points the `allOf` parts that refer to `from` at `to`.
fn repoint_all_of(v: &mut serde_json::Value, from: &str, to: &str) {
    let old = format!("#/components/schemas/{from}");
    let new = format!("#/components/schemas/{to}");
    match v {
        serde_json::Value::Object(m) => {
            if let Some(parts) = m.get_mut("allOf").and_then(|a| a.as_array_mut()) {
                for p in parts {
                    if p.get("$ref").and_then(|r| r.as_str()) == Some(old.as_str()) {
                        p["$ref"] = serde_json::Value::String(new.clone());
                    }
                }
            }
            m.values_mut().for_each(|x| repoint_all_of(x, from, to));
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| repoint_all_of(x, from, to)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_name_of_its_own() {
        let (_, clashes) = document_and_clashes();
        assert!(
            clashes.is_empty(),
            "schemas of different types share a name: {clashes:?}"
        );
    }

    #[test]
    fn every_endpoint_says_what_it_takes_and_gives() {
        let doc = serde_json::to_value(document()).expect("json");
        let paths = doc["paths"].as_object().expect("paths");
        for e in crate::policy::endpoints() {
            let op = &paths[e.path][e.method.as_str().to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} is missing", e.method, e.path);
            assert!(
                !e.doc.summary.is_empty(),
                "{} {} has no summary",
                e.method,
                e.path
            );
            let responses = op["responses"].as_object().expect("responses");
            let ok = if e.doc.status == 0 { 200 } else { e.doc.status };
            let success = &responses[&ok.to_string()];
            if ok != 204 && e.doc.status != 201 || e.doc.response.is_some() {
                assert!(
                    success["content"].is_object() || ok == 201 && e.doc.response.is_none(),
                    "{} {}: no response schema",
                    e.method,
                    e.path
                );
            }
            if e.access != Access::Public {
                assert!(responses.contains_key("401"), "{} {}", e.method, e.path);
            }
            if e.method != axum::http::Method::GET && e.method != axum::http::Method::DELETE {
                let takes_body = op["requestBody"].is_object();
                assert_eq!(takes_body, e.doc.body.is_some(), "{} {}", e.method, e.path);
                // Bodies are checked against their schema, failing closed: each must build.
                if let Some(name) = op["requestBody"]["content"]["application/json"]["schema"]
                    ["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    assert!(validator(name).is_some(), "{} {}: {name}", e.method, e.path);
                }
            }
        }
        for p in [
            "/healthz",
            "/readyz",
            "/metrics",
            "/agent/v1/enroll",
            "/agent/v1/checkin",
            "/agent/v1/wait",
        ] {
            assert!(paths.contains_key(p), "{p}");
        }
    }
}
