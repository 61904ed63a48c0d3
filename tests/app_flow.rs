//! Key presses through `update`, with every backend request run against the demo host on the
//! real libvirt test driver, and the answers fed back: what the user sees and what libvirt ends
//! up in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Demo, select};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use yun::app::action::{Action, Effect};
use yun::app::modal::Modal;
use yun::app::state::{AppState, Level};
use yun::app::update;
use yun::backend::{
    Backend, BackendEvent, BackendRequest, CreateSpec, Listed, VolumeFormat, VolumeSpec,
};
use yun::i18n::Lang;
use yun::model::{InstanceStatus, Listing, ResourceKind};

/// Run effects the way the worker would, feeding results back until nothing is pending.
/// Returns the edit effects (they need a person at an editor).
fn pump(demo: &Demo, state: &mut AppState, mut effects: Vec<Effect>) -> Vec<Effect> {
    let mut left = Vec::new();
    while let Some(effect) = effects.pop() {
        let Effect::Request { request, .. } = effect else {
            left.push(effect);
            continue;
        };
        let b = &demo.backend;
        let event = demo.runtime.block_on(async {
            match request {
                BackendRequest::HostInfo => BackendEvent::HostInfo(b.host_info().await),
                BackendRequest::List { kind, generation } => BackendEvent::Listed {
                    kind,
                    generation,
                    result: b.list(kind).await.map(Listed::from),
                },
                BackendRequest::Detail { id } => {
                    let result = b.instance_detail(&id).await;
                    BackendEvent::Detail { id, result }
                }
                BackendRequest::ConsoleUrl { id } => {
                    let result = b.console_url(&id).await;
                    BackendEvent::ConsoleUrl { id, result }
                }
                BackendRequest::Perform { id, name, action } => {
                    let result = b.perform(&id, &action).await;
                    BackendEvent::ActionFinished {
                        id,
                        name,
                        action,
                        result,
                    }
                }
                BackendRequest::EditableDocument { id, name } => {
                    let result = b.editable_document(&id).await;
                    BackendEvent::EditableDocument { id, name, result }
                }
                BackendRequest::SampleStats { focus } => BackendEvent::Stats {
                    result: b.sample_stats(focus).await,
                    taken_at: std::time::Instant::now(),
                },
                BackendRequest::SwitchScope(change) => {
                    BackendEvent::ScopeSwitched(b.switch_scope(change).await)
                }
                BackendRequest::Redefine { id, name, document } => {
                    let result = b.redefine(&id, &document).await;
                    BackendEvent::Redefined {
                        id,
                        name,
                        document,
                        result,
                    }
                }
                BackendRequest::Create { spec } => {
                    let result = b.create(spec.clone()).await;
                    BackendEvent::Created { spec, result }
                }
                // These tests call the backend directly, so nothing is recorded: the log they
                // read is a fresh one.
                BackendRequest::ReadAudit => {
                    let path =
                        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-audit.log");
                    BackendEvent::Audit(
                        yun::audit::read(&path)
                            .map(|(records, _)| records)
                            .map_err(|e| e.to_string()),
                    )
                }
            }
        });
        effects.extend(update::on_backend(state, event));
    }
    left
}

/// The status line's text (the test fails if there is none).
fn status_text(state: &AppState) -> &str {
    &state.status.as_ref().expect("a status message").text
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn press(demo: &Demo, state: &mut AppState, c: char) -> Vec<Effect> {
    let effects = yun::app::input::on_key(state, key(c));
    pump(demo, state, effects)
}

/// What libvirt reports now, through a fresh listing.
fn libvirt_status(demo: &Demo, name: &str) -> Option<InstanceStatus> {
    let Listing::Instances(list) = demo
        .runtime
        .block_on(demo.backend.list(ResourceKind::Instances))
        .unwrap()
    else {
        unreachable!()
    };
    list.into_iter().find(|i| i.name == name).map(|i| i.status)
}

fn shown_status(state: &AppState, name: &str) -> InstanceStatus {
    state
        .data
        .instances
        .iter()
        .find(|i| i.name == name)
        .unwrap()
        .status
        .clone()
}

#[test]
fn pause_then_resume_from_the_keyboard() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    select(&mut state, "web-01");

    // The request goes out and the Task column says so before libvirt answers.
    let effects = yun::app::input::on_key(&mut state, key('p'));
    let t = state.tables.get(&ResourceKind::Instances).unwrap();
    let row = t
        .ids
        .iter()
        .position(|id| Some(id.as_str()) == t.selected_id())
        .unwrap();
    assert_eq!(t.cells[row][4], "Pausing");
    pump(&demo, &mut state, effects);

    assert_eq!(
        libvirt_status(&demo, "web-01"),
        Some(InstanceStatus::Paused)
    );
    assert_eq!(shown_status(&state, "web-01"), InstanceStatus::Paused);
    assert!(state.tasks.is_empty());
    assert_eq!(status_text(&state), "Pause web-01: done");

    press(&demo, &mut state, 'p');
    assert_eq!(
        libvirt_status(&demo, "web-01"),
        Some(InstanceStatus::Active)
    );
    assert_eq!(shown_status(&state, "web-01"), InstanceStatus::Active);
}

#[test]
fn shutdown_asks_first_and_cancel_changes_nothing() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    select(&mut state, "web-02");
    assert!(press(&demo, &mut state, 'h').is_empty());
    assert!(matches!(state.modal, Some(Modal::Confirm(_))));
    press(&demo, &mut state, 'n');
    assert!(state.modal.is_none());
    assert_eq!(
        libvirt_status(&demo, "web-02"),
        Some(InstanceStatus::Active)
    );

    press(&demo, &mut state, 'h');
    press(&demo, &mut state, 'y');
    assert_eq!(
        libvirt_status(&demo, "web-02"),
        Some(InstanceStatus::Shutoff)
    );
    assert_eq!(shown_status(&state, "web-02"), InstanceStatus::Shutoff);
}

#[test]
fn delete_with_volumes_removes_the_domain_and_its_own_disk() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    select(&mut state, "build-box");
    let effects = yun::app::input::on_key(
        &mut state,
        KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL),
    );
    assert!(effects.is_empty());
    press(&demo, &mut state, 'v');
    match &state.modal {
        Some(Modal::Confirm(confirm)) => {
            let action = &confirm.action;
            assert_eq!(action.id(), "delete");
            assert!(
                yun::backend::libvirt::virsh_command("x", "build-box", action)
                    .contains("--remove-all-storage")
            );
        }
        other => panic!("{other:?}"),
    }
    press(&demo, &mut state, 'y');
    assert_eq!(libvirt_status(&demo, "build-box"), None);
    assert!(!state.data.instances.iter().any(|i| i.name == "build-box"));
    let Listing::Volumes { volumes, .. } = demo
        .runtime
        .block_on(demo.backend.list(ResourceKind::Volumes))
        .unwrap()
    else {
        unreachable!()
    };
    assert!(!volumes.iter().any(|v| v.name == "build-box-root.qcow2"));
    // Other instances' disks are untouched.
    assert!(volumes.iter().any(|v| v.name == "web-01-root.qcow2"));
}

#[test]
fn an_action_libvirt_refuses_shows_its_reason_and_the_task_clears() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let id = select(&mut state, "web-01");
    // Pause outside the console, so yun's rows are stale and it asks libvirt to pause a
    // domain that is already paused.
    demo.runtime
        .block_on(
            demo.backend
                .perform(&id, &yun::backend::InstanceAction::Pause),
        )
        .unwrap();
    press(&demo, &mut state, 'p');
    let status = state.status.as_ref().unwrap();
    assert_eq!(status.level, Level::Error);
    assert!(
        status.text.starts_with("Pause web-01 failed: "),
        "{}",
        status.text
    );
    assert!(state.tasks.is_empty());
    // The refreshed row now shows what libvirt says.
    assert_eq!(shown_status(&state, "web-01"), InstanceStatus::Paused);
}

#[test]
fn readonly_refuses_mutations_from_keys_and_commands() {
    let demo = Demo::open(true);
    let mut state = demo.state(Lang::En);
    select(&mut state, "web-01");
    assert!(press(&demo, &mut state, 'p').is_empty());
    assert!(state.modal.is_none());
    let effects = update::run_command(&mut state, "pause");
    assert!(effects.is_empty());
    assert!(status_text(&state).contains("read-only"));
    assert_eq!(
        libvirt_status(&demo, "web-01"),
        Some(InstanceStatus::Active)
    );
}

#[test]
fn edit_redefines_and_a_rejected_edit_keeps_the_text() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let id = select(&mut state, "rescue-alpine");
    let effects = press(&demo, &mut state, 'e');
    let Some(Effect::Edit { document, name, .. }) = effects.into_iter().next() else {
        panic!("an edit effect")
    };
    assert!(document.contains("<name>rescue-alpine</name>"));

    // The user adds a description and saves.
    let edited = document.replacen(
        "</name>",
        "</name>\n  <description>rescue shell</description>",
        1,
    );
    let effects = update::on_edited(&mut state, id.clone(), name.clone(), &document, Ok(edited));
    pump(&demo, &mut state, effects);
    assert!(
        status_text(&state).contains("definition updated"),
        "{}",
        status_text(&state)
    );
    let xml = demo
        .runtime
        .block_on(demo.backend.editable_document(&id))
        .unwrap();
    assert!(xml.contains("<description>rescue shell</description>"));

    // A broken edit is refused by libvirt and the text is kept for another try.
    let broken = xml
        .replace("<memory", "<memory bogus='1'")
        .replace("</domain>", "<nonsense>");
    let effects = update::on_edited(&mut state, id.clone(), name, &xml, Ok(broken.clone()));
    pump(&demo, &mut state, effects);
    match &state.modal {
        Some(Modal::EditFailed(failed)) => assert_eq!(failed.document, broken),
        other => panic!("{other:?}"),
    }
    let effects = yun::app::input::on_key(&mut state, key('e'));
    assert!(matches!(effects.as_slice(), [Effect::Edit { document, .. }] if *document == broken));
}

#[test]
fn stale_listings_are_dropped_and_selection_survives_refresh() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let id = select(&mut state, "db-replica");
    let fresh = demo
        .runtime
        .block_on(demo.backend.list(ResourceKind::Instances))
        .unwrap();
    update::on_backend(
        &mut state,
        BackendEvent::Listed {
            kind: ResourceKind::Instances,
            generation: 10,
            result: Ok(fresh.into()),
        },
    );
    // An older answer that arrives late must not overwrite the newer one.
    update::on_backend(
        &mut state,
        BackendEvent::Listed {
            kind: ResourceKind::Instances,
            generation: 3,
            result: Ok(Listing::Instances(Vec::new()).into()),
        },
    );
    assert_eq!(state.data.instances.len(), 14);
    assert_eq!(
        state
            .tables
            .get(&ResourceKind::Instances)
            .unwrap()
            .selected_id(),
        Some(id.as_str())
    );
}

#[test]
fn a_failed_listing_keeps_the_rows_and_says_why() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    update::on_backend(
        &mut state,
        BackendEvent::Listed {
            kind: ResourceKind::Instances,
            generation: 99,
            result: Err(yun::backend::BackendError::Connection(
                "socket closed".into(),
            )),
        },
    );
    assert_eq!(state.data.instances.len(), 14);
    let status = state.status.as_ref().unwrap();
    assert_eq!(status.level, Level::Error);
    assert!(status.text.contains("socket closed"), "{}", status.text);
}

#[test]
fn command_line_switches_tabs_and_completes() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    yun::app::input::on_key(&mut state, key(':'));
    for c in "net".chars() {
        yun::app::input::on_key(&mut state, key(c));
    }
    yun::app::input::on_key(&mut state, KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert_eq!(state.command_input.value(), "networks");
    let effects = yun::app::input::on_key(
        &mut state,
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    );
    assert_eq!(state.tab, ResourceKind::Networks);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Request {
            request: BackendRequest::List {
                kind: ResourceKind::Networks,
                ..
            },
            ..
        }]
    ));
    let effects = update::run_command(&mut state, "q");
    assert_eq!(effects, vec![Effect::Quit]);
}

#[test]
fn monitor_opens_samples_only_what_is_on_screen_and_closes() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let id = select(&mut state, "web-01");
    assert!(
        !state.wants_stats(),
        "nothing shows statistics on the plain table"
    );
    let effects = yun::app::input::on_key(&mut state, key('m'));
    assert_eq!(state.monitor_view.as_deref(), Some(id.as_str()));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Request { request: BackendRequest::SampleStats { focus }, .. }] if *focus == vec![id.clone()]
    ));
    pump(&demo, &mut state, effects);
    std::thread::sleep(std::time::Duration::from_millis(120));
    let effects = update::on_stats_timer(&mut state);
    pump(&demo, &mut state, effects);
    let rates = state.monitor.rates(&id).expect("rates");
    // The test driver's own figures: a clock-driven CPU time, so a rate exists.
    assert!(rates.cpu_of_vcpus.is_some());
    assert!(
        state.monitor.basis.contains("test driver"),
        "{}",
        state.monitor.basis
    );
    update::on_action(&mut state, Action::Back);
    assert!(state.monitor_view.is_none());
    assert!(!state.wants_stats());
    assert!(update::on_stats_timer(&mut state).is_empty());
}

#[test]
fn the_instances_table_sorts_by_its_live_cpu_column_and_back() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    update::on_action(&mut state, Action::GoTab(ResourceKind::Instances));
    state.layout.rows_per_page = 40;
    let effects = press(&demo, &mut state, '%');
    assert!(effects.is_empty(), "{effects:?}");
    std::thread::sleep(std::time::Duration::from_millis(120));
    let effects = update::on_stats_timer(&mut state);
    pump(&demo, &mut state, effects);
    // `:sort cpu` twice: ascending, then descending, as with any column.
    update::run_command(&mut state, "sort cpu");
    update::run_command(&mut state, "sort cpu");
    assert!(
        status_text(&state).contains("CPU descending"),
        "{}",
        status_text(&state)
    );
    let table = state.table(ResourceKind::Instances).unwrap();
    let cpu: Vec<Option<f64>> = table
        .visible
        .iter()
        .map(|&row| {
            state
                .monitor
                .rates(&table.ids[row])
                .and_then(|r| r.cpu_of_vcpus)
        })
        .collect();
    // The test driver's CPU time runs with the clock: 100 % of one vCPU, so 1-vCPU
    // instances first, 4-vCPU ones after, and those without a figure (shut off) last.
    let shown = |v: &Option<f64>| v.map(|v| (v * 10.0).round() as i64);
    let first_missing = cpu.iter().position(Option::is_none).unwrap();
    assert!(first_missing > 4, "{cpu:?}");
    assert!(cpu[first_missing..].iter().all(Option::is_none), "{cpu:?}");
    assert!(
        cpu[..first_missing]
            .windows(2)
            .all(|w| shown(&w[0]) >= shown(&w[1])),
        "descending by CPU: {cpu:?}"
    );
    assert!(shown(&cpu[0]) > shown(&cpu[first_missing - 1]), "{cpu:?}");
    // Hiding the live columns sorts by name again.
    press(&demo, &mut state, '%');
    let table = state.table(ResourceKind::Instances).unwrap();
    assert_eq!((table.sort_column, table.sort_descending), (0, false));
    assert!(!table.sorted_by_live_column());
}

#[test]
fn mouse_wheel_scrolls_and_clicks_select_tabs_rows_and_sort() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    update::on_action(&mut state, Action::GoTab(ResourceKind::Instances));
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let theme = yun::theme::Theme::default_theme();
    let mut facts = None;
    terminal
        .draw(|f| facts = Some(yun::ui::draw(f, &state, &theme)))
        .unwrap();
    update::on_frame(&mut state, facts.unwrap());
    let hits = state.layout.clone();
    let mouse = |kind, column, row| MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    let selected = |s: &AppState| s.tables[&ResourceKind::Instances].selected;

    yun::app::input::on_mouse(&mut state, mouse(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(selected(&state), 3);
    yun::app::input::on_mouse(&mut state, mouse(MouseEventKind::ScrollUp, 10, 10));
    assert_eq!(selected(&state), 0);

    // A click on the fifth row selects it; a second click opens its detail.
    let (body, _) = hits.body.unwrap();
    let row_y = body.y + 4;
    yun::app::input::on_mouse(
        &mut state,
        mouse(MouseEventKind::Down(MouseButton::Left), 5, row_y),
    );
    assert_eq!(selected(&state), 4);
    let effects = yun::app::input::on_mouse(
        &mut state,
        mouse(MouseEventKind::Down(MouseButton::Left), 5, row_y),
    );
    assert!(state.detail.is_some());
    assert!(matches!(
        effects.as_slice(),
        [Effect::Request {
            request: BackendRequest::Detail { .. },
            ..
        }]
    ));
    update::on_action(&mut state, Action::Back);

    // A click on the Status header sorts by it.
    let (header_y, columns) = hits.header.clone().unwrap();
    let status_x = columns[3].0;
    yun::app::input::on_mouse(
        &mut state,
        mouse(MouseEventKind::Down(MouseButton::Left), status_x, header_y),
    );
    assert_eq!(state.tables[&ResourceKind::Instances].sort_column, 3);

    // A click on a tab switches to it.
    let (tab_rect, kind) = hits.tabs[5];
    yun::app::input::on_mouse(
        &mut state,
        mouse(
            MouseEventKind::Down(MouseButton::Left),
            tab_rect.x + 1,
            tab_rect.y,
        ),
    );
    assert_eq!(state.tab, kind);
    assert_eq!(kind, ResourceKind::Networks);
}

#[test]
fn rows_in_a_transitional_state_are_polled_fast_until_they_settle() {
    use std::time::Duration;
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    update::on_action(&mut state, Action::GoTab(ResourceKind::Instances));
    // As a backend without change events (with them, rows at rest wait for the safety net).
    state.caps.pushes_instance_changes = false;
    let normal = Duration::from_secs(5);
    assert_eq!(state.poll_interval(normal), normal);
    // A task the backend reports (a cloud server still building, a domain being saved).
    let mut list = state.data.instances.clone();
    list[0].task = Some("spawning".into());
    state.apply_listing(Listing::Instances(list.clone()));
    assert_eq!(state.poll_interval(normal), Duration::from_secs(1));
    list[0].task = None;
    state.apply_listing(Listing::Instances(list));
    assert_eq!(state.poll_interval(normal), normal);
}

#[test]
fn a_listing_note_reaches_the_status_line() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let rows = demo
        .runtime
        .block_on(demo.backend.list(ResourceKind::Instances))
        .unwrap();
    update::on_backend(
        &mut state,
        BackendEvent::Listed {
            kind: ResourceKind::Instances,
            generation: 10,
            result: Ok(Listed {
                listing: rows,
                note: Some("2 row(s) could not be read".into()),
            }),
        },
    );
    let status = state.status.as_ref().unwrap();
    assert_eq!(status.level, Level::Warning);
    assert_eq!(status.text, "2 row(s) could not be read");
}

#[test]
fn the_serial_console_runs_virsh_with_the_uuid_as_one_argument() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    // A name with a multi-byte first word: split on whitespace or used as an option it would
    // be the wrong domain; the UUID is one word that cannot start with `-`.
    let id = select(&mut state, "数据库-主");
    let effects = press(&demo, &mut state, 'c');
    assert!(effects.is_empty(), "{effects:?}");
    let effects = yun::app::input::on_key(
        &mut state,
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    );
    let [Effect::RunInteractive(argv)] = effects.as_slice() else {
        panic!("the console command, got {effects:?}")
    };
    // (The test state shows the demo host under a stable label instead of its temporary path.)
    assert_eq!(argv, &["virsh", "-c", common::DEMO_LABEL, "console", &id]);
}

#[test]
fn status_messages_show_bidi_and_escape_characters_escaped() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    // What a cloud might put in a fault message that yun shows on the status line.
    state.set_status(Level::Error, "fault: \u{1b}[2Jdisk\u{202e}lluf");
    assert_eq!(status_text(&state), r"fault: \e[2Jdisk\u{202e}lluf");
}

fn volume(name: &str, pool: &str, capacity_bytes: u64) -> Action {
    Action::Create(CreateSpec::Volume(VolumeSpec {
        name: name.into(),
        pool: pool.into(),
        capacity_bytes,
        format: VolumeFormat::Raw,
    }))
}

#[test]
fn a_created_volume_shows_in_the_volumes_table_once_libvirt_lists_it() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let effects = update::on_action(&mut state, volume("scratch.raw", "vms", 1 << 30));
    // Until the answer comes, the work is a task of its own.
    assert_eq!(state.tasks.len(), 1);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Request {
            request: BackendRequest::Create { .. },
            ..
        }]
    ));
    pump(&demo, &mut state, effects);
    assert!(state.tasks.is_empty(), "{:?}", state.tasks);
    assert_eq!(status_text(&state), "Create volume scratch.raw: done");
    let made = state
        .data
        .volumes
        .iter()
        .find(|v| v.name == "scratch.raw")
        .expect("listed");
    assert_eq!(made.capacity, Some(1 << 30));
    assert_eq!(made.pool.as_deref(), Some("vms"));
}

#[test]
fn a_volume_that_does_not_fit_or_whose_name_is_taken_is_refused_before_any_request() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let pool = state
        .data
        .pools
        .iter()
        .find(|p| p.name == "vms")
        .expect("pool vms")
        .clone();
    assert!(yun::app::validate::volume_fits(&pool, pool.available).is_ok());
    let effects = update::on_action(&mut state, volume("huge", "vms", pool.available + 1));
    assert!(effects.is_empty());
    assert!(state.tasks.is_empty());
    assert!(
        status_text(&state).contains("does not fit in pool vms"),
        "{}",
        status_text(&state)
    );
    let taken = state
        .data
        .volumes
        .iter()
        .find(|v| v.pool.as_deref() == Some("vms"))
        .expect("a volume in vms")
        .name
        .clone();
    let effects = update::on_action(&mut state, volume(&taken, "vms", 1 << 20));
    assert!(effects.is_empty());
    assert!(status_text(&state).contains("has a volume named"));
}

#[test]
fn readonly_refuses_a_create_without_a_request() {
    let demo = Demo::open(true);
    let mut state = demo.state(Lang::En);
    let effects = update::on_action(&mut state, volume("ro.raw", "vms", 1 << 20));
    assert!(effects.is_empty());
    assert_eq!(status_text(&state), "read-only mode: Create volume refused");
}

/// Draw one 100×30 frame and hand its layout facts to `update`, as the event loop does.
fn frame(state: &mut AppState) -> ratatui::buffer::Buffer {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    let theme = yun::theme::Theme::default_theme();
    let mut facts = None;
    terminal
        .draw(|f| facts = Some(yun::ui::draw(f, state, &theme)))
        .unwrap();
    update::on_frame(state, facts.unwrap());
    terminal.backend().buffer().clone()
}

#[test]
fn drawing_changes_nothing_and_paging_uses_the_last_frames_facts() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    update::on_action(&mut state, Action::GoTab(ResourceKind::Instances));
    // The same state draws the same frame: drawing moved nothing.
    let first = frame(&mut state);
    assert_eq!(frame(&mut state), first);
    let rows = state.table(ResourceKind::Instances).unwrap().visible.len();
    assert!(rows > 3, "the demo has a few instances");

    // A page is what the last frame showed: pretend it held two rows.
    state.layout.rows_per_page = 1;
    update::on_action(&mut state, Action::PageDown);
    update::on_action(&mut state, Action::PageDown);
    update::on_action(&mut state, Action::PageDown);
    let t = state.table(ResourceKind::Instances).unwrap();
    assert_eq!(
        (t.selected, t.offset),
        (3, 2),
        "update keeps the selection in view"
    );
    update::on_action(&mut state, Action::Bottom);
    let t = state.table(ResourceKind::Instances).unwrap();
    assert_eq!((t.selected, t.offset), (rows - 1, rows - 2));
    update::on_action(&mut state, Action::Top);
    assert_eq!(state.table(ResourceKind::Instances).unwrap().offset, 0);

    // The detail's end is the scroll limit the frame reported, not a huge number clamped later.
    let effects = update::on_action(&mut state, Action::OpenDetail);
    pump(&demo, &mut state, effects);
    update::on_action(&mut state, Action::ToggleXml);
    frame(&mut state);
    let end = state.layout.detail_scroll_max.expect("a detail was drawn");
    assert!(end > 0, "the document is longer than the screen");
    update::on_action(&mut state, Action::Bottom);
    assert_eq!(state.detail.as_ref().unwrap().scroll, end);
    update::on_action(&mut state, Action::Down);
    assert_eq!(state.detail.as_ref().unwrap().scroll, end);
    update::on_action(&mut state, Action::Up);
    assert_eq!(state.detail.as_ref().unwrap().scroll, end - 1);
}

#[test]
fn command_arguments_complete_from_what_is_on_screen() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let tab = || KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE);
    yun::app::input::on_key(&mut state, key(':'));
    for c in "sort sta".chars() {
        yun::app::input::on_key(&mut state, key(c));
    }
    yun::app::input::on_key(&mut state, tab());
    assert_eq!(state.command_input.value(), "sort status");
    yun::app::input::on_key(
        &mut state,
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    );
    let t = state.table(ResourceKind::Instances).unwrap();
    assert_eq!(t.sort_column, 3, "sorted by Status");

    // Flavor names complete once the flavors are listed.
    let effects = update::on_action(&mut state, Action::GoTab(ResourceKind::Flavors));
    pump(&demo, &mut state, effects);
    let first = state.data.flavors[0].name.clone();
    let typed = format!("resize {}", &first[..1]);
    let lines = yun::app::commands::completions(&state, &typed);
    assert!(lines.contains(&format!("resize {first}")), "{lines:?}");

    update::run_command(&mut state, "region");
    assert_eq!(status_text(&state), ":region needs <region>");
    update::run_command(&mut state, "sort nosuchcolumn");
    assert!(status_text(&state).contains("nosuchcolumn"));
    update::run_command(&mut state, "frobnicate");
    assert_eq!(status_text(&state), "unknown command: frobnicate");
}

#[test]
fn the_snapshot_form_checks_its_name_then_libvirt_takes_the_snapshot() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    select(&mut state, "web-01");
    let code = |state: &mut AppState, code: KeyCode| {
        let effects = yun::app::input::on_key(state, KeyEvent::new(code, KeyModifiers::NONE));
        pump(&demo, state, effects)
    };
    assert!(press(&demo, &mut state, 'S').is_empty());
    for _ in 0.."web-01-snapshot".len() {
        code(&mut state, KeyCode::Backspace);
    }
    // An empty name is refused beside the field, before anything is sent.
    code(&mut state, KeyCode::Enter);
    let Some(Modal::Form(form)) = &state.modal else {
        panic!("the form closed on an empty name");
    };
    assert_eq!(form.fields[0].error.as_deref(), Some("required"));
    for c in "nightly".chars() {
        press(&demo, &mut state, c);
    }
    code(&mut state, KeyCode::Enter);
    assert!(state.modal.is_none());
    assert_eq!(status_text(&state), "Create snapshot web-01: done");

    // libvirt has it: a second snapshot of that name is refused, in libvirt's words.
    press(&demo, &mut state, 'S');
    for _ in 0.."web-01-snapshot".len() {
        code(&mut state, KeyCode::Backspace);
    }
    for c in "nightly".chars() {
        press(&demo, &mut state, c);
    }
    code(&mut state, KeyCode::Enter);
    assert_eq!(state.status.as_ref().unwrap().level, Level::Error);
    assert!(
        status_text(&state).contains("nightly"),
        "{}",
        status_text(&state)
    );
}

#[test]
fn the_volume_form_marks_a_size_that_does_not_fit_then_libvirt_creates_the_volume() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let effects = update::on_action(&mut state, Action::GoTab(ResourceKind::Volumes));
    pump(&demo, &mut state, effects);
    let code = |state: &mut AppState, code: KeyCode| {
        let effects = yun::app::input::on_key(state, KeyEvent::new(code, KeyModifiers::NONE));
        pump(&demo, state, effects)
    };
    let typed = |state: &mut AppState, text: &str| {
        for c in text.chars() {
            press(&demo, state, c);
        }
    };
    assert!(press(&demo, &mut state, 'n').is_empty());
    assert!(
        matches!(state.modal, Some(Modal::Form(_))),
        "n opens the form"
    );
    typed(&mut state, "scratch.qcow2");
    code(&mut state, KeyCode::Tab);
    typed(&mut state, "vms");
    code(&mut state, KeyCode::Tab);
    code(&mut state, KeyCode::Backspace);
    code(&mut state, KeyCode::Backspace);
    typed(&mut state, "99999");
    code(&mut state, KeyCode::Tab);
    // Enter on the last field submits: the size is marked, nothing is sent.
    let effects = yun::app::input::on_key(
        &mut state,
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    );
    assert!(effects.is_empty(), "{effects:?}");
    let Some(Modal::Form(form)) = &state.modal else {
        panic!("the form closed on a size that does not fit");
    };
    let capacity = form.fields.iter().find(|f| f.key == "capacity").unwrap();
    assert!(
        capacity
            .error
            .as_deref()
            .is_some_and(|e| e.contains("does not fit in pool vms")),
        "{:?}",
        capacity.error
    );
    assert!(
        form.preview_line()
            .is_some_and(|p| p.starts_with("virsh ") && p.contains("vol-create-as")),
        "{:?}",
        form.preview_line()
    );
    // The failed submit put the focus on the first field it marked.
    for _ in 0..5 {
        code(&mut state, KeyCode::Backspace);
    }
    typed(&mut state, "1");
    code(&mut state, KeyCode::Enter);
    code(&mut state, KeyCode::Enter);
    assert!(state.modal.is_none(), "submitted");
    assert_eq!(status_text(&state), "Create volume scratch.qcow2: done");
    let made = state
        .data
        .volumes
        .iter()
        .find(|v| v.name == "scratch.qcow2")
        .expect("listed");
    assert_eq!(made.capacity, Some(1 << 30));
    assert_eq!(made.pool.as_deref(), Some("vms"));
}

#[test]
fn instances_are_listed_at_rest_only_as_a_safety_net_when_the_backend_sends_events() {
    let demo = Demo::open(false);
    let mut state = demo.state(Lang::En);
    let normal = std::time::Duration::from_secs(5);
    state.caps.pushes_instance_changes = false;
    assert_eq!(state.poll_interval(normal), normal);
    state.caps.pushes_instance_changes = true;
    assert_eq!(
        state.poll_interval(normal),
        yun::app::state::EVENTS_SAFETY_NET
    );
    // A stuck connection sends no events: the listing goes on as usual until it is back.
    state.connection = yun::backend::ConnectionState::NotAnswering {
        attempt: 1,
        reason: "listing instances".into(),
    };
    assert_eq!(state.poll_interval(normal), normal);
    state.connection = yun::backend::ConnectionState::Connected;
    // Other tabs have no events; a row in flight is followed fast.
    let effects = update::on_action(&mut state, Action::GoTab(ResourceKind::Volumes));
    pump(&demo, &mut state, effects);
    assert_eq!(state.poll_interval(normal), normal);
    let effects = update::on_action(&mut state, Action::GoTab(ResourceKind::Instances));
    pump(&demo, &mut state, effects);
    select(&mut state, "web-01");
    let effects = yun::app::input::on_key(&mut state, key('p'));
    assert!(!effects.is_empty());
    assert_eq!(
        state.poll_interval(normal),
        std::time::Duration::from_secs(1)
    );
}
