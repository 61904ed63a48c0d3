//! Pure parsing of the libvirt XML documents yun reads: domains, networks and storage volumes.
//! No libvirt calls here, so everything is unit-tested on real snippets.

use std::net::IpAddr;

use roxmltree::{Document, Node};

/// What yun needs from a domain's XML.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainXml {
    pub name: String,
    pub uuid: Option<String>,
    /// Current vCPUs (`<vcpu current=…>`, else the `<vcpu>` value).
    pub vcpus: u32,
    /// `<memory>` in bytes.
    pub memory_bytes: u64,
    pub os_type: String,
    pub arch: String,
    pub machine: String,
    pub disks: Vec<DiskXml>,
    pub interfaces: Vec<InterfaceXml>,
    pub graphics: Vec<GraphicsXml>,
    /// `<serial>` and `<console>` devices.
    pub consoles: Vec<ConsoleXml>,
    /// Present when Nova created the domain.
    pub nova: Option<NovaXml>,
    /// `<memballoon model=…>`; `None` without the element, `Some("none")` when disabled.
    pub memballoon: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskXml {
    /// `disk`, `cdrom`, `floppy`, `lun`.
    pub device: String,
    pub target: String,
    pub bus: Option<String>,
    /// `<source file>` or `<source dev>`.
    pub source_path: Option<String>,
    /// `<source pool volume>`.
    pub source_volume: Option<(String, String)>,
    /// `<source protocol name>` of network disks, e.g. `rbd` + `pool/image`.
    pub source_network: Option<String>,
    pub driver_type: Option<String>,
    /// Paths of the backing chain, nearest first.
    pub backing_chain: Vec<String>,
    pub readonly: bool,
    pub shareable: bool,
}

impl DiskXml {
    pub fn is_cdrom_or_floppy(&self) -> bool {
        matches!(self.device.as_str(), "cdrom" | "floppy")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterfaceXml {
    /// `network`, `bridge`, `direct`, `user`, …
    pub kind: String,
    pub mac: Option<String>,
    /// Network name for `network`, bridge name for `bridge`, device for `direct`.
    pub source: Option<String>,
    pub model: Option<String>,
    pub target: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphicsXml {
    pub kind: String,
    pub listen: Option<String>,
    /// `None` when not assigned yet (autoport on a stopped domain gives -1).
    pub port: Option<u32>,
    pub autoport: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsoleXml {
    /// `serial` or `console`.
    pub device: String,
    /// `pty`, `file`, `tcp`, …
    pub kind: String,
    pub path: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NovaXml {
    pub name: Option<String>,
    pub flavor: Option<String>,
    pub project: Option<String>,
    pub user: Option<String>,
    pub created: Option<String>,
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn attr(node: Option<Node>, name: &str) -> Option<String> {
    node.and_then(|n| n.attribute(name)).map(str::to_string)
}

fn text(node: Option<Node>) -> Option<String> {
    node.and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Bytes for a libvirt `unit` attribute (default KiB, as libvirt's `<memory>` has).
pub fn scaled_bytes(value: u64, unit: Option<&str>) -> u64 {
    let factor: u64 = match unit.unwrap_or("KiB") {
        "b" | "bytes" => 1,
        "KB" => 1000,
        "k" | "K" | "KiB" => 1 << 10,
        "MB" => 1000 * 1000,
        "m" | "M" | "MiB" => 1 << 20,
        "GB" => 1000 * 1000 * 1000,
        "g" | "G" | "GiB" => 1 << 30,
        "TB" => 1000 * 1000 * 1000 * 1000,
        "t" | "T" | "TiB" => 1 << 40,
        _ => 1 << 10,
    };
    value.saturating_mul(factor)
}

/// The nearest-first list of paths in a `<backingStore>` chain.
fn backing_chain(disk_or_store: Node) -> Vec<String> {
    let mut chain = Vec::new();
    let mut current = child(disk_or_store, "backingStore");
    while let Some(store) = current {
        let source = child(store, "source");
        match attr(source, "file").or_else(|| attr(source, "dev")) {
            Some(path) => chain.push(path),
            None => break,
        }
        current = child(store, "backingStore");
    }
    chain
}

fn parse_disk(disk: Node) -> DiskXml {
    let source = child(disk, "source");
    let target = child(disk, "target");
    let driver = child(disk, "driver");
    DiskXml {
        device: attr(Some(disk), "device").unwrap_or_else(|| "disk".into()),
        target: attr(target, "dev").unwrap_or_default(),
        bus: attr(target, "bus"),
        source_path: attr(source, "file").or_else(|| attr(source, "dev")),
        source_volume: attr(source, "pool").zip(attr(source, "volume")),
        source_network: attr(source, "protocol")
            .map(|p| format!("{p}:{}", attr(source, "name").unwrap_or_default())),
        driver_type: attr(driver, "type"),
        backing_chain: backing_chain(disk),
        readonly: child(disk, "readonly").is_some(),
        shareable: child(disk, "shareable").is_some(),
    }
}

fn parse_interface(iface: Node) -> InterfaceXml {
    let source = child(iface, "source");
    let kind = attr(Some(iface), "type").unwrap_or_default();
    let source_name = match kind.as_str() {
        "network" => attr(source, "network"),
        "bridge" => attr(source, "bridge"),
        "direct" => attr(source, "dev"),
        _ => attr(source, "network")
            .or_else(|| attr(source, "bridge"))
            .or_else(|| attr(source, "dev")),
    };
    InterfaceXml {
        kind,
        mac: attr(child(iface, "mac"), "address"),
        source: source_name,
        model: attr(child(iface, "model"), "type"),
        target: attr(child(iface, "target"), "dev"),
    }
}

fn parse_graphics(g: Node) -> GraphicsXml {
    let listen = attr(Some(g), "listen")
        .or_else(|| attr(child(g, "listen"), "address"))
        .or_else(|| attr(child(g, "listen"), "socket"));
    GraphicsXml {
        kind: attr(Some(g), "type").unwrap_or_default(),
        listen,
        port: g
            .attribute("port")
            .and_then(|p| p.parse::<i64>().ok())
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p > 0),
        autoport: g.attribute("autoport") == Some("yes"),
    }
}

fn parse_console(c: Node) -> ConsoleXml {
    let path = attr(Some(c), "tty").or_else(|| attr(child(c, "source"), "path"));
    ConsoleXml {
        device: c.tag_name().name().to_string(),
        kind: attr(Some(c), "type").unwrap_or_default(),
        path,
    }
}

fn parse_nova(metadata: Node) -> Option<NovaXml> {
    let instance = metadata
        .children()
        .find(|c| c.is_element() && c.tag_name().name() == "instance")
        .filter(|n| {
            n.tag_name()
                .namespace()
                .is_some_and(|ns| ns.starts_with("http://openstack.org/xmlns/libvirt/nova"))
        })?;
    let owner = child(instance, "owner");
    Some(NovaXml {
        name: text(child(instance, "name")),
        flavor: attr(child(instance, "flavor"), "name"),
        project: text(owner.and_then(|o| child(o, "project"))),
        user: text(owner.and_then(|o| child(o, "user"))),
        created: text(child(instance, "creationTime")),
    })
}

/// Parse a domain's XML (`virsh dumpxml`).
pub fn parse_domain(xml: &str) -> Result<DomainXml, String> {
    let doc = Document::parse(xml).map_err(|e| format!("cannot parse domain XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "domain" {
        return Err("not a <domain> document".into());
    }
    let vcpu = child(root, "vcpu");
    let vcpus = attr(vcpu, "current")
        .or_else(|| text(vcpu))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let memory = child(root, "memory");
    let memory_bytes = text(memory)
        .and_then(|v| v.parse::<u64>().ok())
        .map(|v| scaled_bytes(v, memory.and_then(|m| m.attribute("unit"))))
        .unwrap_or(0);
    let os_type = child(root, "os").and_then(|os| child(os, "type"));
    let devices = child(root, "devices");
    let device_list = |name: &'static str| -> Vec<Node> {
        devices
            .map(|d| children(d, name).collect())
            .unwrap_or_default()
    };
    let mut consoles: Vec<ConsoleXml> = device_list("serial")
        .into_iter()
        .map(parse_console)
        .collect();
    consoles.extend(device_list("console").into_iter().map(parse_console));
    Ok(DomainXml {
        name: text(child(root, "name")).unwrap_or_default(),
        uuid: text(child(root, "uuid")),
        vcpus,
        memory_bytes,
        os_type: text(os_type).unwrap_or_default(),
        arch: attr(os_type, "arch").unwrap_or_default(),
        machine: attr(os_type, "machine").unwrap_or_default(),
        disks: device_list("disk").into_iter().map(parse_disk).collect(),
        interfaces: device_list("interface")
            .into_iter()
            .map(parse_interface)
            .collect(),
        graphics: device_list("graphics")
            .into_iter()
            .map(parse_graphics)
            .collect(),
        consoles,
        nova: child(root, "metadata").and_then(parse_nova),
        memballoon: device_list("memballoon")
            .first()
            .map(|b| b.attribute("model").unwrap_or("virtio").to_string()),
    })
}

/// What yun needs from a network's XML.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkXml {
    pub name: String,
    pub uuid: Option<String>,
    pub bridge: Option<String>,
    /// `<forward mode>` (`nat` when the element has no mode), `None` when isolated.
    pub forward: Option<String>,
    /// Network-side CIDRs, e.g. `192.168.122.0/24`.
    pub cidrs: Vec<String>,
    /// `start-end` per DHCP range.
    pub dhcp_ranges: Vec<String>,
    pub hosts: Vec<HostXml>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostXml {
    pub mac: Option<String>,
    pub name: Option<String>,
    pub ip: String,
}

/// Prefix length of a dotted IPv4 netmask (`255.255.255.0` → 24).
fn netmask_prefix(mask: &str) -> Option<u8> {
    let mask: std::net::Ipv4Addr = mask.parse().ok()?;
    let bits = u32::from(mask);
    let prefix = bits.leading_ones();
    // A valid mask is contiguous ones followed by zeros.
    (bits.checked_shl(prefix).unwrap_or(0) == 0).then_some(prefix as u8)
}

/// `address/prefix` reduced to the network address, e.g. `192.168.122.1/24` → `192.168.122.0/24`;
/// `None` when the prefix is longer than the address.
pub fn network_cidr(address: &str, prefix: u8) -> Option<String> {
    let ip: IpAddr = address.parse().ok()?;
    let net = match ip {
        IpAddr::V4(v4) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
        _ => return None,
    };
    Some(format!("{net}/{prefix}"))
}

/// Parse a network's XML (`virsh net-dumpxml`).
pub fn parse_network(xml: &str) -> Result<NetworkXml, String> {
    let doc = Document::parse(xml).map_err(|e| format!("cannot parse network XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "network" {
        return Err("not a <network> document".into());
    }
    let forward = child(root, "forward").map(|f| f.attribute("mode").unwrap_or("nat").to_string());
    let mut out = NetworkXml {
        name: text(child(root, "name")).unwrap_or_default(),
        uuid: text(child(root, "uuid")),
        bridge: attr(child(root, "bridge"), "name"),
        forward,
        ..NetworkXml::default()
    };
    for ip in children(root, "ip") {
        let Some(address) = ip.attribute("address") else {
            continue;
        };
        let is_v6 = ip.attribute("family") == Some("ipv6") || address.contains(':');
        let prefix = ip
            .attribute("prefix")
            .and_then(|p| p.parse::<u8>().ok())
            .or_else(|| ip.attribute("netmask").and_then(netmask_prefix))
            .unwrap_or(if is_v6 { 64 } else { 24 });
        if let Some(cidr) = network_cidr(address, prefix) {
            out.cidrs.push(cidr);
        }
        if let Some(dhcp) = child(ip, "dhcp") {
            for range in children(dhcp, "range") {
                if let (Some(start), Some(end)) = (range.attribute("start"), range.attribute("end"))
                {
                    out.dhcp_ranges.push(format!("{start}-{end}"));
                }
            }
            for host in children(dhcp, "host") {
                if let Some(ip) = host.attribute("ip") {
                    out.hosts.push(HostXml {
                        mac: host.attribute("mac").map(str::to_string),
                        name: host.attribute("name").map(str::to_string),
                        ip: ip.to_string(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// What yun needs from a storage volume's XML.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeXml {
    pub path: Option<String>,
    pub format: Option<String>,
    pub backing_path: Option<String>,
    /// `<capacity>` and `<allocation>` in bytes: the same figures as `virStorageVolGetInfo`,
    /// which the daemon refreshes for the XML as well.
    pub capacity: Option<u64>,
    pub allocation: Option<u64>,
}

/// A volume size element in bytes (its `unit` defaults to bytes there).
fn volume_bytes(node: Option<Node>) -> Option<u64> {
    let node = node?;
    let value = node.text()?.trim().parse::<u64>().ok()?;
    Some(scaled_bytes(
        value,
        Some(node.attribute("unit").unwrap_or("bytes")),
    ))
}

/// Parse a storage volume's XML (`virsh vol-dumpxml`).
pub fn parse_volume(xml: &str) -> Result<VolumeXml, String> {
    let doc = Document::parse(xml).map_err(|e| format!("cannot parse volume XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "volume" {
        return Err("not a <volume> document".into());
    }
    let target = child(root, "target");
    Ok(VolumeXml {
        path: text(target.and_then(|t| child(t, "path"))),
        format: attr(target.and_then(|t| child(t, "format")), "type"),
        backing_path: text(child(root, "backingStore").and_then(|b| child(b, "path"))),
        capacity: volume_bytes(child(root, "capacity")),
        allocation: volume_bytes(child(root, "allocation")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = r#"<domain type='kvm' id='3'>
  <name>web-01</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
      <nova:name>web</nova:name>
      <nova:creationTime>2024-01-02 03:04:05</nova:creationTime>
      <nova:flavor name="m1.small"><nova:memory>2048</nova:memory></nova:flavor>
      <nova:owner><nova:user uuid="u">alice</nova:user><nova:project uuid="p">demo</nova:project></nova:owner>
    </nova:instance>
  </metadata>
  <memory unit='MiB'>2048</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/web-01.qcow2'/>
      <backingStore type='file'>
        <format type='qcow2'/>
        <source file='/var/lib/libvirt/images/base.qcow2'/>
        <backingStore type='file'>
          <format type='raw'/>
          <source file='/var/lib/libvirt/images/root.raw'/>
          <backingStore/>
        </backingStore>
      </backingStore>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='raw'/>
      <source pool='data' volume='web-01-data'/>
      <target dev='vdb' bus='virtio'/>
      <shareable/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/iso/debian.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:01'/>
      <source network='default' bridge='virbr0'/>
      <target dev='vnet3'/>
      <model type='virtio'/>
    </interface>
    <interface type='bridge'>
      <mac address='52:54:00:aa:bb:02'/>
      <source bridge='br0'/>
    </interface>
    <serial type='pty'>
      <source path='/dev/pts/3'/>
      <target port='0'/>
    </serial>
    <console type='pty' tty='/dev/pts/3'>
      <source path='/dev/pts/3'/>
      <target type='serial' port='0'/>
    </console>
    <graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <graphics type='spice' autoport='yes'>
      <listen type='address'/>
    </graphics>
  </devices>
</domain>"#;

    #[test]
    fn domain_sizes_and_os() {
        let d = parse_domain(DOMAIN).expect("parses");
        assert_eq!(d.name, "web-01");
        assert_eq!(
            d.uuid.as_deref(),
            Some("4dea22b3-1d52-d8f3-2516-782e98ab3fa0")
        );
        assert_eq!(d.vcpus, 2, "current vCPUs win over the maximum");
        assert_eq!(d.memory_bytes, 2048 << 20);
        assert_eq!((d.os_type.as_str(), d.arch.as_str()), ("hvm", "x86_64"));
        assert_eq!(d.machine, "pc-q35-7.2");
    }

    #[test]
    fn domain_disks_with_backing_chain_and_volume_source() {
        let d = parse_domain(DOMAIN).expect("parses");
        assert_eq!(d.disks.len(), 3);
        let vda = &d.disks[0];
        assert_eq!(vda.target, "vda");
        assert_eq!(vda.bus.as_deref(), Some("virtio"));
        assert_eq!(vda.driver_type.as_deref(), Some("qcow2"));
        assert_eq!(
            vda.source_path.as_deref(),
            Some("/var/lib/libvirt/images/web-01.qcow2")
        );
        assert_eq!(
            vda.backing_chain,
            vec![
                "/var/lib/libvirt/images/base.qcow2".to_string(),
                "/var/lib/libvirt/images/root.raw".to_string()
            ]
        );
        let vdb = &d.disks[1];
        assert_eq!(
            vdb.source_volume,
            Some(("data".to_string(), "web-01-data".to_string()))
        );
        assert!(vdb.shareable && !vdb.readonly);
        let cdrom = &d.disks[2];
        assert!(cdrom.is_cdrom_or_floppy() && cdrom.readonly);
    }

    #[test]
    fn domain_interfaces_graphics_consoles_and_nova() {
        let d = parse_domain(DOMAIN).expect("parses");
        assert_eq!(d.interfaces[0].source.as_deref(), Some("default"));
        assert_eq!(d.interfaces[0].mac.as_deref(), Some("52:54:00:aa:bb:01"));
        assert_eq!(d.interfaces[0].model.as_deref(), Some("virtio"));
        assert_eq!(d.interfaces[0].target.as_deref(), Some("vnet3"));
        assert_eq!(d.interfaces[1].kind, "bridge");
        assert_eq!(d.interfaces[1].source.as_deref(), Some("br0"));
        assert_eq!(d.graphics[0].port, Some(5901));
        assert_eq!(d.graphics[0].listen.as_deref(), Some("127.0.0.1"));
        assert_eq!(d.graphics[1].port, None);
        assert!(d.graphics[1].autoport);
        assert_eq!(d.consoles.len(), 2);
        assert_eq!(d.consoles[0].device, "serial");
        assert_eq!(d.consoles[0].path.as_deref(), Some("/dev/pts/3"));
        let nova = d.nova.expect("nova metadata");
        assert_eq!(nova.flavor.as_deref(), Some("m1.small"));
        assert_eq!(nova.project.as_deref(), Some("demo"));
        assert_eq!(nova.name.as_deref(), Some("web"));
    }

    #[test]
    fn memory_units_default_to_kib() {
        let d = parse_domain("<domain><name>a</name><memory>1024</memory><vcpu>1</vcpu></domain>")
            .expect("parses");
        assert_eq!(d.memory_bytes, 1 << 20);
        assert_eq!(d.vcpus, 1);
        assert!(d.nova.is_none());
        assert_eq!(scaled_bytes(3, Some("GB")), 3_000_000_000);
        assert_eq!(scaled_bytes(3, Some("G")), 3 << 30);
    }

    #[test]
    fn not_a_domain_is_an_error() {
        assert!(parse_domain("<network/>").is_err());
        assert!(parse_domain("<domain").is_err());
    }

    const NETWORK: &str = r#"<network>
  <name>default</name>
  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
      <host mac='52:54:00:aa:bb:01' name='web-01' ip='192.168.122.10'/>
      <host name='db' ip='192.168.122.11'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00:1:2::1' prefix='64'/>
</network>"#;

    #[test]
    fn network_cidrs_ranges_and_hosts() {
        let n = parse_network(NETWORK).expect("parses");
        assert_eq!(n.name, "default");
        assert_eq!(n.forward.as_deref(), Some("nat"));
        assert_eq!(n.bridge.as_deref(), Some("virbr0"));
        assert_eq!(n.cidrs, vec!["192.168.122.0/24", "fd00:1:2::/64"]);
        assert_eq!(n.dhcp_ranges, vec!["192.168.122.2-192.168.122.254"]);
        assert_eq!(n.hosts.len(), 2);
        assert_eq!(n.hosts[0].mac.as_deref(), Some("52:54:00:aa:bb:01"));
        assert_eq!(n.hosts[1].mac, None);
        assert_eq!(n.hosts[1].ip, "192.168.122.11");
    }

    #[test]
    fn isolated_network_with_prefix() {
        let n = parse_network(
            "<network><name>iso</name><bridge name='br9'/><ip address='10.1.2.3' prefix='16'/></network>",
        )
        .expect("parses");
        assert_eq!(n.forward, None);
        assert_eq!(n.cidrs, vec!["10.1.0.0/16"]);
        assert!(n.dhcp_ranges.is_empty());
    }

    #[test]
    fn netmask_to_prefix() {
        assert_eq!(netmask_prefix("255.255.255.0"), Some(24));
        assert_eq!(netmask_prefix("255.255.0.0"), Some(16));
        assert_eq!(netmask_prefix("255.0.255.0"), None);
        assert_eq!(netmask_prefix("0.0.0.0"), Some(0));
    }

    #[test]
    fn volume_format_and_backing() {
        let v = parse_volume(
            r#"<volume type='file'>
  <name>web-01.qcow2</name>
  <capacity unit='bytes'>10737418240</capacity>
  <target>
    <path>/var/lib/libvirt/images/web-01.qcow2</path>
    <format type='qcow2'/>
  </target>
  <backingStore>
    <path>/var/lib/libvirt/images/base.qcow2</path>
    <format type='qcow2'/>
  </backingStore>
</volume>"#,
        )
        .expect("parses");
        assert_eq!(v.format.as_deref(), Some("qcow2"));
        assert_eq!(
            v.path.as_deref(),
            Some("/var/lib/libvirt/images/web-01.qcow2")
        );
        assert_eq!(
            v.backing_path.as_deref(),
            Some("/var/lib/libvirt/images/base.qcow2")
        );
        assert_eq!(v.capacity, Some(10 << 30));
        assert_eq!(v.allocation, None, "absent, not zero");
        let sized = parse_volume(
            "<volume><capacity>1024</capacity><allocation unit='KiB'>2</allocation></volume>",
        )
        .expect("parses");
        assert_eq!((sized.capacity, sized.allocation), (Some(1024), Some(2048)));
    }
}
