//! The fleet's meshes (topoc's `docs/language.md`, "Meshes"), at every size:
//!
//! - an Istio mesh over the first region, every cluster of it with an east-west address; the
//!   region's gateways join it (a kgateway proxy with an istio-proxy, some with `parameters`);
//! - virtual destinations, about two per 100 routes, selecting services of the mesh by labels:
//!   most one service by `{ app, team }` (labels only those services carry), every fourth a
//!   whole team by `{ team }`, so that selections overlap (a team of several services in the
//!   mesh says `allow = [W0382]`: several services per cluster, on purpose);
//! - routes of the mesh region whose parents are all mesh gateways, about two per 100 routes,
//!   whose first rule sends to a virtual destination instead of its upstreams;
//! - a Kuma mesh over clusters of their own (Kuma zones, which serve Kuma's classes and not
//!   Gloo's, so no Gloo definition lands there), its global control plane in the management
//!   cluster: one gateway per zone (of the stdlib class `kuma`, or of a declared class with a
//!   `MeshGatewayConfig`), and per application a north-south route from its zone's gateway and
//!   a GAMMA canary route whose parent is its Service.
//!
//! Like the rest of the fleet, every reference lands where its user does: the generator keeps
//! to topoc's rules (E0380–E0393, W0380–W0382) by construction.

use crate::fleet::{Action, Fleet, Shape};
use crate::rng::Rng;
use crate::set::ClusterSet;

/// The Istio mesh: one region of the Gloo fleet.
pub struct IstioMesh {
    pub name: &'static str,
    pub region: usize,
    pub set: ClusterSet,
}

/// How a gateway of the mesh region gets its istio-proxy: from the mesh alone, or with
/// `parameters` of its own as well (a custom SDS image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integration {
    Mesh,
    MeshWithParameters,
}

pub struct VirtualDestination {
    pub name: String,
    pub namespace: String,
    /// `(key, value)` pairs, in the order written.
    pub select: Vec<(&'static str, String)>,
    pub host: String,
    pub port: u16,
    /// The services' port, when it differs from `port`.
    pub target_port: Option<u16>,
    /// It selects several services in each cluster (a team's), on purpose: `allow = [W0382]`.
    pub several: bool,
}

pub struct KumaApp {
    pub name: String,
    pub namespace: String,
    /// Zone indexes the app's services run in, ascending.
    pub zones: Vec<usize>,
    /// A fleet-wide platform service (running everywhere, Kuma zones included) that the
    /// app's canary route also sends `/platform` to, across namespaces.
    pub platform: Option<usize>,
}

pub struct KumaGateway {
    pub name: String,
    pub zone: usize,
    /// `kuma` (stdlib) or [`KUMA_CLASS`].
    pub class: &'static str,
}

pub struct Kuma {
    pub name: &'static str,
    /// Cluster names, one per zone.
    pub clusters: Vec<String>,
    /// Kuma zone names, one per zone.
    pub zones: Vec<String>,
    pub gateways: Vec<KumaGateway>,
    pub apps: Vec<KumaApp>,
}

pub const ISTIO_MESH: &str = "istio-fleet";
pub const KUMA_MESH: &str = "kuma-fleet";
/// The declared Kuma class, with a `MeshGatewayConfig`.
pub const KUMA_CLASS: &str = "kuma-edge";
/// The port every fleet service serves HTTP on, with `app-protocol = "http"`.
pub const SERVICE_PORT: u16 = 8080;
/// Virtual destinations, and routes sending to them: this many routes for each.
const ROUTES_PER_VD: usize = 50;
/// Kuma applications: this many routes for each.
const ROUTES_PER_KUMA_APP: usize = 200;
/// Every this-many-th virtual destination selects a whole team.
const TEAM_VD_EVERY: usize = 4;

/// Kuma zones carved out of `clusters`: none below 5, then one in 16, at least 2.
pub fn kuma_zone_count(clusters: usize) -> usize {
    if clusters < 5 {
        0
    } else {
        (clusters / 16).max(2)
    }
}

/// Every other virtual destination takes the services' port; the others port 80, sent to it
/// with `target-port`.
fn vd_port(n: usize) -> (u16, Option<u16>) {
    if n.is_multiple_of(2) {
        (SERVICE_PORT, None)
    } else {
        (80, Some(SERVICE_PORT))
    }
}

impl Fleet {
    /// The Istio mesh over the first region, before the gateways that join it.
    pub(crate) fn istio_mesh(&self) -> IstioMesh {
        IstioMesh {
            name: ISTIO_MESH,
            region: 0,
            set: self.eval(&crate::fleet::Dist::Selector(self.region_selector(0))),
        }
    }

    /// Virtual destinations over the services running in the mesh, then the routes that send
    /// to them. Deterministic without drawing from the fleet's random stream.
    pub(crate) fn add_virtual_destinations(&mut self, shape: Shape) {
        let wanted = (shape.routes / ROUTES_PER_VD).max(1);
        let candidates: Vec<usize> = (0..self.services.len())
            .filter(|&s| {
                !self.services[s]
                    .set
                    .intersection(&self.istio.set)
                    .is_empty()
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let by_team = wanted / TEAM_VD_EVERY;
        let single = (wanted - by_team).min(candidates.len());
        for i in 0..single {
            let s = candidates[i * candidates.len() / single];
            let word = crate::fleet::word_of(s);
            self.services[s].app = Some(word);
            let service = &self.services[s];
            let (port, target_port) = vd_port(self.virtual_destinations.len());
            self.virtual_destinations.push(VirtualDestination {
                name: format!("{}-vd", service.name),
                namespace: service.namespace.clone(),
                select: vec![
                    ("app", word.to_string()),
                    ("team", service.namespace.clone()),
                ],
                host: format!("{}.mesh.internal", service.name),
                port,
                target_port,
                several: false,
            });
        }
        let mut teams: Vec<&str> = candidates
            .iter()
            .map(|&s| self.services[s].namespace.as_str())
            .collect();
        teams.dedup();
        let by_team = by_team.min(teams.len());
        let picked: Vec<(String, usize)> = (0..by_team)
            .map(|i| {
                let team = teams[i * teams.len() / by_team];
                let members = candidates
                    .iter()
                    .filter(|&&s| self.services[s].namespace == team)
                    .count();
                (team.to_string(), members)
            })
            .collect();
        // A team's services in the mesh each run in all of its clusters (a region, or
        // everywhere): two or more are several services in every cluster (W0382), meant here
        // as one host for the team.
        for (team, members) in picked {
            let (port, target_port) = vd_port(self.virtual_destinations.len());
            self.virtual_destinations.push(VirtualDestination {
                name: format!("{team}-vd"),
                namespace: team.clone(),
                select: vec![("team", team.clone())],
                host: format!("{team}.mesh.internal"),
                port,
                target_port,
                several: members > 1,
            });
        }
        self.add_virtual_destination_routes(shape);
    }

    /// Routes that land inside the mesh, all of whose parents are mesh gateways, may send to a
    /// virtual destination (E0382, E0383 otherwise): about two per 100 routes do, with their
    /// first rule. The one of their own service, if it has one.
    fn add_virtual_destination_routes(&mut self, shape: Shape) {
        if self.virtual_destinations.is_empty() {
            return;
        }
        let eligible: Vec<usize> = (0..self.routes.len())
            .filter(|&r| {
                let route = &self.routes[r];
                route.set.is_subset(&self.istio.set)
                    && route
                        .parents
                        .iter()
                        .all(|p| self.gateways[p.gateway].istio.is_some())
                    && matches!(route.rules[0].action, Action::Backends(_))
            })
            .collect();
        let count = (shape.routes / ROUTES_PER_VD).max(1).min(eligible.len());
        for i in 0..count {
            let r = eligible[i * eligible.len() / count];
            let own = self.routes[r].primary;
            let vd = self
                .virtual_destinations
                .iter()
                .position(|vd| vd.name == format!("{}-vd", self.services[own].name))
                .unwrap_or(i % self.virtual_destinations.len());
            self.routes[r].rules[0].action = Action::VirtualDestination(vd);
        }
    }

    /// The Kuma part, with a random stream of its own (the Gloo fleet does not change with
    /// it): gateways per zone, and applications in one zone or in all of them.
    pub(crate) fn add_kuma(&mut self, shape: Shape, first_index: usize, zones: usize, seed: u64) {
        if zones == 0 {
            return;
        }
        let mut rng = Rng::new(seed ^ 0x6b75_6d61_6d65_7368);
        let clusters = (0..zones)
            .map(|z| format!("kuma-{:03}", first_index + z))
            .collect();
        let names = (0..zones).map(|z| format!("kuma-zone-{}", z + 1)).collect();
        let gateways = (0..zones)
            .map(|z| KumaGateway {
                name: format!("kuma-edge-{}", z + 1),
                zone: z,
                class: if z % 2 == 0 { KUMA_CLASS } else { "kuma" },
            })
            .collect();
        let platform: Vec<usize> = (0..self.services.len())
            .filter(|&s| self.services[s].everywhere())
            .collect();
        let apps = (0..(shape.routes / ROUTES_PER_KUMA_APP).max(2))
            .map(|a| {
                let zones_of = if rng.percent(40) {
                    (0..zones).collect()
                } else {
                    vec![rng.below(zones)]
                };
                KumaApp {
                    name: format!("{}-k{a:03}", crate::fleet::word_of(a + 3)),
                    namespace: format!("mesh-team-{:02}", a / 5),
                    zones: zones_of,
                    platform: (a % 3 == 0 && !platform.is_empty()).then(|| *rng.pick(&platform)),
                }
            })
            .collect();
        self.kuma = Some(Kuma {
            name: KUMA_MESH,
            clusters,
            zones: names,
            gateways,
            apps,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::Shape;

    fn shape(clusters: usize, gateways: usize, upstreams: usize, routes: usize) -> Shape {
        Shape {
            clusters,
            gateways,
            upstreams,
            routes,
        }
    }

    /// Every preset has both meshes, virtual destinations and routes that use them.
    #[test]
    fn every_size_has_meshes() {
        for s in [
            shape(10, 10, 200, 1_000),
            shape(50, 20, 1_000, 5_000),
            shape(100, 40, 2_000, 10_000),
        ] {
            let f = Fleet::generate(s, 1);
            let vds = f.virtual_destinations.len();
            assert!(vds >= s.routes / 100, "{vds} virtual destinations");
            let vd_routes = f
                .routes
                .iter()
                .filter(|r| {
                    r.rules
                        .iter()
                        .any(|rule| matches!(rule.action, Action::VirtualDestination(_)))
                })
                .count();
            assert!(
                vd_routes >= s.routes / 100,
                "{vd_routes} routes to the mesh"
            );
            assert!(f.gateways.iter().any(|g| g.istio.is_some()));
            let kuma = f.kuma.as_ref().expect("a Kuma mesh");
            assert!(kuma.zones.len() >= 2 && kuma.apps.len() >= 2);
            assert_eq!(f.clusters.len() + kuma.zones.len(), s.clusters);
        }
    }

    /// What topoc checks of the meshes, verified on the generator's data: a virtual
    /// destination selects services running in the mesh (E0380); a route sending to one lands
    /// in the mesh (E0382) through mesh gateways only (E0383); a mesh gateway lands in the mesh
    /// (E0390); hosts are unique (E0384); a Kuma app's gateway is in one of its zones (E0302).
    #[test]
    fn mesh_references_land_with_their_users() {
        for seed in 1..4 {
            let f = Fleet::generate(shape(30, 12, 300, 1_500), seed);
            for vd in &f.virtual_destinations {
                let selected = f.services.iter().filter(|s| {
                    vd.select.iter().all(|(k, v)| match *k {
                        "app" => s.app == Some(v.as_str()),
                        "team" => s.namespace == *v,
                        _ => false,
                    })
                });
                assert!(
                    selected
                        .into_iter()
                        .any(|s| !s.set.intersection(&f.istio.set).is_empty()),
                    "{}",
                    vd.name
                );
            }
            let mut hosts: Vec<&str> = f
                .virtual_destinations
                .iter()
                .map(|v| v.host.as_str())
                .collect();
            hosts.sort_unstable();
            hosts.dedup();
            assert_eq!(hosts.len(), f.virtual_destinations.len());
            for g in f.gateways.iter().filter(|g| g.istio.is_some()) {
                assert!(g.set.is_subset(&f.istio.set), "{}", g.name);
            }
            for r in &f.routes {
                let to_vd = r
                    .rules
                    .iter()
                    .any(|rule| matches!(rule.action, Action::VirtualDestination(_)));
                if to_vd {
                    assert!(r.set.is_subset(&f.istio.set), "{}", r.name);
                    for p in &r.parents {
                        assert!(f.gateways[p.gateway].istio.is_some(), "{}", r.name);
                    }
                }
            }
            let kuma = f.kuma.as_ref().expect("a Kuma mesh");
            for app in &kuma.apps {
                assert!(!app.zones.is_empty());
                let gateway = &kuma.gateways[app.zones[0]];
                assert_eq!(gateway.zone, app.zones[0]);
            }
        }
    }

    #[test]
    fn small_fleets_have_no_kuma_zones() {
        assert_eq!(kuma_zone_count(4), 0);
        assert_eq!(kuma_zone_count(5), 2);
        assert_eq!(kuma_zone_count(100), 6);
        let f = Fleet::generate(shape(3, 2, 4, 10), 1);
        assert!(f.kuma.is_none());
        assert_eq!(f.clusters.len(), 3);
    }
}
