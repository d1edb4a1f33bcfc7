//! Gloo kinds, which have no typed crate: rendered from the tera templates in
//! `stdlib/templates/`, then parsed back and re-serialized canonically, so a broken template
//! is an error with a location and never malformed output.

use serde_json::Value;

use super::{object, tera_message, Cx, Object, TemplateError, Variant};
use crate::model::*;
use crate::yaml;

/// Render a template and parse the result; `what` names the definition for error messages.
pub(super) fn render_template(
    cx: &Cx<'_>,
    template: &str,
    what: &str,
    context: &tera::Context,
) -> Result<Value, TemplateError> {
    let text = cx
        .templates
        .render(template, context)
        .map_err(|e| TemplateError {
            template: format!("stdlib/templates/{template}"),
            what: what.to_string(),
            message: tera_message(&e),
            rendered: None,
        })?;
    yaml::parse(&text).map_err(|e| TemplateError {
        template: format!("stdlib/templates/{template}"),
        what: what.to_string(),
        message: e.message,
        rendered: Some((text.clone(), e.line, e.column)),
    })
}

pub(super) fn upstream(
    cx: &Cx<'_>,
    id: UpstreamId,
    variant: Variant,
) -> Result<Object, TemplateError> {
    let u = cx.program.upstream(id);
    let s = cx.program.service(u.service.value);
    let mut context = tera::Context::new();
    context.insert("service_name", &s.meta.name.text);
    context.insert("service_namespace", &s.meta.namespace.value);
    context.insert("service_port", &u.port.value);
    let what = format!("upstream `{}`", u.meta.name.text);
    let mut value = render_template(cx, "upstream.yaml.tera", &what, &context)?;
    value["metadata"] = cx.metadata(&u.meta, "Upstream", variant);
    Ok(object(
        "Upstream",
        &u.meta.name.text,
        Some(&u.meta.namespace.value),
        &value,
    ))
}
