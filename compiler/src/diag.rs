//! Diagnostics: one type for every stage, stable codes, rendering kept apart.
//!
//! Each stage creates [`Diagnostic`]s where the problem arises (a primary label on the offending
//! token, secondary labels on the declarations that made it wrong, a help line saying what to
//! write). Nothing stops early: stages collect into a [`Diagnostics`] sink and the driver
//! reports all of them, sorted by file and position, once each.

use std::fmt;

use crate::source::{SourceMap, Span};

/// How bad a diagnostic is. Errors fail the run (exit 1) and nothing is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    /// Something worth knowing that is not a problem: never fails a run, not even with
    /// `--deny warnings`.
    Note,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $title:literal;)*) => {
        /// Every diagnostic code topoc can emit. Codes are stable and never reused; each has
        /// an explanation in `docs/codes/CODE.md`, printed by `topoc explain CODE`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// A one-line summary, used by `topoc explain --list`.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!("../../docs/codes/", $code, ".md")),)*
                }
            }
        }
    };
}

codes! {
    SyntaxError = "E0101", Error, "syntax error";
    UnterminatedString = "E0102", Error, "unterminated string";
    InvalidEscape = "E0103", Error, "invalid escape sequence in a string";
    IntegerOutOfRange = "E0104", Error, "integer out of range";
    UnclosedDelimiter = "E0105", Error, "unclosed delimiter";
    InvalidSourceText = "E0106", Error, "source file is not valid UTF-8";
    UnknownReference = "E0201", Error, "reference to something that is not defined";
    WrongKind = "E0202", Error, "reference to a definition of the wrong kind";
    DuplicateDefinition = "E0203", Error, "two definitions with the same kind and name";
    UnknownAttribute = "E0204", Error, "attribute not known for this kind";
    MissingAttribute = "E0205", Error, "required attribute missing";
    WrongType = "E0206", Error, "value of the wrong type";
    UnknownCluster = "E0207", Error, "`to` names a cluster that is not declared";
    EmptySelector = "E0208", Error, "label selector matches no cluster";
    ImportNotFound = "E0209", Error, "imported file not found";
    ImportCycle = "E0210", Error, "files import each other in a cycle";
    InvalidValue = "E0211", Error, "value not allowed here";
    UnknownDefinitionKind = "E0212", Error, "unknown kind of definition";
        DuplicateAttribute = "E0213", Error, "attribute set twice";
    ImportOutsideProject = "E0214", Error, "import of a file outside the folders being compiled";
    ParentNotDistributed = "E0301", Error, "route lands in a cluster its parent gateway does not";
    BackendNotDistributed = "E0302", Error, "route lands in a cluster its backend does not";
    SecretNotDistributed = "E0303", Error, "gateway lands in a cluster its TLS secret does not";
    ServiceNotRunning = "E0304", Error, "upstream lands in a cluster where its service does not run";
    PortNotOnService = "E0305", Error, "port is not a port of the service";
    InvalidName = "E0310", Error, "name is not a valid Kubernetes name";
    ListenerProtocolConflict = "E0320", Error, "listeners on one port with conflicting protocols";
    DuplicateListener = "E0321", Error, "two listeners with the same name";
    ListenerHostnameConflict = "E0322", Error, "two listeners with the same port, protocol and hostname";
    ListenerTlsShape = "E0323", Error, "listener TLS settings do not fit its protocol";
        InvalidController = "E0311", Error, "GatewayClass controller name is not a domain-prefixed path";
    LimitExceeded = "E0330", Error, "more items than the Gateway API allows";
    NotAllowedByListeners = "E0331", Error, "no listener of the parent admits the route";
    NoMatchingListenerHostname = "E0332", Error, "route hostnames match no hostname of the parent's listeners";
    InvalidHostname = "E0333", Error, "hostname is not a valid DNS name";
    RepeatedParent = "E0334", Error, "the same parent twice without distinct listeners";
    InvalidPath = "E0335", Error, "path is not valid for its match type";
    InvalidHeader = "E0336", Error, "header name or value is not valid";
    DuplicateMatchName = "E0337", Error, "the same header or query parameter twice";
    IncompatibleFilters = "E0338", Error, "filters that cannot be used together";
    TimeoutOrder = "E0339", Error, "backend request timeout longer than the request timeout";
    RefNotPermitted = "E0341", Error, "cross-namespace reference without a ReferenceGrant";
    UnsupportedProtocol = "E0342", Error, "listener protocol not supported by the cluster's implementation";
    UnsupportedBackend = "E0343", Error, "backend kind not supported by the cluster's implementation";
    ClassNotServed = "E0344", Error, "gateway class not served by the cluster's implementation";
        FeatureTooNew = "E0345", Error, "feature not available in the cluster's Gateway API version";
        NotDistributable = "E0360", Error, "the Gloo relay cannot distribute this";
    RelayWithoutManagement = "E0361", Error, "the relay target needs a management cluster";
    DuplicateGatewayRevision = "E0350", Error, "two installations of one gateway revision in a cluster";
    NoActiveRevision = "E0351", Error, "gateway has no active revision in a cluster";
    TwoActiveRevisions = "E0352", Error, "gateway has more than one active revision in a cluster";
    NoControlPlane = "E0353", Error, "control-plane revision not installed in the cluster";
    GatewayPortConflict = "E0354", Error, "two service ports of a gateway with the same name or number";
    TrustDomainMismatch = "E0355", Error, "mesh-config trust domain not repeated on the cluster entry";
    GlooEdgeListener = "E0370", Error, "Gloo Edge target: listener protocol other than HTTP or HTTPS";
    GlooEdgeCertificates = "E0371", Error, "Gloo Edge target: more than one certificate on a listener";
    GlooEdgeMirrors = "E0372", Error, "Gloo Edge target: more than one mirror in a rule";
    GlooEdgeHttpRedirect = "E0373", Error, "Gloo Edge target: redirect from HTTPS to plain HTTP";
    GlooEdgeHostHeader = "E0374", Error, "Gloo Edge target: header modifier on the Host header";
    GlooEdgeNotGloo = "E0375", Error, "Gloo Edge target: cluster does not run Gloo";
    GlooEdgeSharedPort = "E0376", Error, "Gloo Edge target: two gateways on one port of the proxy";
    GlooEdgeUpstreamName = "E0377", Error, "Gloo Edge target: upstream named like a Service backend's upstream";
    TemplateError = "E0401", Error, "a standard template failed to render valid YAML";
    ImportUnrepresentable = "E0501", Error, "manifest field that topoc cannot represent";
    ImportYamlSyntax = "E0502", Error, "manifest is not valid YAML";
    ImportInvalidObject = "E0503", Error, "manifest is not a valid Kubernetes object";
    ImportCopiesDiffer = "E0504", Error, "an object differs between clusters";
    ImportDuplicateName = "E0505", Error, "two objects of one kind with the same name in different namespaces";
    ImportNamespaceMismatch = "E0506", Error, "reference names another namespace than its target's";
    ImportRelayAnnotation = "E0507", Error, "`gloo.solo.io/distribute-to` annotation topoc cannot represent";
    ImportGlooEdge = "E0508", Error, "Gloo Edge API object, which topoc cannot import";
    ImportNotIdentifier = "E0509", Error, "name that a topoc program cannot write";
    ImportUnsupportedKind = "E0510", Error, "Gateway API kind that topoc cannot represent";
    ImportVdWithoutMesh = "E0511", Error, "virtual destination whose mesh the manifests do not show";
        LandsNowhere = "W0301", Warning, "definition lands in no cluster";
    GatewayNameTooLong = "W0310", Warning, "gateway name longer than 63 characters";
    AllWeightsZero = "W0311", Warning, "every backend of a rule has weight 0";
    PrecedenceTie = "W0312", Warning, "two routes with identical matches on one listener";
        UndeclaredClass = "W0313", Warning, "gateway class is not declared";
    RegexDialect = "W0314", Warning, "regular expression match depends on the implementation";
    ControlPlaneRevisionDiffers = "W0350", Warning, "gateway revision differs from its control-plane revision";
    EgressWithoutTlsPort = "W0351", Warning, "egress gateway without the `tls` port 15443";
    GlooEdgeMesh = "E0378", Error, "Gloo Edge target: mesh routing";
    VdSelectsNothing = "E0380", Error, "virtual destination selects no service";
    VdPortNotOnService = "E0381", Error, "virtual destination port is not a port of a selected service";
    VdOutsideMesh = "E0382", Error, "route uses a virtual destination in a cluster outside its mesh";
    VdWithoutIstio = "E0383", Error, "virtual destination used from a gateway without Istio integration";
    VdHostTaken = "E0384", Error, "two virtual destinations claim the same host in one mesh";
    KumaMeshMismatch = "E0385", Error, "route and parent gateway in different Kuma meshes";
    KumaGlobalZone = "E0386", Error, "Gateway API object placed in the Kuma global zone";
    GammaAppProtocol = "E0387", Error, "GAMMA parent Service port without `appProtocol: http`";
    GammaNameTooLong = "E0388", Error, "GAMMA route and parent names longer than 249 characters";
    VdWithoutManagement = "E0389", Error, "virtual destination without a management cluster";
    OutsideMesh = "E0390", Error, "definition lands in a cluster outside its mesh";
    MeshOverlap = "E0391", Error, "cluster in two Istio meshes";
    VdNoEastWest = "W0380", Warning, "virtual destination instances unreachable from the other clusters";
    GammaHostnames = "W0381", Warning, "GAMMA route with `hostnames`";
    VdSeveralInCluster = "W0382", Warning, "virtual destination selects several services in one cluster";
    KumaCrossMeshListener = "E0392", Error, "cross-mesh Kuma gateway listener that is not HTTP";
    SharedObjectDiffers = "E0393", Error, "two definitions write one object with different settings";
    GammaConsumerRoute = "N0380", Note, "GAMMA consumer route: applies only to its own namespace's clients";
    ImportForeignKind = "W0501", Warning, "manifest of a kind topoc does not manage";
    ImportIgnored = "W0502", Warning, "manifest field not imported on purpose";
    ImportBuildArtefact = "W0503", Warning, "manifest is a build artefact";
    ImportNoWorkloadCluster = "W0504", Warning, "`distribute-to: *` with no workload cluster known";
    ImportMeshUnknown = "N0501", Note, "mesh setting the manifests do not show";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Code {
    /// Look a code up by its text, case-insensitively (`topoc explain e0301` works).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// A labelled span.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// The offending value.
    pub primary: Label,
    /// The declarations that make it wrong ("required here", "the gateway goes here").
    pub secondary: Vec<Label>,
    /// What to write instead.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label {
                span,
                text: label.into(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

/// The sink every stage reports into.
#[derive(Default, Debug)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    /// Move every diagnostic of `other` here, after those already reported.
    pub fn append(&mut self, mut other: Diagnostics) {
        self.items.append(&mut other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity() == Severity::Error)
    }

    /// All diagnostics, sorted by file, position and code, each reported once.
    pub fn into_sorted(mut self, sources: &SourceMap) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                (
                    sources.get(d.primary.span.file).name.clone(),
                    d.primary.span.start,
                    d.primary.span.end,
                    d.code,
                    d.message.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        self.items.dedup();
        self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

/// Closest candidate by edit distance, for "did you mean" help lines.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (wanted.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(wanted, c), c))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters (`wset` → `west`) each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            assert_eq!(Code::parse(&code.as_str().to_lowercase()), Some(code));
        }
    }

    #[test]
    fn did_you_mean_finds_close_names() {
        assert_eq!(
            did_you_mean("gatway", ["gateway", "route"]),
            Some("gateway")
        );
        assert_eq!(did_you_mean("xyz", ["gateway", "route"]), None);
        assert_eq!(did_you_mean("wset", ["east", "west"]), Some("west"));
    }
}
