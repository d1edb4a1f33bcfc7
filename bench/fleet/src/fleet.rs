//! The synthetic fleet as data: clusters, gateways, secrets, services, upstreams and routes,
//! each with the set of clusters it lands in. The sets are computed here, not left to topoc,
//! so that the generator only ever writes references that land wherever their users land:
//! the benchmark measures a topology that compiles, not one that stops at the first error.

use crate::mesh::{Integration, IstioMesh, Kuma, VirtualDestination};
use crate::rng::Rng;
use crate::set::ClusterSet;

/// How many definitions of each kind to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub clusters: usize,
    pub gateways: usize,
    pub upstreams: usize,
    pub routes: usize,
}

/// Where a definition lands, as written in the source (`to`, or `runs-in` for services).
#[derive(Clone, Debug)]
pub enum Dist {
    /// No attribute: the language's default (gateways, services) or inference applies.
    Omitted,
    All,
    /// A `matchLabels` selector: `(key, value)` pairs, in the order written.
    Selector(Vec<(&'static str, String)>),
    /// Workload-cluster indexes.
    List(Vec<usize>),
}

pub struct Cluster {
    pub name: String,
    pub env: &'static str,
    pub region: usize,
    pub tier: &'static str,
    /// The minor version of the Gateway API CRDs installed (`gateway-api = "1.MINOR"`).
    pub gateway_api: u8,
}

pub struct Listener {
    pub name: &'static str,
    pub port: u16,
    pub https: bool,
    pub hostname: String,
}

pub struct Gateway {
    pub name: String,
    pub to: Dist,
    pub set: ClusterSet,
    pub listeners: Vec<Listener>,
    /// The TLS secret of the HTTPS listener, if the gateway has one.
    pub secret: Option<usize>,
    /// The region a regional gateway serves; `None` for fleet-wide gateways.
    pub region: Option<usize>,
    /// Gateways of the mesh region join the Istio mesh (a kgateway proxy with an istio-proxy).
    pub istio: Option<Integration>,
}

pub struct Secret {
    pub name: String,
    pub to: Dist,
}

pub struct Service {
    pub name: String,
    pub namespace: String,
    pub runs_in: Dist,
    pub set: ClusterSet,
    /// The `app` label, on the services a virtual destination selects by `{ app, team }`.
    pub app: Option<&'static str>,
}

impl Service {
    /// A platform service, running in every workload cluster (Kuma zones included).
    pub fn everywhere(&self) -> bool {
        matches!(self.runs_in, Dist::Omitted | Dist::All)
    }
}

pub struct Upstream {
    pub name: String,
    pub namespace: String,
    pub service: usize,
    pub port: u16,
    pub to: Dist,
}

pub struct Parent {
    pub gateway: usize,
    pub listener: Option<&'static str>,
}

pub enum PathMatch {
    Prefix(String),
    Exact(String),
}

pub enum HeaderMatch {
    Plain(&'static str),
    Exact(&'static str),
    Regex(&'static str),
}

pub struct Match {
    pub path: Option<PathMatch>,
    pub headers: Vec<(&'static str, HeaderMatch)>,
    pub method: Option<&'static str>,
}

pub struct Backend {
    pub upstream: usize,
    pub weight: Option<u32>,
}

pub enum Action {
    Backends(Vec<Backend>),
    Redirect {
        hostname: String,
        status: u16,
    },
    /// To a virtual destination (an index into `Fleet::virtual_destinations`), on its port.
    VirtualDestination(usize),
}

pub enum Rewrite {
    StripPrefix,
    Hostname(String),
}

pub struct Rule {
    /// A rule name, only where every cluster of the route serves them (Gateway API 1.4).
    pub name: Option<String>,
    pub matches: Vec<Match>,
    pub action: Action,
    pub request_headers: bool,
    pub response_headers: bool,
    pub rewrite: Option<Rewrite>,
    /// The mirrored upstream and, where Gateway API 1.3 is everywhere, a percentage.
    pub mirror: Option<(usize, Option<u8>)>,
    pub timeout: Option<(&'static str, Option<&'static str>)>,
}

pub struct Route {
    pub name: String,
    pub namespace: String,
    /// The service the route belongs to.
    pub primary: usize,
    pub to: Dist,
    pub set: ClusterSet,
    pub parents: Vec<Parent>,
    pub hostnames: Vec<String>,
    pub rules: Vec<Rule>,
    /// Regex matches are implementation-specific (W0314): routes that use one say so.
    pub allow_regex: bool,
}

pub struct Fleet {
    pub regions: Vec<String>,
    pub clusters: Vec<Cluster>,
    pub gateways: Vec<Gateway>,
    pub secrets: Vec<Secret>,
    pub services: Vec<Service>,
    pub upstreams: Vec<Upstream>,
    pub routes: Vec<Route>,
    pub istio: IstioMesh,
    pub virtual_destinations: Vec<VirtualDestination>,
    /// The Kuma mesh and its zones, carved out of the clusters asked for (none on the
    /// smallest fleets). `clusters` holds the others, the Gloo fleet.
    pub kuma: Option<Kuma>,
    /// Kuma zones, known before the Kuma mesh is built: fleet-wide Gloo definitions are then
    /// written `{ platform = "gloo" }` instead of `all`, to stay out of them.
    kuma_zones: usize,
}

const REGIONS: &[&str] = &[
    "us-east",
    "us-west",
    "eu-west",
    "eu-central",
    "ap-south",
    "ap-east",
    "sa-east",
    "af-south",
];
/// Five tiers, so that `{ tier = ... }` picks about 20% of the fleet at any size.
const TIERS: &[&str] = &["frontend", "backend", "platform", "data", "batch"];
const WORDS: &[&str] = &[
    "cart",
    "checkout",
    "search",
    "billing",
    "auth",
    "catalog",
    "profile",
    "orders",
    "payments",
    "inventory",
    "shipping",
    "reviews",
    "media",
    "notify",
    "ledger",
    "pricing",
];
/// Gateway API minor versions, by region: a fleet in the middle of upgrades.
const GATEWAY_API_MINORS: &[u8] = &[3, 4, 5];
/// First Gateway API minor versions serving what the generator uses (see topoc's
/// `check/versions.rs`): mirror percentages, rule names, redirect statuses beyond 302.
const MIRROR_PERCENT_SINCE: u8 = 3;
const RULE_NAME_SINCE: u8 = 4;
const REDIRECT_STATUS_SINCE: u8 = 5;
/// Routes aim at about this many clusters: one region's worth.
const REGION_SIZE: usize = 20;
/// Every this-many-th service runs in every cluster (shared platform services).
const GLOBAL_EVERY: usize = 20;
/// Fleet-wide gateways come first; the others serve one region each.
const GLOBAL_GATEWAYS: usize = 2;

impl Fleet {
    /// The whole fleet for `shape`; the same `(shape, seed)` always gives the same fleet.
    pub fn generate(shape: Shape, seed: u64) -> Fleet {
        let mut rng = Rng::new(seed);
        let kuma_zones = crate::mesh::kuma_zone_count(shape.clusters);
        let gloo = shape.clusters - kuma_zones;
        let regions = region_names(region_count(gloo));
        let clusters = clusters(gloo, &regions);
        let mut fleet = Fleet {
            regions,
            clusters,
            gateways: Vec::new(),
            secrets: Vec::new(),
            services: Vec::new(),
            upstreams: Vec::new(),
            routes: Vec::new(),
            istio: IstioMesh {
                name: crate::mesh::ISTIO_MESH,
                region: 0,
                set: ClusterSet::empty(gloo),
            },
            virtual_destinations: Vec::new(),
            kuma: None,
            kuma_zones,
        };
        fleet.istio = fleet.istio_mesh();
        for g in 0..shape.gateways {
            fleet.add_gateway(&mut rng, g);
        }
        for s in 0..shape.upstreams.div_ceil(2) {
            fleet.add_service(&mut rng, s);
        }
        for u in 0..shape.upstreams {
            fleet.add_upstream(u);
        }
        for k in 0..shape.routes {
            let route = fleet.route(&mut rng, k);
            fleet.routes.push(route);
        }
        fleet.add_virtual_destinations(shape);
        fleet.place_unused_upstreams();
        fleet.add_kuma(shape, gloo, kuma_zones, seed);
        fleet
    }

    /// The clusters a written distribution selects: the same rules as topoc's `evaluate`,
    /// restricted to workload clusters (the management cluster has none of the labels used).
    pub fn eval(&self, d: &Dist) -> ClusterSet {
        let n = self.clusters.len();
        match d {
            Dist::Omitted | Dist::All => ClusterSet::from_indexes(n, 0..n),
            Dist::List(ids) => ClusterSet::from_indexes(n, ids.iter().copied()),
            Dist::Selector(sel) => ClusterSet::from_indexes(
                n,
                (0..n).filter(|&i| sel.iter().all(|(k, v)| self.label(i, k) == v)),
            ),
        }
    }

    pub fn label(&self, cluster: usize, key: &str) -> &str {
        let c = &self.clusters[cluster];
        match key {
            "env" => c.env,
            "region" => &self.regions[c.region],
            "tier" => c.tier,
            "platform" => "gloo",
            _ => unreachable!("the generator only selects on env, platform, region and tier"),
        }
    }

    /// Route placements: how many HTTPRoute objects a build writes.
    pub fn route_placements(&self) -> usize {
        self.routes.iter().map(|r| r.set.len()).sum()
    }

    /// `REGION.example.com` for a region, `example.com` for the whole fleet.
    fn domain(&self, region: Option<usize>) -> String {
        match region {
            Some(r) => format!("{}.example.com", self.regions[r]),
            None => "example.com".to_string(),
        }
    }

    /// The domain of the one region a set lies in, or the fleet's when it spans several.
    fn domain_of(&self, set: &ClusterSet) -> String {
        let mut regions = set.iter().map(|i| self.clusters[i].region);
        let first = regions.next();
        self.domain(first.filter(|&r| regions.all(|o| o == r)))
    }

    fn region_members(&self, r: usize) -> Vec<usize> {
        (0..self.clusters.len())
            .filter(|&i| self.clusters[i].region == r)
            .collect()
    }

    pub(crate) fn region_selector(&self, r: usize) -> Vec<(&'static str, String)> {
        vec![("region", self.regions[r].clone())]
    }

    fn add_gateway(&mut self, rng: &mut Rng, g: usize) {
        let (name, to, region) = self.gateway_placement(g);
        let set = self.eval(&to);
        let domain = self.domain(region);
        let listeners = listeners(rng, &domain);
        let secret = listeners.iter().any(|l| l.https).then(|| {
            self.secrets.push(secret_for(rng, &name, &to));
            self.secrets.len() - 1
        });
        // The mesh region's gateways join the mesh; every other one also sets `parameters`.
        let istio = (region == Some(self.istio.region)).then(|| {
            if ((g - GLOBAL_GATEWAYS) / self.regions.len()).is_multiple_of(2) {
                Integration::Mesh
            } else {
                Integration::MeshWithParameters
            }
        });
        self.gateways.push(Gateway {
            name,
            to,
            set,
            listeners,
            secret,
            region,
            istio,
        });
    }

    /// Two fleet-wide gateways (one by default, one `to = all`), then regional gateways that
    /// cycle through the regions and through three ways of writing a region.
    fn gateway_placement(&self, g: usize) -> (String, Dist, Option<usize>) {
        match g {
            0 | 1 if self.kuma_zones > 0 => {
                let name = ["edge-global", "api-global"][g];
                (name.to_string(), self.gloo_platform(), None)
            }
            0 => ("edge-global".to_string(), Dist::Omitted, None),
            1 => ("api-global".to_string(), Dist::All, None),
            _ => {
                let nr = self.regions.len();
                let k = g - GLOBAL_GATEWAYS;
                let (r, variant) = (k % nr, k / nr % 3);
                let to = match variant {
                    0 => Dist::Selector(self.region_selector(r)),
                    1 => Dist::List(self.region_members(r)),
                    _ => {
                        let mut sel = self.region_selector(r);
                        sel.push(("env", "prod".to_string()));
                        Dist::Selector(sel)
                    }
                };
                (format!("gw-{}-{g:03}", self.regions[r]), to, Some(r))
            }
        }
    }

    /// Every Gloo cluster, and no Kuma zone.
    fn gloo_platform(&self) -> Dist {
        Dist::Selector(vec![("platform", "gloo".to_string())])
    }

    fn add_service(&mut self, rng: &mut Rng, s: usize) {
        let word = word_of(s);
        let runs_in = if s.is_multiple_of(GLOBAL_EVERY) {
            if rng.percent(50) {
                Dist::Omitted
            } else {
                Dist::All
            }
        } else {
            let r = s % self.regions.len();
            if rng.percent(70) {
                Dist::Selector(self.region_selector(r))
            } else {
                Dist::List(self.region_members(r))
            }
        };
        let set = self.eval(&runs_in);
        self.services.push(Service {
            name: format!("{word}-{s:05}"),
            namespace: format!("team-{:03}", s / 10),
            runs_in,
            set,
            app: None,
        });
    }

    /// Two upstreams per service, `v1` on port 8080 and `v2` on 8081, so that routes can
    /// split traffic between them like a canary.
    fn add_upstream(&mut self, u: usize) {
        let service = &self.services[u / 2];
        self.upstreams.push(Upstream {
            name: format!("{}-v{}", service.name, u % 2 + 1),
            namespace: service.namespace.clone(),
            service: u / 2,
            port: 8080 + (u % 2) as u16,
            to: Dist::Omitted,
        });
    }

    fn route(&self, rng: &mut Rng, k: usize) -> Route {
        let primary = rng.below(self.services.len());
        let service = &self.services[primary];
        let (to, set, parents) = self.route_placement(rng, primary);
        let backends: Vec<usize> = (0..self.upstreams.len())
            .filter(|&u| set.is_subset(&self.services[self.upstreams[u].service].set))
            .collect();
        let name = format!("{}-r{k:05}", service.name);
        let count = 1 + rng.weighted(&[50, 35, 15]);
        let minor = self.min_gateway_api(&set);
        let rules: Vec<Rule> = (0..count)
            .map(|i| self.rule(rng, i, count, primary * 2, &backends, minor))
            .collect();
        Route {
            hostnames: hostnames(rng, &name, &self.domain_of(&set)),
            allow_regex: rules.iter().flat_map(|r| &r.matches).any(|m| {
                m.headers
                    .iter()
                    .any(|(_, h)| matches!(h, HeaderMatch::Regex(_)))
            }),
            name,
            namespace: service.namespace.clone(),
            primary,
            to,
            set,
            parents,
            rules,
        }
    }

    /// A route of a regional service lands in (part of) its region; a route of a fleet-wide
    /// service in one tier across all regions. Either way about 20 clusters on a large fleet.
    fn route_placement(&self, rng: &mut Rng, service: usize) -> (Dist, ClusterSet, Vec<Parent>) {
        if self.services[service].set.len() == self.clusters.len() {
            let tier = self.clusters[rng.below(self.clusters.len())].tier;
            let to = Dist::Selector(vec![("tier", tier.to_string())]);
            return self.with_parents(rng, to);
        }
        let r = service % self.regions.len();
        match rng.weighted(&[65, 20, 10, 3, 2]) {
            1 => self.inferred_from_parents(rng, r),
            2 => {
                let members = self.region_members(r);
                let keep = members.len() - rng.below(members.len() / 4 + 1);
                let mut picked: Vec<usize> = Vec::new();
                for (seen, &c) in members.iter().enumerate() {
                    // Selection sampling: keep exactly `keep` members, in order.
                    if rng.below(members.len() - seen) < keep - picked.len() {
                        picked.push(c);
                    }
                }
                self.with_parents(rng, Dist::List(picked))
            }
            3 => self.with_parents(rng, self.narrowed(r, "env", "prod")),
            4 => {
                let members = self.region_members(r);
                let tier = self.clusters[*rng.pick(&members)].tier;
                self.with_parents(rng, self.narrowed(r, "tier", tier))
            }
            _ => self.with_parents(rng, Dist::Selector(self.region_selector(r))),
        }
    }

    fn narrowed(&self, r: usize, key: &'static str, value: &str) -> Dist {
        let mut sel = self.region_selector(r);
        sel.push((key, value.to_string()));
        Dist::Selector(sel)
    }

    /// A written `to`, with one or two parents among the gateways that cover it (regional
    /// ones preferred, as in a real fleet where most traffic enters close to the service).
    fn with_parents(&self, rng: &mut Rng, to: Dist) -> (Dist, ClusterSet, Vec<Parent>) {
        let set = self.eval(&to);
        let covering: Vec<usize> = (0..self.gateways.len())
            .filter(|&g| set.is_subset(&self.gateways[g].set))
            .collect();
        let regional: Vec<usize> = covering
            .iter()
            .copied()
            .filter(|&g| self.gateways[g].region.is_some())
            .collect();
        let pool = if !regional.is_empty() && rng.percent(80) {
            &regional
        } else {
            &covering
        };
        let first = *rng.pick(pool);
        let mut parents = vec![self.parent(rng, first)];
        if covering.len() > 1 && rng.percent(30) {
            let second = *rng.pick(&covering);
            if second != parents[0].gateway {
                parents.push(self.parent(rng, second));
            }
        }
        (to, set, parents)
    }

    /// No `to`: the route lands where its parents all go. The first parent is a regional
    /// gateway, so that the intersection stays inside the region its backends run in.
    fn inferred_from_parents(&self, rng: &mut Rng, r: usize) -> (Dist, ClusterSet, Vec<Parent>) {
        let local: Vec<usize> = (0..self.gateways.len())
            .filter(|&g| self.gateways[g].region == Some(r))
            .collect();
        if local.is_empty() {
            return self.with_parents(rng, Dist::Selector(self.region_selector(r)));
        }
        let first = *rng.pick(&local);
        let mut set = self.gateways[first].set.clone();
        let mut parents = vec![self.parent(rng, first)];
        if rng.percent(30) {
            let second = rng.below(self.gateways.len());
            if second != first {
                set = set.intersection(&self.gateways[second].set);
                parents.push(self.parent(rng, second));
            }
        }
        if set.is_empty() {
            // Two regional gateways of different shapes may share no cluster: keep one.
            parents.truncate(1);
            set = self.gateways[first].set.clone();
        }
        (Dist::Omitted, set, parents)
    }

    fn parent(&self, rng: &mut Rng, gateway: usize) -> Parent {
        let listeners = &self.gateways[gateway].listeners;
        let listener = rng.percent(50).then(|| rng.pick(listeners).name);
        Parent { gateway, listener }
    }

    /// The oldest Gateway API minor version among the clusters of `set`: what a route landing
    /// there may use.
    fn min_gateway_api(&self, set: &ClusterSet) -> u8 {
        set.iter()
            .map(|i| self.clusters[i].gateway_api)
            .min()
            .unwrap_or(0)
    }

    fn rule(
        &self,
        rng: &mut Rng,
        index: usize,
        count: usize,
        primary: usize,
        backends: &[usize],
        minor: u8,
    ) -> Rule {
        let last = index + 1 == count;
        let matches = if last && count > 1 {
            catch_all(rng)
        } else {
            (0..rng.between(1, 2)).map(|_| a_match(rng)).collect()
        };
        let name = (minor >= RULE_NAME_SINCE && rng.percent(30)).then(|| {
            let role = if last && count > 1 {
                "default"
            } else {
                "match"
            };
            format!("{role}-{index}")
        });
        if index > 0 && !last && rng.percent(15) {
            return redirect_rule(rng, name, matches, index, minor);
        }
        let action = Action::Backends(weighted_backends(rng, index, primary, backends));
        let rewrite = rng.percent(10).then(|| rewrite_for(&matches, primary));
        let mirror = rng.percent(5).then(|| {
            let percent = (minor >= MIRROR_PERCENT_SINCE).then(|| [1, 5, 10][rng.below(3)]);
            (*rng.pick(backends), percent)
        });
        Rule {
            name,
            matches,
            action,
            request_headers: rng.percent(20),
            response_headers: rng.percent(10),
            rewrite,
            mirror,
            timeout: rng
                .percent(20)
                .then(|| *rng.pick(&[("10s", Some("2s")), ("1m30s", None), ("500ms", None)])),
        }
    }

    /// Upstreams no route uses would land nowhere (warning W0301): publish them explicitly
    /// wherever their service runs, as a platform team would for routes managed elsewhere
    /// (in the Gloo clusters only: Kuma zones have no Gloo Upstreams).
    fn place_unused_upstreams(&mut self) {
        let everywhere = if self.kuma_zones > 0 {
            self.gloo_platform()
        } else {
            Dist::All
        };
        let mut used = vec![false; self.upstreams.len()];
        for rule in self.routes.iter().flat_map(|r| &r.rules) {
            if let Action::Backends(bs) = &rule.action {
                bs.iter().for_each(|b| used[b.upstream] = true);
            }
            if let Some((m, _)) = rule.mirror {
                used[m] = true;
            }
        }
        for (u, up) in self.upstreams.iter_mut().enumerate() {
            if !used[u] {
                up.to = match &self.services[up.service].runs_in {
                    Dist::Omitted | Dist::All => everywhere.clone(),
                    d => d.clone(),
                };
            }
        }
    }
}

/// The service's word, which names it (and is its `app` label when it has one).
pub fn word_of(s: usize) -> &'static str {
    WORDS[s % WORDS.len()]
}

/// About one region per 20 clusters, and at least two so that placement matters.
fn region_count(clusters: usize) -> usize {
    clusters.div_ceil(REGION_SIZE).max(2).min(clusters)
}

fn region_names(count: usize) -> Vec<String> {
    (0..count)
        .map(|r| match REGIONS.get(r) {
            Some(name) => name.to_string(),
            None => format!("zone-{r:03}"),
        })
        .collect()
}

/// Regions are contiguous blocks of cluster indexes; inside a region one cluster in five is
/// staging and one dev (the first is always prod, so `{ region, env = "prod" }` is never
/// empty), and tiers go round so that every tier has about 20% of every region.
fn clusters(n: usize, regions: &[String]) -> Vec<Cluster> {
    (0..n)
        .map(|i| {
            let region = i * regions.len() / n;
            let start = (region * n).div_ceil(regions.len());
            let env = match (i - start) % 5 {
                3 => "staging",
                4 => "dev",
                _ => "prod",
            };
            Cluster {
                name: format!("{}-{i:03}", regions[region]),
                env,
                region,
                tier: TIERS[i % TIERS.len()],
                gateway_api: gateway_api_minor(region, i - start),
            }
        })
        .collect()
}

/// The region's version, except that the third cluster of every region lags one minor
/// behind (an upgrade in progress), so that a route's oldest cluster decides what it may use.
fn gateway_api_minor(region: usize, position: usize) -> u8 {
    let minor = GATEWAY_API_MINORS[region % GATEWAY_API_MINORS.len()];
    if position == 2 {
        minor.saturating_sub(1).max(GATEWAY_API_MINORS[0])
    } else {
        minor
    }
}

/// HTTP on 80 always, then HTTPS on 443, HTTP on 8080, or both: 2–3 listeners.
fn listeners(rng: &mut Rng, domain: &str) -> Vec<Listener> {
    let mut out = vec![Listener {
        name: "http",
        port: 80,
        https: false,
        hostname: format!("*.{domain}"),
    }];
    let layout = rng.below(3);
    if layout >= 1 {
        out.push(Listener {
            name: "http-alt",
            port: 8080,
            https: false,
            hostname: format!("*.{domain}"),
        });
    }
    if layout <= 1 {
        out.push(Listener {
            name: "https",
            port: 443,
            https: true,
            hostname: format!("*.{domain}"),
        });
    }
    out
}

/// The gateway's certificate: inferred from the gateway half of the time, written with the
/// gateway's own `to` otherwise (as cert-manager would be told where to issue it).
fn secret_for(rng: &mut Rng, gateway: &str, gateway_to: &Dist) -> Secret {
    let to = match gateway_to {
        _ if rng.percent(50) => Dist::Omitted,
        Dist::Omitted => Dist::All,
        d => d.clone(),
    };
    Secret {
        name: format!("{gateway}-tls"),
        to,
    }
}

/// Under the domain of the route's region, so that both the regional listeners
/// (`*.REGION.example.com`) and the fleet-wide ones (`*.example.com`) accept them. Unique per
/// route: two routes sharing a hostname and a match would tie (W0312).
fn hostnames(rng: &mut Rng, route: &str, domain: &str) -> Vec<String> {
    let mut out = vec![format!("{route}.{domain}")];
    if rng.percent(30) {
        out.push(format!("m-{route}.{domain}"));
    }
    out
}

fn a_match(rng: &mut Rng) -> Match {
    let segment = *rng.pick(&["items", "users", "orders", "search", "status", "graphql"]);
    let path = match rng.weighted(&[70, 20, 10]) {
        0 => Some(PathMatch::Prefix(format!(
            "/api/v{}/{segment}",
            rng.between(1, 3)
        ))),
        1 => Some(PathMatch::Exact(format!("/{segment}/healthz"))),
        _ => None,
    };
    let mut headers = Vec::new();
    if rng.percent(25) {
        headers.push(("x-canary", HeaderMatch::Plain("true")));
    }
    if rng.percent(10) {
        headers.push(("x-tenant", HeaderMatch::Regex("^t-[0-9]+$")));
    }
    if rng.percent(10) {
        headers.push(("x-client-version", HeaderMatch::Exact("2")));
    }
    let method = rng
        .percent(25)
        .then(|| *rng.pick(&["GET", "POST", "PUT", "DELETE"]));
    let path = match (&path, headers.is_empty(), method) {
        (None, true, None) => Some(PathMatch::Prefix(format!("/{segment}"))),
        _ => path,
    };
    Match {
        path,
        headers,
        method,
    }
}

/// The last of several rules takes what the others did not: no match at all, or `/`.
fn catch_all(rng: &mut Rng) -> Vec<Match> {
    if rng.percent(50) {
        return Vec::new();
    }
    vec![Match {
        path: Some(PathMatch::Prefix("/".to_string())),
        headers: Vec::new(),
        method: None,
    }]
}

fn redirect_rule(
    rng: &mut Rng,
    name: Option<String>,
    matches: Vec<Match>,
    index: usize,
    minor: u8,
) -> Rule {
    let statuses: &[u16] = if minor >= REDIRECT_STATUS_SINCE {
        &[301, 302, 307, 308]
    } else {
        &[301, 302]
    };
    Rule {
        name,
        matches,
        action: Action::Redirect {
            hostname: format!("www{index}.example.com"),
            status: *rng.pick(statuses),
        },
        request_headers: false,
        response_headers: false,
        rewrite: None,
        mirror: None,
        timeout: None,
    }
}

/// 1–3 distinct backends. The first rule starts with the route's own service; two backends
/// are most often its v1/v2 canary split.
fn weighted_backends(
    rng: &mut Rng,
    index: usize,
    primary: usize,
    candidates: &[usize],
) -> Vec<Backend> {
    let first = if index == 0 || rng.percent(50) {
        primary
    } else {
        *rng.pick(candidates)
    };
    let mut chosen = vec![first];
    let want = 1 + rng.weighted(&[60, 30, 10]);
    let sibling = first ^ 1;
    if want >= 2 && candidates.contains(&sibling) && rng.percent(60) {
        chosen.push(sibling);
    }
    for _ in 0..8 {
        if chosen.len() >= want {
            break;
        }
        let c = *rng.pick(candidates);
        if !chosen.contains(&c) {
            chosen.push(c);
        }
    }
    let weights: &[u32] = match chosen.len() {
        1 => &[],
        2 => {
            const SPLITS: [[u32; 2]; 3] = [[90, 10], [80, 20], [50, 50]];
            &SPLITS[rng.below(SPLITS.len())]
        }
        _ => &[60, 30, 10],
    };
    chosen
        .iter()
        .enumerate()
        .map(|(i, &upstream)| Backend {
            upstream,
            weight: weights.get(i).copied(),
        })
        .collect()
}

/// Strip a single path prefix when the rule has exactly one prefix match (the only case the
/// Gateway API accepts `ReplacePrefixMatch`); otherwise rewrite the host.
fn rewrite_for(matches: &[Match], primary: usize) -> Rewrite {
    match matches {
        [Match {
            path: Some(PathMatch::Prefix(_)),
            ..
        }] => Rewrite::StripPrefix,
        _ => Rewrite::Hostname(format!("v{}.internal.example.com", primary % 2 + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Shape {
        Shape {
            clusters: 10,
            gateways: 10,
            upstreams: 200,
            routes: 1000,
        }
    }

    #[test]
    fn deterministic() {
        let (a, b) = (Fleet::generate(small(), 3), Fleet::generate(small(), 3));
        assert_eq!(a.route_placements(), b.route_placements());
    }

    /// Version-gated features only where every cluster of the route serves them (E0345).
    #[test]
    fn features_respect_gateway_api_versions() {
        let f = Fleet::generate(small(), 2);
        let mut named = 0;
        for r in &f.routes {
            let minor = f.min_gateway_api(&r.set);
            for rule in &r.rules {
                if rule.name.is_some() {
                    named += 1;
                    assert!(minor >= RULE_NAME_SINCE, "{}", r.name);
                }
                if let Some((_, Some(_))) = rule.mirror {
                    assert!(minor >= MIRROR_PERCENT_SINCE, "{}", r.name);
                }
                if let Action::Redirect { status, .. } = rule.action {
                    assert!(
                        status <= 302 || minor >= REDIRECT_STATUS_SINCE,
                        "{}",
                        r.name
                    );
                }
            }
        }
        assert!(named > 0, "some rules are named");
    }

    /// The invariants topoc checks (E0301, E0302, E0304), verified on the generator's sets.
    #[test]
    fn every_reference_lands_with_its_user() {
        let f = Fleet::generate(small(), 1);
        for r in &f.routes {
            assert!(!r.set.is_empty(), "{}", r.name);
            for p in &r.parents {
                assert!(r.set.is_subset(&f.gateways[p.gateway].set), "{}", r.name);
            }
            for rule in &r.rules {
                if let Action::Backends(bs) = &rule.action {
                    for b in bs {
                        let s = &f.services[f.upstreams[b.upstream].service];
                        assert!(r.set.is_subset(&s.set), "{}", r.name);
                    }
                }
            }
        }
    }
}
