//! Shared test setup: the bundled demo host opened through the real libvirt test driver.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use yun::app::action::Action;
use yun::app::state::AppState;
use yun::app::update;
use yun::backend::Backend;
use yun::backend::libvirt::{LibvirtBackend, LibvirtOptions};
use yun::config::Config;
use yun::i18n::Lang;
use yun::model::ResourceKind;

/// Label shown in the header of snapshot states, independent of temp paths.
pub const DEMO_LABEL: &str = "test:///demo-host.xml";

pub struct Demo {
    pub backend: LibvirtBackend,
    pub runtime: tokio::runtime::Runtime,
    pub uri: String,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// A private copy of the demo host: each test connection to a node file has its own state.
    pub fn open(readonly: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let uri = yun::startup::demo_uri(dir.path()).unwrap();
        let config = Config::default();
        let backend = LibvirtBackend::connect(LibvirtOptions {
            uri: uri.clone(),
            readonly,
            flavors: config.flavors(),
            image_pools: config.image_pools.clone(),
        })
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Self {
            backend,
            runtime,
            uri,
            _dir: dir,
        }
    }

    /// App state with every listing loaded, as the console shows it after start-up.
    pub fn state(&self, lang: Lang) -> AppState {
        let mut state = AppState::new(
            lang,
            self.backend.capabilities(),
            DEMO_LABEL.to_string(),
            Duration::from_secs(60),
        );
        // Equivalent commands name the stable label rather than the temporary file.
        state.caps.commands =
            std::sync::Arc::new(yun::backend::libvirt::VirshCommands::new(DEMO_LABEL));
        for kind in ResourceKind::ALL {
            let listing = self.runtime.block_on(self.backend.list(kind)).unwrap();
            state.apply_listing(listing);
        }
        let mut host = self.runtime.block_on(self.backend.host_info()).unwrap();
        // The test driver reports the machine's own host name; keep snapshots machine-independent.
        host.hostname = "demo-host".into();
        if let Some(o) = &mut state.data.overview {
            o.host.hostname = "demo-host".into();
        }
        state.host = Some(host);
        state
    }
}

/// Go to the Instances tab and select the instance called `name`; returns its id.
pub fn select(state: &mut AppState, name: &str) -> String {
    let id = state
        .data
        .instances
        .iter()
        .find(|i| i.name == name)
        .unwrap()
        .id
        .clone();
    update::on_action(state, Action::GoTab(ResourceKind::Instances));
    state
        .tables
        .get_mut(&ResourceKind::Instances)
        .unwrap()
        .select_id(&id);
    id
}
