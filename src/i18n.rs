//! The one catalogue of user-visible strings, in English and in Chinese using the cloud
//! dashboard's own terms (云主机 配置 镜像 云硬盘 网络 …).
//!
//! Each message is an enum variant so a missing translation is a compile error, not a blank.

use crate::model::{InstanceStatus, PowerState, ResourceKind};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// `en`, `zh`, or a locale such as `zh_CN.UTF-8`.
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_lowercase();
        if code.starts_with("zh") {
            Some(Self::Zh)
        } else if code.starts_with("en") || code == "c" || code == "posix" {
            Some(Self::En)
        } else {
            None
        }
    }

    /// Language from the environment, as `LANG`/`LC_ALL`/`LC_MESSAGES` name it.
    pub fn from_env() -> Self {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Self::parse(&v))
            .unwrap_or_default()
    }
}

macro_rules! catalogue {
    ($($id:ident => $en:expr, $zh:expr;)*) => {
        /// A user-visible message.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Msg { $($id,)* }

        impl Msg {
            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Self::$id, Lang::En) => $en, (Self::$id, Lang::Zh) => $zh,)*
                }
            }
        }
    };
}

catalogue! {
    AppName => "yun", "yun";
    TabOverview => "Overview", "概览";
    TabInstances => "Instances", "云主机";
    TabFlavors => "Flavors", "配置";
    TabImages => "Images", "镜像";
    TabVolumes => "Volumes", "云硬盘";
    TabNetworks => "Networks", "网络";
    ViewSecurityGroups => "Security groups", "安全组";
    ViewFloatingIps => "Floating IPs", "浮动IP";
    ViewPorts => "Ports", "端口";

    ColId => "ID", "ID";
    ColName => "Name", "名称";
    ColInstanceName => "Name", "主机名";
    ColIpAddresses => "IP addresses", "IP地址";
    ColSize => "Size", "大小";
    ColStatus => "Status", "状态";
    ColTask => "Task", "任务";
    ColPowerState => "Power state", "电源状态";
    ColVcpus => "vCPUs", "CPU";
    ColRam => "RAM", "内存";
    ColRootDisk => "Root disk", "根磁盘";
    ColEphemeral => "Ephemeral disk", "临时磁盘";
    ColSwap => "Swap", "交换盘";
    ColFits => "Fits on host", "可在本机运行";
    ColFormat => "Format", "格式";
    ColVirtualSize => "Virtual size", "虚拟大小";
    ColAllocation => "Allocation", "已分配";
    ColCapacity => "Capacity", "容量";
    ColAvailable => "Available", "可用";
    ColPool => "Pool", "存储池";
    ColPath => "Path", "路径";
    ColUsedBy => "Used by", "使用者";
    ColAttachedTo => "Attached to", "连接到";
    ColActive => "Active", "活动";
    ColAutostart => "Autostart", "自动启动";
    ColForward => "Forward mode", "转发模式";
    ColBridge => "Bridge", "网桥";
    ColAddresses => "Addresses", "地址";
    ColDhcpRange => "DHCP range", "DHCP范围";
    ColLeases => "Leases", "租约";
    ColMac => "MAC", "MAC地址";
    ColIp => "IP", "IP";
    ColHostname => "Hostname", "主机名";
    ColExpiry => "Expiry", "到期";
    ColTarget => "Target", "目标";
    ColBus => "Bus", "总线";
    ColModel => "Model", "型号";
    ColSource => "Source", "来源";
    ColVolumes => "Volumes", "卷数";
    ColFree => "Free", "空闲";
    ColUsed => "Used", "已用";
    ColDescription => "Description", "描述";
    ColRules => "Rules", "规则";
    ColDirection => "Direction", "方向";
    ColEthertype => "Ether type", "以太网类型";
    ColProtocol => "Protocol", "协议";
    ColPortRange => "Port range", "端口范围";
    ColRemote => "Remote", "远端";
    ColFixedAddress => "Fixed address", "固定IP";
    ColNetwork => "Network", "网络";
    ColDeviceOwner => "Device owner", "设备所有者";
    ColDevice => "Device", "设备";
    ColShared => "Shared", "共享";
    ColExternal => "External", "外部";
    ColSubnets => "Subnets", "子网";
    ColImage => "Image", "镜像";
    ColKeyPair => "Key pair", "密钥对";
    ColAz => "Availability zone", "可用域";
    ColAge => "Created", "创建时间";
    ColFault => "Fault", "错误";
    ColVisibility => "Visibility", "可见性";
    ColMinDisk => "Min disk", "最小磁盘";
    ColMinRam => "Min RAM", "最小内存";
    ColType => "Type", "类型";
    ColBootable => "Bootable", "可启动";
    ColPublic => "Public", "公有";
    ColQuota => "Quota", "配额";
    KeyNextView => "next sub-view (security groups, floating IPs, ports)", "下一个子视图 (安全组, 浮动IP, 端口)";
    OverviewQuotas => "Limits and usage", "限制与用量";
    Unlimited => "unlimited", "无限制";
    QuotaInstances => "Instances", "云主机";
    QuotaCores => "vCPUs", "vCPU";
    QuotaRam => "RAM", "内存";
    QuotaVolumes => "Volumes", "云硬盘";
    QuotaGigabytes => "Volume storage", "云硬盘容量";
    QuotaFloatingIps => "Floating IPs", "浮动IP";
    QuotaSecurityGroups => "Security groups", "安全组";

    Yes => "yes", "是";
    No => "no", "否";
    Never => "never", "永不";
    Isolated => "isolated", "隔离";

    StatusActive => "Active", "运行中";
    StatusBuild => "Build", "创建中";
    StatusShutoff => "Shutoff", "关机";
    StatusPaused => "Paused", "暂停";
    StatusSuspended => "Suspended", "挂起";
    StatusCrashed => "Crashed", "崩溃";
    StatusError => "Error", "错误";

    PowerNoState => "No State", "无状态";
    PowerRunning => "Running", "运行中";
    PowerBlocked => "Blocked", "阻塞";
    PowerPaused => "Paused", "已暂停";
    PowerShutdown => "Shut Down", "关闭";
    PowerShutoff => "Shut Off", "关机";
    PowerCrashed => "Crashed", "崩溃";
    PowerSuspended => "Suspended", "挂起";
    PowerFailed => "Failed", "失败";
    PowerBuilding => "Building", "创建中";

    TaskNone => "None", "无";
    TaskPoweringOn => "Powering on", "正在开机";
    TaskPoweringOff => "Powering off", "正在关机";
    TaskRebooting => "Rebooting", "正在重启";
    TaskRebootingHard => "Rebooting (hard)", "正在硬重启";
    TaskPausing => "Pausing", "正在暂停";
    TaskUnpausing => "Unpausing", "正在恢复";
    TaskSuspending => "Suspending", "正在挂起";
    TaskResuming => "Resuming", "正在恢复";
    TaskDeleting => "Deleting", "正在删除";
    TaskUpdating => "Updating", "正在更新";
    TaskCreating => "Creating", "正在创建";
    TaskMigrating => "Migrating", "正在迁移";
    TaskSnapshotting => "Snapshotting", "正在创建快照";
    TaskDumping => "Dumping", "正在转储";

    ActStart => "Start", "启动";
    ActShutdown => "Shut down", "关机";
    ActForceOff => "Force off", "强制关机";
    ActReboot => "Reboot", "重启";
    ActReset => "Reset", "硬重启";
    ActPause => "Pause", "暂停";
    ActResume => "Resume", "恢复";
    ActSuspend => "Suspend", "挂起";
    ActRestore => "Restore", "恢复挂起";
    ActDelete => "Delete", "删除";
    ActAutostartOn => "Enable autostart", "开启自动启动";
    ActAutostartOff => "Disable autostart", "关闭自动启动";
    ActLock => "Lock", "锁定";
    ActUnlock => "Unlock", "解锁";
    ActSnapshot => "Create snapshot", "创建快照";
    ActResize => "Resize", "升级";
    ActConfirmResize => "Confirm resize", "确认调整大小";
    ActRevertResize => "Revert resize", "撤销调整大小";
    ActRename => "Rename", "重命名";
    ActMetadata => "Update metadata", "更新元数据";
    ActCreateVolume => "Create volume", "创建云硬盘";
    ActConsole => "Console", "控制台";
    ActEdit => "Edit", "编辑";
    ActMonitor => "Monitor", "监控";

    KeyUp => "up", "上移";
    KeyDown => "down", "下移";
    KeyTop => "first row", "第一行";
    KeyBottom => "last row", "最后一行";
    KeyPageUp => "page up", "上一页";
    KeyPageDown => "page down", "下一页";
    KeyNextTab => "next tab", "下一个标签";
    KeyPrevTab => "previous tab", "上一个标签";
    KeyGoTab => "go to tab", "切换标签";
    KeyDetail => "detail", "详情";
    KeyBack => "back / clear filter", "返回 / 清除过滤";
    KeyFilter => "filter", "过滤";
    KeyCommand => "command", "命令";
    KeyHelp => "help", "帮助";
    KeyQuit => "quit", "退出";
    KeySortNext => "sort by next column", "按下一列排序";
    KeySortReverse => "reverse sort", "反向排序";
    KeyRefresh => "refresh", "刷新";
    KeyToggleXml => "show XML", "显示XML";
    KeyStartRestore => "start / restore", "启动 / 恢复挂起";
    KeyPauseResume => "pause / resume", "暂停 / 恢复";
    KeySuspend => "suspend to disk", "挂起到磁盘";
    KeyAutostart => "toggle autostart", "切换自动启动";
    KeyStatsColumns => "CPU and memory columns", "CPU和内存列";
    KeyLock => "lock / unlock", "锁定 / 解锁";
    KeyRevealToken => "console view: show / hide the URL's token", "控制台窗口: 显示 / 隐藏URL中的令牌";
    PromptSnapshot => "Name of the snapshot of “{name}”:", "云主机“{name}”的快照名称:";
    PromptRename => "New name for “{name}”:", "云主机“{name}”的新名称:";
    PromptMetadata => "Metadata for “{name}” (key=value, separated by commas or spaces):", "云主机“{name}”的元数据 (key=value, 逗号或空格分隔):";
    PickFlavorTitle => "Resize “{name}” to", "将“{name}”调整为";
    PickFlavorHint => "{move}: choose    {choose}: resize    {cancel}: cancel", "{move}: 选择    {choose}: 调整    {cancel}: 取消";

    HelpTitle => "Keys", "快捷键";
    HelpContextAudit => "Audit log (type to filter)", "审计日志 (输入以过滤)";
    AuditTitle => "Audit log ({count})", "审计日志 ({count})";
    AuditLoading => "reading the audit log…", "正在读取审计日志…";
    AuditEmpty => "no changes recorded", "没有记录的变更";
    AuditFilter => "filter", "过滤";
    CmdAudit => "the audit log: every change yun made", "审计日志: yun 做过的每项变更";
    HelpContextGlobal => "Everywhere", "全局";
    HelpContextTable => "Tables", "列表";
    HelpContextInstances => "Instances", "云主机";
    HelpContextVolumes => "Volumes", "云硬盘";
    HelpContextDetail => "Detail", "详情";
    HelpContextCommands => "Commands", "命令";
    HelpContextModal => "Any dialog", "所有对话框";
    HelpContextHelp => "Help", "帮助";
    HelpContextConfirm => "Confirmation", "确认";
    HelpContextConsole => "Console", "控制台";
    HelpContextEditFailed => "Failed edit", "编辑失败";
    HelpContextPicker => "Flavor list", "配置列表";
    HelpContextForm => "Forms", "表单";
    HelpContextFormChoice => "Form lists, checkboxes and units", "表单的列表、勾选框和单位";
    HelpContextFilter => "Filter line", "过滤行";
    HelpContextCommandLine => "Command line", "命令行";
    HelpTyping => "other keys edit the text", "其他按键编辑文本";
    FormName => "Name", "名称";
    FormSnapshotName => "Snapshot name", "快照名称";
    FormNewName => "New name", "新名称";
    FormPool => "Pool", "存储池";
    FormCapacity => "Capacity", "容量";
    FormFormat => "Format", "格式";
    FormFree => "{size} free", "可用 {size}";
    FormMetadata => "Metadata", "元数据";
    FormRequired => "required", "必填";
    FormNotANumber => "not a number", "不是数字";
    FormNoChoice => "nothing matches", "没有匹配项";
    FormNoSuchFile => "no such file", "文件不存在";
    FormMetadataBad => "not key=value: “{piece}”", "不是 key=value 格式: “{piece}”";
    FormHint => "{next}: next field    {submit}: next / submit    {cancel}: cancel", "{next}: 下一项    {submit}: 下一项 / 提交    {cancel}: 取消";
    KeyCancel => "cancel", "取消";
    KeyClose => "close", "关闭";
    KeyConfirm => "confirm", "确认";
    KeyDeleteVolumes => "also delete its volumes", "同时删除云硬盘";
    KeyAttachSerial => "attach to the serial console", "连接串行控制台";
    KeyEditAgain => "edit again (your changes are kept)", "重新编辑 (保留修改)";
    KeyDiscard => "discard the changes", "放弃修改";
    KeyChoose => "choose", "选择";
    KeyFormNext => "next field", "下一项";
    KeyFormPrev => "previous field", "上一项";
    KeyFormSubmit => "next field; on the last, submit", "下一项; 最后一项时提交";
    KeyFormChoiceDown => "next choice or unit", "下一个选项或单位";
    KeyFormChoiceUp => "previous choice or unit", "上一个选项或单位";
    KeyFormToggle => "tick or untick", "勾选或取消";
    KeyFilterDone => "keep the filter", "保留过滤";
    KeyFilterClear => "clear the filter", "清除过滤";
    KeyComplete => "complete the command or its argument", "补全命令或参数";
    KeyRunCommand => "run the command", "执行命令";

    ConfirmTitle => "Confirm", "确认";
    ConfirmQuestion => "{action} instance “{name}”?", "确定要{action}云主机“{name}”吗?";
    ConfirmEquivalent => "Equivalent command:", "等效命令:";
    ConfirmYesNo => "{yes}: confirm    {no}: cancel", "{yes}: 确认    {no}: 取消";
    ConfirmDeleteVolumes => "Also delete its volumes", "同时删除其云硬盘";
    ConfirmToggleVolumes => "v: toggle", "v: 切换";
    ConsoleTitle => "Console", "控制台";
    ConsoleSerial => "Serial console:", "串行控制台:";
    ConsoleGraphics => "Graphics:", "图形控制台:";
    ConsoleNone => "This instance has no graphics or serial console.", "此云主机没有图形或串行控制台。";
    ConsoleNotRunning => "(available while the instance runs)", "(云主机运行时可用)";
    ConsoleLog => "Console log:", "控制台日志:";
    ConsoleUrlReadOnly => "not fetched in read-only mode", "只读模式下不获取";
    ConsoleUrlTokenHint => "{reveal}: show / hide the token", "{reveal}: 显示 / 隐藏令牌";
    ConsoleHintClose => "Esc: close", "Esc: 关闭";
    ConsoleHint => "{attach}: attach to the serial console (Ctrl-] detaches)    {close}: close", "{attach}: 连接串行控制台 (Ctrl-] 断开)    {close}: 关闭";
    EditFailedTitle => "Edit failed", "编辑失败";
    EditFailedHint => "{edit}: edit again (your changes are kept)    {discard}: discard", "{edit}: 重新编辑 (保留修改)    {discard}: 放弃";

    DetailTitle => "Detail", "详情";
    DetailGeneral => "General", "基本信息";
    DetailDisks => "Disks", "磁盘";
    DetailNics => "Network interfaces", "网卡";
    DetailGraphics => "Graphics", "图形";
    DetailSerial => "Serial consoles", "串行控制台";
    DetailOs => "OS", "操作系统";
    DetailPersistent => "Persistent", "持久";
    DetailXml => "Domain XML", "域XML";
    DetailStaticHosts => "Static hosts", "静态主机";
    DetailLoading => "Loading…", "加载中…";
    DetailNothing => "Nothing selected", "未选择";

    MonTitle => "Monitor", "监控";
    MonEvery => "every {secs} s · last {window}", "每 {secs} 秒 · 最近 {window}";
    MonCpu => "CPU", "CPU";
    MonCpuOfVcpus => "{pct} of its {n} vCPU", "占其 {n} 个vCPU的 {pct}";
    MonCpuOfHost => "{pct} of the host's {n} CPUs", "占主机 {n} 个CPU的 {pct}";
    MonMemory => "Memory", "内存";
    MonMemGuest => "{used} used of {total} (inside the guest, balloon driver)", "已用 {used} / {total} (客户机内, 气球驱动)";
    MonMemHost => "{alloc} allocated · {rss} resident on the host", "已分配 {alloc} · 主机常驻 {rss}";
    MonDisk => "Disk", "磁盘";
    MonNetwork => "Network", "网络";
    MonRead => "read", "读";
    MonWrite => "write", "写";
    MonRx => "rx", "收";
    MonTx => "tx", "发";
    MonIops => "IOPS", "IOPS";
    MonPackets => "pkt/s", "包/秒";
    MonErrors => "errors/s", "错误/秒";
    MonDrops => "drops/s", "丢包/秒";
    MonVcpus => "vCPU time", "vCPU时间";
    MonNotRunning => "{name} is not running: no live figures.", "{name} 未运行: 没有实时数据。";
    MonWaiting => "waiting for the first samples…", "等待首批采样…";
    MonNoneRunning => "no running instances", "没有运行中的云主机";
    MonWhy => "why: {reason}", "原因: {reason}";
    MonBalloonNote => "note: yun sets the balloon period on live guests lacking memory figures", "注意: yun 会为缺少内存数据的运行中云主机设置气球统计周期 (仅限本次运行)";
    MonHostCpu => "CPU in use", "CPU使用率";
    MonHostMem => "memory in use", "内存使用";
    OverviewTop => "Top instances (o: sort by {key})", "资源占用排行 (o: 按{key}排序)";
    OverviewHost => "Host", "主机";
    OverviewHypervisor => "hypervisor", "虚拟化";
    OverviewCpu => "CPU", "CPU";
    OverviewMemory => "Memory", "内存";
    OverviewInstances => "Instances by status", "云主机状态";
    OverviewAllocation => "Allocated to instances", "分配给云主机";
    OverviewVcpusAll => "vCPUs: allocated / running / host", "vCPU: 已分配 / 运行中 / 主机";
    OverviewMemoryAll => "RAM: allocated / running / host", "内存: 已分配 / 运行中 / 主机";
    OverviewOvercommit => "overcommit", "超分比";
    OverviewPools => "Storage pools", "存储池";
    OverviewNetworks => "Active networks", "活动网络";
    OverviewTotal => "total", "总计";
    OverviewFree => "free", "空闲";

    HeaderHost => "host", "主机";
    HeaderReadonly => "READ-ONLY", "只读";
    HeaderReconnecting => "connection lost, retrying ({attempt}): {reason}", "连接中断, 正在重试 ({attempt}): {reason}";
    HeaderNotAnswering => "connection stuck, retrying ({attempt}): {reason}", "连接无响应, 正在重试 ({attempt}): {reason}";
    HeaderConnected => "connected", "已连接";
    HeaderConnecting => "connecting…", "连接中…";

    StatusLoading => "loading…", "加载中…";
    StatusEmpty => "No items", "没有数据";
    StatusNoMatch => "No items match the filter", "没有匹配过滤条件的项";
    StatusFilter => "filter", "过滤";
    StatusDone => "{action} {name}: done", "{action} {name}: 完成";
    StatusFailed => "{action} {name} failed: {error}", "{action} {name} 失败: {error}";
    StatusNotAllowed => "{action} is not possible for “{name}” in state {status}", "云主机“{name}”处于{status}状态, 无法{action}";
    StatusReadonly => "read-only mode: {action} refused", "只读模式: 拒绝{action}";
    StatusUnknownCommand => "unknown command: {command}", "未知命令: {command}";
    StatusMissingArgument => ":{command} needs {arg}", ":{command} 需要参数 {arg}";
    StatusBadArgument => ":{command}: cannot use “{arg}”", ":{command}: 无法使用“{arg}”";
    ArgColumn => "<column>", "<列名>";
    ArgRegion => "<region>", "<区域>";
    ArgProject => "<project>", "<项目>";
    ArgFlavor => "<flavor>", "<配置>";
    ArgOnOff => "[on|off]", "[on|off]";
    ArgText => "[text]", "[文本]";
    CmdSort => "sort by a column (next column without one)", "按列排序 (不带参数: 下一列)";
    CmdRegion => "switch to another region", "切换区域";
    CmdCreateVolume => "create a volume (form)", "创建云硬盘 (表单)";
    CmdProject => "switch to another project", "切换项目";
    CmdAllProjects => "instances of every project (admin)", "所有项目的云主机 (管理员)";
    StatusLoadFailed => "could not load {what}: {error}", "无法加载{what}: {error}";
    StatusNoEditor => "could not run the editor {editor}: {error}", "无法运行编辑器 {editor}: {error}";
    StatusUnchanged => "{name}: XML not changed", "{name}: XML 未修改";
    StatusRedefined => "{name}: definition updated", "{name}: 定义已更新";
    StatusSettleTimeout => "{action} {name}: requested, but the state did not change within {secs} s", "{action} {name}: 已请求, 但 {secs} 秒内状态未变化";
    StatusSelectInstance => "select an instance first", "请先选择云主机";
    StatusNotSupported => "not supported here: {what}", "此处不支持: {what}";
    StatusConfigError => "config: {error}", "配置: {error}";
    StatusSortedBy => "sorted by {column} {dir}", "按{column}{dir}排序";
    SortAscending => "ascending", "升序";
    SortDescending => "descending", "降序";
    LeasesUnavailable => "leases unavailable: {reason}", "租约不可用: {reason}";
    MemoryFreeUnavailable => "free memory unavailable: {reason}", "空闲内存不可用: {reason}";
    HostCpuUnavailable => "CPU in use unavailable: {reason}", "CPU使用率不可用: {reason}";
    TooSmall => "Terminal too small: {w}×{h}, need at least {min_w}×{min_h}", "终端太小: {w}×{h}, 至少需要 {min_w}×{min_h}";
    FilterPrompt => "/", "/";
    CommandPrompt => ":", ":";
}

impl Msg {
    /// The message with `{name}` placeholders replaced.
    pub fn fill(self, lang: Lang, args: &[(&str, &str)]) -> String {
        let mut out = self.text(lang).to_string();
        for (k, v) in args {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }
}

pub fn tab_title(kind: ResourceKind) -> Msg {
    match kind {
        ResourceKind::Overview => Msg::TabOverview,
        ResourceKind::Instances => Msg::TabInstances,
        ResourceKind::Flavors => Msg::TabFlavors,
        ResourceKind::Images => Msg::TabImages,
        ResourceKind::Volumes => Msg::TabVolumes,
        ResourceKind::Networks => Msg::TabNetworks,
        ResourceKind::SecurityGroups => Msg::ViewSecurityGroups,
        ResourceKind::FloatingIps => Msg::ViewFloatingIps,
        ResourceKind::Ports => Msg::ViewPorts,
    }
}

pub fn status_text(status: &InstanceStatus, lang: Lang) -> String {
    let msg = match status {
        InstanceStatus::Active => Msg::StatusActive,
        InstanceStatus::Build => Msg::StatusBuild,
        InstanceStatus::Shutoff => Msg::StatusShutoff,
        InstanceStatus::Paused => Msg::StatusPaused,
        InstanceStatus::Suspended => Msg::StatusSuspended,
        InstanceStatus::Crashed => Msg::StatusCrashed,
        InstanceStatus::Error => Msg::StatusError,
        InstanceStatus::Other(s) => return s.clone(),
    };
    msg.text(lang).to_string()
}

pub fn power_text(power: PowerState, lang: Lang) -> &'static str {
    let msg = match power {
        PowerState::NoState => Msg::PowerNoState,
        PowerState::Running => Msg::PowerRunning,
        PowerState::Blocked => Msg::PowerBlocked,
        PowerState::Paused => Msg::PowerPaused,
        PowerState::Shutdown => Msg::PowerShutdown,
        PowerState::Shutoff => Msg::PowerShutoff,
        PowerState::Crashed => Msg::PowerCrashed,
        PowerState::Suspended => Msg::PowerSuspended,
        PowerState::Failed => Msg::PowerFailed,
        PowerState::Building => Msg::PowerBuilding,
    };
    msg.text(lang)
}

/// The Task column's text for a task id such as `powering-off`; unknown ids are shown as given.
pub fn task_text(task: Option<&str>, lang: Lang) -> String {
    let msg = match task {
        None => Msg::TaskNone,
        Some("powering-on") => Msg::TaskPoweringOn,
        Some("powering-off") => Msg::TaskPoweringOff,
        Some("rebooting") => Msg::TaskRebooting,
        Some("rebooting-hard") => Msg::TaskRebootingHard,
        Some("pausing") => Msg::TaskPausing,
        Some("unpausing") => Msg::TaskUnpausing,
        Some("suspending") => Msg::TaskSuspending,
        Some("resuming") => Msg::TaskResuming,
        Some("deleting") => Msg::TaskDeleting,
        Some("updating") => Msg::TaskUpdating,
        Some("creating") => Msg::TaskCreating,
        Some("migrating") => Msg::TaskMigrating,
        Some("snapshotting") => Msg::TaskSnapshotting,
        Some("dumping") => Msg::TaskDumping,
        Some("image_snapshot") => Msg::TaskSnapshotting,
        Some(other) => return other.to_string(),
    };
    msg.text(lang).to_string()
}

pub fn yes_no(v: bool, lang: Lang) -> &'static str {
    if v {
        Msg::Yes.text(lang)
    } else {
        Msg::No.text(lang)
    }
}

/// The dashboard's name for a quota key; unknown keys are shown as they are.
pub fn quota_title(key: &str, lang: Lang) -> String {
    let msg = match key {
        "instances" => Msg::QuotaInstances,
        "cores" => Msg::QuotaCores,
        "ram" => Msg::QuotaRam,
        "volumes" => Msg::QuotaVolumes,
        "gigabytes" => Msg::QuotaGigabytes,
        "floating_ips" | "floatingip" => Msg::QuotaFloatingIps,
        "security_groups" | "security_group" => Msg::QuotaSecurityGroups,
        other => return other.to_string(),
    };
    msg.text(lang).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_names_pick_the_language() {
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("C"), Some(Lang::En));
        assert_eq!(Lang::parse("fr_FR"), None);
    }

    #[test]
    fn dashboard_terms_in_chinese() {
        assert_eq!(Msg::TabInstances.text(Lang::Zh), "云主机");
        assert_eq!(Msg::ColPowerState.text(Lang::Zh), "电源状态");
        assert_eq!(Msg::ActMonitor.text(Lang::Zh), "监控");
    }

    #[test]
    fn placeholders_are_filled() {
        let s = Msg::StatusDone.fill(Lang::En, &[("action", "Pause"), ("name", "web-01")]);
        assert_eq!(s, "Pause web-01: done");
    }
}
