#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Render cost of big tables: a full frame of the Instances tab with 10,000 rows, and the work
//! done when a 10,000-row listing arrives (cell strings, widths, sort) or the filter changes.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use yun::app::state::AppState;
use yun::i18n::Lang;
use yun::model::{
    Address, AddressSource, Instance, InstanceSize, InstanceStatus, Listing, PowerState,
};
use yun::theme::Theme;

fn instances(n: usize) -> Vec<Instance> {
    let statuses = [
        (InstanceStatus::Active, PowerState::Running),
        (InstanceStatus::Shutoff, PowerState::Shutdown),
        (InstanceStatus::Paused, PowerState::Paused),
    ];
    (0..n)
        .map(|i| {
            let mut inst = Instance::new(
                format!("{i:08x}-0000-4000-8000-000000000000"),
                format!("vm-{i:05}"),
            );
            let (status, power) = statuses[i % statuses.len()].clone();
            inst.status = status;
            inst.power = power;
            inst.size = InstanceSize {
                vcpus: 1 + (i % 8) as u32,
                ram_bytes: (512 << 20) * (1 + (i % 16) as u64),
                disk_bytes: (10 << 30) * (1 + (i % 5) as u64),
                flavor: (i % 3 == 0).then(|| "m1.small".to_string()),
            };
            inst.addresses = vec![Address {
                network: "lan".into(),
                ip: format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
                source: AddressSource::Lease,
            }];
            inst
        })
        .collect()
}

fn state(n: usize) -> AppState {
    let caps = yun::backend::libvirt::capabilities("test:///bench", false);
    let mut state = AppState::new(
        Lang::En,
        caps,
        "test:///bench".into(),
        Duration::from_secs(60),
    );
    state.apply_listing(Listing::Instances(instances(n)));
    state
}

fn bench(c: &mut Criterion) {
    let theme = Theme::default_theme();
    let mut group = c.benchmark_group("instances_10k");

    let s = state(10_000);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    group.bench_function("draw_frame_160x48", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    yun::ui::draw(f, &s, &theme);
                })
                .map(|_| ())
                .unwrap();
        });
    });

    // Scrolled to the middle: the cost must not depend on the position.
    let mut s = state(10_000);
    if let Some(t) = s.current_table_mut() {
        t.move_by(5_000);
    }
    group.bench_function("draw_frame_middle_160x48", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    yun::ui::draw(f, &s, &theme);
                })
                .map(|_| ())
                .unwrap();
        });
    });

    let rows = instances(10_000);
    let mut s = state(0);
    group.bench_function("apply_listing", |b| {
        b.iter(|| {
            // Alternate two listings so the unchanged-listing shortcut never applies.
            s.data.instances.clear();
            s.apply_listing(Listing::Instances(rows.clone()))
        });
    });

    let mut s = state(10_000);
    group.bench_function("filter_keystroke", |b| {
        let mut flip = false;
        b.iter(|| {
            flip = !flip;
            if let Some(t) = s.current_table_mut() {
                t.set_filter(if flip { "vm-01" } else { "vm-012" });
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
