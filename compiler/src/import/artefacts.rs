//! Build artefacts: objects topoc writes from flags rather than from definitions (the ArgoCD
//! ApplicationSet of `--argocd`, kustomize indexes) or from other definitions (an IstioOperator
//! per cluster and revision of a `gateway-install`). Importing them would define the same
//! thing twice, so each is reported with the flag or definition that writes it again.

use super::fields::{Cx, Fields};
use super::object::{Converted, KindImporter, Object};
use crate::diag::{Code, Diagnostic};

pub(crate) const KINDS: &[KindImporter] = &[
    KindImporter {
        group: "argoproj.io",
        kind: "ApplicationSet",
        import: application_set,
    },
    KindImporter {
        group: "kustomize.config.k8s.io",
        kind: "Kustomization",
        import: kustomization,
    },
    KindImporter {
        group: "install.istio.io",
        kind: "IstioOperator",
        import: istio_operator,
    },
];

fn artefact(
    cx: &mut Cx,
    o: &Object<'_>,
    top: &mut Fields<'_>,
    written_by: &str,
    help: &str,
) -> Converted {
    // Everything below the metadata is the artefact's own business.
    for field in ["spec", "resources", "generators", "template"] {
        top.take(field);
    }
    cx.diags.push(
        Diagnostic::new(
            Code::ImportBuildArtefact,
            format!("{} `{}` is a build artefact", o.kind, o.name),
            o.name_span,
            written_by.to_string(),
        )
        .with_help(help.to_string()),
    );
    Converted::Nothing
}

fn application_set(cx: &mut Cx, o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    artefact(
        cx,
        o,
        top,
        "written by `topoc build --argocd REPO_URL,PATH_PREFIX`",
        "build with `--argocd` to write it again: its generators list the cluster folders",
    )
}

fn kustomization(cx: &mut Cx, o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    top.take("apiVersion");
    artefact(
        cx,
        o,
        top,
        "a kustomize index",
        "`topoc build` writes one `kustomization.yaml` per cluster folder",
    )
}

fn istio_operator(cx: &mut Cx, o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    artefact(
        cx,
        o,
        top,
        "written from a `gateway-install`, per cluster and revision",
        "import the GatewayLifecycleManager it comes from: its `gateway-install` writes every IstioOperator again",
    )
}
